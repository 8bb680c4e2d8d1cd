// SPDX-License-Identifier: Apache-2.0
// The copy of the plan's filter that plan-exec loads when it reports denials or learns: every
// return of a verdict it watches becomes SECCOMP_RET_USER_NOTIF, so those calls wait for the
// supervisor (supervisor.h), which recomputes the original verdict with the plan's own filter
// (plan/bpf_interp.h) and carries it out. Allow returns are left alone: allowed calls never
// reach the supervisor, and the kernel's action cache covers exactly the calls it covered.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace launcher {

enum class Watch {
  Kills,    // kill_process and kill_thread only (--denials=off: a kill is still reported)
  Denials,  // errno, kill_process, kill_thread and log (trap and trace keep their own handlers)
  All,      // every verdict but allow (--learn: the supervisor lets each call through)
};

// The rewritten little-endian struct sock_filter[], or nullopt when the program computes a
// return value (RET A), whose verdict a rewrite cannot see; nothing then is rewritten.
std::optional<std::vector<std::uint8_t>> notifying_copy(const std::vector<std::uint8_t>& bpf, Watch watch);

// Whether `bpf` lets the x86_64 call `nr(args)` run, or hands it to the supervisor (which lets
// the launcher's own calls before execve run): allow, log or notify.
bool lets_through(const std::vector<std::uint8_t>& bpf, int nr, const std::array<std::uint64_t, 6>& args);

// Whether the filter can return a verdict `watch` covers: when not, no supervisor is needed.
bool returns_watched_verdict(const std::vector<std::uint8_t>& bpf, Watch watch);

}  // namespace launcher
