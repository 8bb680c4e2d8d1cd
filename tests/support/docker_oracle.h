// The test oracle for the Docker importer: a Docker seccomp profile compiled straight through
// libseccomp the way Docker + runc do it (moby's includes/excludes, runc's per-name
// seccomp_rule_add with libseccomp's name resolution), written independently of
// compiler/docker so the equivalence tests compare two implementations.
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
