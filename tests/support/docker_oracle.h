// SPDX-License-Identifier: Apache-2.0
// The test oracle for the Docker importer: a Docker seccomp profile compiled straight through
// libseccomp the way Docker + runc do it (moby's includes/excludes, runc's per-name
// seccomp_rule_add with libseccomp's name resolution), written independently of
// compiler/docker so the equivalence tests compare two implementations. Two additions model a
// libseccomp that knows the names of the kernel headers policyc is built with (mseal,
// listmount...: placed by number on every listed ABI) and runc's ENOSYS for numbers newer than
// that table when the default action refuses (docs/language.md, "Syscall numbers").
#pragma once

#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

namespace testsupport {

struct DockerOracleOptions {
  std::vector<std::string> caps;   // empty = Docker's default capability set
  std::string kernel;              // "6.1"; empty = the running kernel
};

// Returns the BPF program, or nullopt with `error` set.
std::optional<std::vector<sock_filter>> compile_docker_profile(const std::string& json_text,
                                                               const DockerOracleOptions& options,
                                                               std::string* error);

}  // namespace testsupport
