// SPDX-License-Identifier: Apache-2.0
// `network user { publish tcp 8080:80  outbound }`: a network for rootless runs through pasta
// (Debian's passt package, podman's user-mode network), which plan-exec starts attached to the
// container's namespaces and stops at exit. pasta gives the container an interface with the
// host's addresses and routes (--config-net), forwards the published host ports into it, and
// carries the container's TCP/UDP out through ordinary sockets of the caller. pasta runs in the
// foreground as plan-exec's child and dies with plan-exec (PR_SET_PDEATHSIG), also after SIGKILL;
// nothing of it is written to the filesystem.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "launcher/network/network.h"
#include "plan/plan.h"

namespace launcher {

// The pasta binary: PLAN_EXEC_PASTA when set (tests), else /usr/bin/pasta or /usr/sbin/pasta.
// Empty when none is installed.
std::string find_pasta();

// pasta's arguments for `user`, attached to `container_pid`'s user and net namespaces. pasta
// writes its pid and a newline to `pid_file` once the container's interface is configured.
std::vector<std::string> pasta_arguments(const plan::UserNetwork& user, pid_t container_pid, const std::string& pid_file);

// Throws StepError(step "network") for a run as root (`rootless` false), when pasta is missing,
// when `user` asks what pasta cannot do, or a published port is bound on the host already; no
// side effect.
std::unique_ptr<ContainerNetwork> prepare_pasta(const plan::UserNetwork& user, bool rootless);

}  // namespace launcher
