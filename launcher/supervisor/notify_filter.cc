// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervisor/notify_filter.h"

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "plan/bpf_interp.h"

namespace launcher {

namespace {

bool watched(std::uint32_t ret, Watch watch) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
      return true;
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_LOG:
      return watch != Watch::Kills;
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_USER_NOTIF:
      return false;
    default:  // trap, trace, and anything newer: only learning lets them through
      return watch == Watch::All;
  }
}

bool is_ret(const sock_filter& insn) { return BPF_CLASS(insn.code) == BPF_RET; }

}  // namespace

std::optional<std::vector<std::uint8_t>> notifying_copy(const std::vector<std::uint8_t>& bpf, Watch watch) {
  std::vector<sock_filter> program = plan::bpf::decode(bpf);
  for (auto& insn : program) {
    if (!is_ret(insn)) continue;
    if (BPF_RVAL(insn.code) != BPF_K) return std::nullopt;
    if (watched(insn.k, watch)) insn.k = SECCOMP_RET_USER_NOTIF;
  }
  return plan::bpf::encode(program);
}

bool lets_through(const std::vector<std::uint8_t>& bpf, int nr, const std::array<std::uint64_t, 6>& args) {
  plan::bpf::SeccompData data;
  data.nr = nr;
  data.args = args;
  const auto verdict = plan::bpf::run(plan::bpf::decode(bpf), data);
  if (!verdict) return false;
  const std::uint32_t action = verdict->action();
  return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG || action == SECCOMP_RET_USER_NOTIF;
}

bool returns_watched_verdict(const std::vector<std::uint8_t>& bpf, Watch watch) {
  for (const auto& insn : plan::bpf::decode(bpf)) {
    if (is_ret(insn) && (BPF_RVAL(insn.code) != BPF_K || watched(insn.k, watch))) return true;
  }
  return false;
}

}  // namespace launcher
