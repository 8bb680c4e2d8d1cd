// SPDX-License-Identifier: Apache-2.0
// The part of OpenAPI v3 / JSON Schema that Kubernetes CRDs use, enough to validate a manifest
// against a CRD's openAPIV3Schema the way the API server would: type (object, array, string,
// integer, number, boolean), properties (an object schema with properties refuses other fields,
// as `kubectl apply` does with strict field validation; one without properties, like metadata,
// takes any), required, enum, minimum/maximum, minItems/maxItems, minLength/maxLength, pattern,
// format int32/int64 (the value must fit), items, and x-kubernetes-list-type set (no repeats).
// A schema keyword outside this list is itself an error, so a stricter schema is never passed
// silently.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace testsupport {

// One line per violation: "spec.syscalls[0].errnoRet: expected integer, found string". Empty:
// `document` is valid.
std::vector<std::string> schema_errors(const nlohmann::json& schema, const nlohmann::json& document);

}  // namespace testsupport
