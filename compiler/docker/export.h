// SPDX-License-Identifier: Apache-2.0
// seccomp IR (compiler/seccomp/ir.h, first-match per syscall) -> Docker's seccomp JSON, which
// runc/containerd feed to libseccomp (one tree per syscall: the unconditional rule wins,
// conditional rules are an OR per action). The exporter rewrites first-match order into rules
// that mean the same under libseccomp: later rules get the negation of earlier rules with
// another action, rules equal to the default are left out, `u32(argN) == v` becomes
// SCMP_CMP_MASKED_EQ with 0xffffffff. What cannot be said that way is an error naming the rule.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"

namespace policyc::docker {

// The profile document: defaultAction, defaultErrnoRet, architectures, syscalls. Also the
// value of an OCI config's linux.seccomp. nullopt (with errors in `diags`) when a rule has no
// Docker equivalent.
std::optional<nlohmann::ordered_json> export_profile(const seccomp::Filter& filter, Diagnostics& diags);

// Kubernetes: a security-profiles-operator SeccompProfile (apiVersion
// security-profiles-operator.x-k8s.io/v1beta1, served by the operator's 0.x and 1.x releases).
// Its spec is the profile in the CRD's terms (tests/fixtures/k8s/ holds the CRD the tests
// validate against): the CRD has no defaultErrnoRet, so a default errno other than EPERM (what
// runtimes return without one) cannot be said; argument values are int64 there, so a value above
// 2^63-1 cannot either; comments have no field and are left out. Both refusals are errors in
// `diags` naming what does not fit.
inline constexpr const char* kK8sApiVersion = "security-profiles-operator.x-k8s.io/v1beta1";

// "" when `name` is a valid metadata.name (an RFC 1123 subdomain), else why not.
std::string k8s_name_problem(const std::string& name);

// The manifest as a document (apiVersion, kind, metadata, spec); nullopt with errors in `diags`,
// located at `source` (the policy).
std::optional<nlohmann::ordered_json> k8s_manifest_document(const nlohmann::ordered_json& profile,
                                                            const std::string& name, const std::string& source,
                                                            Diagnostics& diags);

// The manifest as YAML (what --k8s-manifest writes); nullopt with errors in `diags`.
std::optional<std::string> k8s_manifest(const nlohmann::ordered_json& profile, const std::string& name,
                                        const std::string& source, Diagnostics& diags);

std::string scmp_arch_name(const std::string& arch);  // "x86_64" -> "SCMP_ARCH_X86_64"

}  // namespace policyc::docker
