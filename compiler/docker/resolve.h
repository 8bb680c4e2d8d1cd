// SPDX-License-Identifier: Apache-2.0
// A checked Docker profile, resolved the way Docker (moby's seccomp_linux.go) and runc
// (libcontainer/seccomp) would for one container: includes/excludes by caps, arch and kernel
// applied, names neither libseccomp nor the generated syscall table (plan/syscall_table.h) knows
// dropped, rules equal to the default dropped, and
// libseccomp's per-syscall merge rules turned into our first-match order. What is left means
// the same under first-match (compiler/seccomp/ir.h) as the profile means under Docker.
#pragma once

#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/docker/import.h"
#include "compiler/docker/profile.h"

namespace policyc::docker {

struct ResolvedRule {
  std::string path;                   // "syscalls[3]"
  std::vector<std::string> names;
  seccomp::Action action;
  std::vector<seccomp::ArgCondition> conditions;
  std::string comment;                // from the JSON
  std::string why;                    // "included: caps CAP_SYS_ADMIN", "" when unconditional
};

struct ResolvedProfile {
  seccomp::Action default_action;
  std::vector<std::string> arches;    // our names (x86_64 x86 x32), target first; empty = native only
  std::vector<ResolvedRule> rules;
  std::vector<std::string> caps;      // what includes/excludes were resolved against
  std::string arch;                   // target
  std::string kernel;                 // "6.1.0"
  std::vector<std::string> remarks;   // listenerPath, flags: things the .pol carries as comments
};

// Docker's default capability set (moby's oci/caps/defaults.go), used when options say none.
const std::vector<std::string>& docker_default_caps();

// Normalises an arch name given on the command line or in a profile to our name
// ("amd64" -> "x86_64", "SCMP_ARCH_X86" -> "x86", "386" -> "x86"); "" when not an x86 arch.
std::string canonical_arch(const std::string& name);

// "6.1.0-13-amd64" -> {6, 1, 0}; empty when it does not start with a number.
std::vector<unsigned> kernel_version_numbers(const std::string& release);
std::string running_kernel_release();

std::optional<ResolvedProfile> resolve_profile(const Profile& profile, const std::string& file_name,
                                               const ImportOptions& options, Diagnostics& diags);

}  // namespace policyc::docker
