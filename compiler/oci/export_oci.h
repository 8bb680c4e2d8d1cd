// SPDX-License-Identifier: Apache-2.0
// plan + seccomp IR -> an OCI runtime-spec 1.0.2 config.json, so a policy reaches runc,
// containerd and Kubernetes. Everything comes from the resolved plan (numbers, bytes, MS_*
// flags), not from the policy text, so the config means what plan-exec would do.
// What OCI cannot say (a veth, a rootfs archive) is emitted as far as it goes and reported
// as a warning on `diags`.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/ir.h"
#include "plan/plan.h"

namespace policyc::oci {

inline constexpr const char* kOciVersion = "1.0.2";

// runc installs the filter in its own init process and then still makes a few calls before
// execve (open the exec fifo, write to it, fstatfs /proc for the CVE-2024-21626 check, close
// the fds, execve; the Go runtime's futex). plan-exec installs the filter right before execve,
// so a tight policy may deny them and runc then fails with "operation not permitted".
const std::vector<std::string>& runc_init_syscalls();

struct OciOptions {
  // Add unconditional allow rules for runc_init_syscalls() the policy does not name at all
  // (a warning lists them); without it, a warning says which ones runc will be denied.
  bool runc_compat = false;
};

// nullopt (errors in `diags`) when the plan cannot become a runnable config (no command, a
// seccomp rule Docker's format cannot hold).
std::optional<nlohmann::ordered_json> export_config(const plan::Plan& plan, const seccomp::Filter* filter,
                                                    Diagnostics& diags, const OciOptions& options = {});

// MS_* bits -> OCI mount option words ("ro", "nosuid", "rbind", ...), then `data` split at commas.
std::vector<std::string> mount_options(std::uint64_t flags, const std::string& data);

// cgroup v2 cpu.weight (1..10000) -> v1 cpu.shares (2..262144), the inverse of runc's mapping.
std::uint64_t weight_to_shares(std::uint64_t weight);

}  // namespace policyc::oci
