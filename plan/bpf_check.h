// SPDX-License-Identifier: Apache-2.0
// The structure of a classic BPF seccomp program, checked the way the kernel will check it
// (seccomp_check_filter + bpf_check_classic + check_load_and_stores), so a damaged or hand-made
// filter is refused before plan-exec has done anything instead of failing at the last step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plan {

// nullopt when `bytes` (little-endian struct sock_filter[]) is a program the kernel accepts for
// seccomp: 1..4096 instructions, only the opcodes seccomp allows (LD W ABS inside seccomp_data
// and 4-aligned, LD/LDX W LEN, LD/LDX IMM/MEM, ST/STX, ALU without MOD, JA and JEQ/JGT/JGE/JSET
// with K or X, RET K/A, TAX/TXA), jumps inside the program, scratch memory written before it is
// read, and a return as the last instruction (jumps only go forward, so every path ends in one).
// Otherwise a sentence naming the first bad instruction by index.
std::optional<std::string> bpf_program_error(const std::vector<std::uint8_t>& bytes);

}  // namespace plan
