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

// A security-profiles-operator SeccompProfile manifest (YAML) holding `profile`.
std::string k8s_manifest(const nlohmann::ordered_json& profile, const std::string& name);

std::string scmp_arch_name(const std::string& arch);  // "x86_64" -> "SCMP_ARCH_X86_64"

}  // namespace policyc::docker
