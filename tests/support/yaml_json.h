// SPDX-License-Identifier: Apache-2.0
// YAML -> JSON as Kubernetes reads a manifest (kubectl and the API server: sigs.k8s.io/yaml on
// go-yaml v2, i.e. YAML 1.1 scalars): parsed with libyaml, a plain scalar becomes null (~, null,
// empty), a boolean (true/false, yes/no, on/off, y/n in any of YAML's cases), an integer
// (decimal, 0x hex, 0-prefixed octal), a float, or else a string; a quoted scalar is always a
// string. So a test sees the types the cluster would see, not the ones the writer meant.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace testsupport {

// Every document of `text`, in order. Throws std::runtime_error naming line and column on a
// syntax error, and on anchors, aliases and tags (a manifest writer has no use for them).
std::vector<nlohmann::json> yaml_documents(const std::string& text);

// The YAML 1.1 reading of one plain (unquoted) scalar.
nlohmann::json yaml_plain_scalar(const std::string& text);

}  // namespace testsupport
