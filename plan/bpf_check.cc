// SPDX-License-Identifier: Apache-2.0
#include "plan/bpf_check.h"

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdio>

#include "plan/plan.h"

namespace plan {
namespace {

struct Insn {
  std::uint16_t code;
  std::uint8_t jt, jf;
  std::uint32_t k;
};

Insn decode(const std::vector<std::uint8_t>& bytes, std::size_t pc) {
  const std::uint8_t* b = bytes.data() + pc * 8;
  return Insn{static_cast<std::uint16_t>(b[0] | b[1] << 8), b[2], b[3],
              static_cast<std::uint32_t>(b[4]) | static_cast<std::uint32_t>(b[5]) << 8 |
                  static_cast<std::uint32_t>(b[6]) << 16 | static_cast<std::uint32_t>(b[7]) << 24};
}

bool is_conditional_jump(std::uint16_t code) {
  switch (code) {
    case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
      return true;
  }
  return false;
}

// The opcodes seccomp_check_filter() lets through; everything else (packet loads, MOD, MSH,
// ancillary data) the kernel refuses for a seccomp filter.
bool seccomp_allows(std::uint16_t code) {
  if (is_conditional_jump(code)) return true;
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K: case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
    case BPF_JMP | BPF_JA:
      return true;
  }
  return false;
}

std::string at(std::size_t pc, const Insn& insn) {
  char code[8];
  std::snprintf(code, sizeof code, "0x%04x", insn.code);
  return "instruction " + std::to_string(pc) + " (code " + code + ")";
}

// One instruction on its own: opcode, operands, jump targets (bpf_check_classic's per-insn checks).
std::optional<std::string> instruction_error(const Insn& insn, std::size_t pc, std::size_t count) {
  if (!seccomp_allows(insn.code)) return at(pc, insn) + " is not an opcode seccomp accepts";
  switch (insn.code) {
    case BPF_LD | BPF_W | BPF_ABS:
      if (insn.k >= sizeof(seccomp_data) || insn.k % 4 != 0) {
        return at(pc, insn) + " loads offset " + std::to_string(insn.k) +
               ", which is not a 4-aligned offset inside struct seccomp_data (64 bytes)";
      }
      break;
    case BPF_ALU | BPF_DIV | BPF_K:
      if (insn.k == 0) return at(pc, insn) + " divides by the constant 0";
      break;
    case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_K:
      if (insn.k >= 32) return at(pc, insn) + " shifts by " + std::to_string(insn.k) + " (at most 31)";
      break;
    case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
      if (insn.k >= BPF_MEMWORDS) return at(pc, insn) + " uses scratch cell " + std::to_string(insn.k) + " (0..15)";
      break;
    case BPF_JMP | BPF_JA:
      if (insn.k >= count - pc - 1) return at(pc, insn) + " jumps past the end of the program";
      break;
  }
  if (is_conditional_jump(insn.code) && (pc + 1 + insn.jt >= count || pc + 1 + insn.jf >= count)) {
    return at(pc, insn) + " jumps past the end of the program";
  }
  return std::nullopt;
}

// check_load_and_stores(): on every path, a scratch cell is stored before it is loaded.
std::optional<std::string> memory_error(const std::vector<std::uint8_t>& bytes, std::size_t count) {
  std::vector<std::uint16_t> masks(count, 0xffff);
  std::uint16_t valid = 0;
  for (std::size_t pc = 0; pc < count; ++pc) {
    const Insn insn = decode(bytes, pc);
    valid &= masks[pc];
    if (insn.code == (BPF_ST) || insn.code == (BPF_STX)) {
      valid |= static_cast<std::uint16_t>(1u << insn.k);
    } else if (insn.code == (BPF_LD | BPF_MEM) || insn.code == (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1u << insn.k))) {
        return at(pc, insn) + " reads scratch cell " + std::to_string(insn.k) + " before any path stored it";
      }
    } else if (insn.code == (BPF_JMP | BPF_JA)) {
      masks[pc + 1 + insn.k] &= valid;
      valid = 0xffff;
    } else if (is_conditional_jump(insn.code)) {
      masks[pc + 1 + insn.jt] &= valid;
      masks[pc + 1 + insn.jf] &= valid;
      valid = 0xffff;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> bpf_program_error(const std::vector<std::uint8_t>& bytes) {
  if (bytes.size() % 8 != 0) {
    return "length " + std::to_string(bytes.size()) + " bytes is not a multiple of 8 (struct sock_filter)";
  }
  const std::size_t count = bytes.size() / 8;
  if (count == 0) return "is empty: a filter needs at least one instruction";
  if (count > kMaxBpfInstructions) {
    return std::to_string(count) + " instructions exceed the kernel's limit of " + std::to_string(kMaxBpfInstructions);
  }
  for (std::size_t pc = 0; pc < count; ++pc) {
    if (auto error = instruction_error(decode(bytes, pc), pc, count)) return error;
  }
  const Insn last = decode(bytes, count - 1);
  if (last.code != (BPF_RET | BPF_K) && last.code != (BPF_RET | BPF_A)) {
    return "the last " + at(count - 1, last) + " is not a return, so a path could run off the end";
  }
  return memory_error(bytes, count);
}

}  // namespace plan
