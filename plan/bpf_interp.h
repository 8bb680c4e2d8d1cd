// SPDX-License-Identifier: Apache-2.0
// A classic-BPF interpreter with the kernel's seccomp semantics. policyc uses it for tests,
// `policyc explain` and the benchmark's instruction counts; plan-exec's supervisor uses it to
// recompute the verdict of the plan's own filter for a call the kernel handed it (the loaded
// copy returns "notify" instead). It runs a filter on a seccomp_data the caller builds and
// reports the verdict and how many instructions were executed.
#pragma once

#include <linux/filter.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plan::bpf {

inline constexpr std::uint32_t kAuditArchX86_64 = 0xC000003E;  // AUDIT_ARCH_X86_64
inline constexpr std::uint32_t kAuditArchI386 = 0x40000003;    // AUDIT_ARCH_I386
inline constexpr std::uint32_t kAuditArchAarch64 = 0xC00000B7; // AUDIT_ARCH_AARCH64
inline constexpr int kX32SyscallBit = 0x40000000;

struct SeccompData {          // mirrors struct seccomp_data
  int nr = 0;
  std::uint32_t arch = kAuditArchX86_64;
  std::uint64_t instruction_pointer = 0;
  std::array<std::uint64_t, 6> args{};
};

struct Verdict {
  std::uint32_t ret = 0;       // the filter's return value: SECCOMP_RET_* | data
  std::size_t executed = 0;    // instructions executed, including the return
  std::uint32_t action() const { return ret & 0xffff0000U; }  // SECCOMP_RET_ACTION_FULL
  std::uint32_t data() const { return ret & 0x0000ffffU; }    // SECCOMP_RET_DATA
};

// Decodes little-endian struct sock_filter[] bytes (a plan's blob) into instructions.
std::vector<sock_filter> decode(const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> encode(const std::vector<sock_filter>& program);

// Runs `program` on `data`. Returns nullopt, with `error` set, for anything the kernel's
// checker would have refused or that faults at run time (jump out of range, bad load offset,
// falling off the end, an opcode seccomp does not allow).
std::optional<Verdict> run(const std::vector<sock_filter>& program, const SeccompData& data,
                           std::string* error = nullptr);

// One line per instruction, "0012: jeq #0x3c, 13, 14", for `explain` and test failures.
std::string disassemble(const sock_filter& insn, std::size_t index);

// Whether a conditional jump (BPF_OP of a BPF_JMP code: JEQ, JGT, JGE, JSET) is taken.
bool jump_taken(std::uint16_t op, std::uint32_t a, std::uint32_t operand);

}  // namespace plan::bpf
