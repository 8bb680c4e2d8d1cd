// SPDX-License-Identifier: Apache-2.0
// The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program generated here from
// DeviceRules (no compiler, no libbpf), loaded with bpf(BPF_PROG_LOAD) and attached with
// bpf(BPF_PROG_ATTACH) to the container's cgroup2 directory. cgroup v2 has no devices.allow:
// the kernel runs the programs of a task's cgroup and its ancestors on every open and mknod of
// a device node, and any of them returning 0 denies it (EPERM).
//
// The program, over struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// (access_type = access << 16 | type, with BPF_DEVCG_ACC_* and BPF_DEVCG_DEV_*):
//   r2 = type, r3 = access, r4 = major, r5 = minor
//   per rule:  if r2 != TYPE goto next            (left out for 'a')
//              r1 = r3 & ~ALLOWED; if r1 != 0 goto next  (left out when it allows rwm)
//              if r4 != MAJOR goto next           (left out for *)
//              if r5 != MINOR goto next           (left out for *)
//              r0 = 1; exit                       (allowed)
//   next ...   r0 = 0; exit                       (nothing matched: denied)
// Only these opcodes appear: ldx w, mov/and/rsh (64-bit, imm or reg), jne imm, exit.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "launcher/cgroup/device_rules.h"

namespace launcher {

// Pure: the program for `rules` (first match allows; no match denies).
std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules);

// Loads `program` and attaches it to the cgroup2 directory `dir_fd` with BPF_F_ALLOW_MULTI (so
// an ancestor's programs, e.g. systemd's, still apply too: the most restrictive wins). The
// program lives as long as the cgroup; its fd is closed here. Returns 0 or an errno; `problem`
// then says which call failed (with the verifier's log for a refused program).
int attach_device_program(int dir_fd, const std::vector<bpf_insn>& program, std::string& problem);

}  // namespace launcher
