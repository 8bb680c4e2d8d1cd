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

// nullopt (errors in `diags`) when the plan cannot become a runnable config (no command, a
// seccomp rule Docker's format cannot hold).
std::optional<nlohmann::ordered_json> export_config(const plan::Plan& plan, const seccomp::Filter* filter,
                                                    Diagnostics& diags);

// MS_* bits -> OCI mount option words ("ro", "nosuid", "rbind", ...), then `data` split at commas.
std::vector<std::string> mount_options(std::uint64_t flags, const std::string& data);

// cgroup v2 cpu.weight (1..10000) -> v1 cpu.shares (2..262144), the inverse of runc's mapping.
std::uint64_t weight_to_shares(std::uint64_t weight);

}  // namespace policyc::oci
