// SPDX-License-Identifier: Apache-2.0
#include "plan/bpf_interp.h"

#include <cstdio>
#include <cstring>

namespace plan::bpf {
namespace {

bool set_error(std::string* error, const std::string& message) {
  if (error) *error = message;
  return false;
}

// Loads a 32-bit word of seccomp_data at `offset`, as the kernel does (aligned, in range).
bool load_word(const SeccompData& data, std::uint32_t offset, std::uint32_t* out) {
  if (offset % 4 != 0 || offset + 4 > 64) return false;
  std::uint8_t raw[64];
  std::memcpy(raw, &data.nr, 4);
  std::memcpy(raw + 4, &data.arch, 4);
  std::memcpy(raw + 8, &data.instruction_pointer, 8);
  std::memcpy(raw + 16, data.args.data(), 48);
  std::memcpy(out, raw + offset, 4);
  return true;
}

bool alu(std::uint16_t op, std::uint32_t* a, std::uint32_t operand) {
  switch (op) {
    case BPF_ADD: *a += operand; return true;
    case BPF_SUB: *a -= operand; return true;
    case BPF_MUL: *a *= operand; return true;
    case BPF_DIV: if (operand == 0) return false; *a /= operand; return true;
    case BPF_MOD: if (operand == 0) return false; *a %= operand; return true;
    case BPF_AND: *a &= operand; return true;
    case BPF_OR: *a |= operand; return true;
    case BPF_XOR: *a ^= operand; return true;
    case BPF_LSH: *a = operand >= 32 ? 0 : *a << operand; return true;
    case BPF_RSH: *a = operand >= 32 ? 0 : *a >> operand; return true;
    case BPF_NEG: *a = -*a; return true;
    default: return false;
  }
}


}  // namespace

bool jump_taken(std::uint16_t op, std::uint32_t a, std::uint32_t operand) {
  switch (op) {
    case BPF_JEQ: return a == operand;
    case BPF_JGT: return a > operand;
    case BPF_JGE: return a >= operand;
    case BPF_JSET: return (a & operand) != 0;
    default: return false;
  }
}

std::vector<sock_filter> decode(const std::vector<std::uint8_t>& bytes) {
  std::vector<sock_filter> program(bytes.size() / 8);
  for (std::size_t i = 0; i < program.size(); ++i) {
    const std::uint8_t* p = bytes.data() + 8 * i;
    program[i].code = static_cast<std::uint16_t>(p[0] | p[1] << 8);
    program[i].jt = p[2];
    program[i].jf = p[3];
    program[i].k = static_cast<std::uint32_t>(p[4]) | static_cast<std::uint32_t>(p[5]) << 8 |
                   static_cast<std::uint32_t>(p[6]) << 16 | static_cast<std::uint32_t>(p[7]) << 24;
  }
  return program;
}

std::vector<std::uint8_t> encode(const std::vector<sock_filter>& program) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(program.size() * 8);
  for (const auto& insn : program) {
    bytes.push_back(static_cast<std::uint8_t>(insn.code & 0xff));
    bytes.push_back(static_cast<std::uint8_t>(insn.code >> 8));
    bytes.push_back(insn.jt);
    bytes.push_back(insn.jf);
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back((insn.k >> shift) & 0xff);
  }
  return bytes;
}

std::optional<Verdict> run(const std::vector<sock_filter>& program, const SeccompData& data,
                           std::string* error) {
  std::uint32_t a = 0, x = 0;
  std::uint32_t mem[BPF_MEMWORDS] = {};
  Verdict verdict;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    ++verdict.executed;
    const std::uint16_t cls = BPF_CLASS(insn.code);
    auto at = [&](const char* what) {
      set_error(error, "instruction " + std::to_string(pc) + ": " + what);
      return std::nullopt;
    };
    switch (cls) {
      case BPF_LD:
        if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
          if (!load_word(data, insn.k, &a)) return at("load outside seccomp_data");
        } else if (insn.code == (BPF_LD | BPF_IMM)) {
          a = insn.k;
        } else if (insn.code == (BPF_LD | BPF_MEM)) {
          if (insn.k >= BPF_MEMWORDS) return at("scratch index out of range");
          a = mem[insn.k];
        } else if (insn.code == (BPF_LD | BPF_W | BPF_LEN)) {
          a = 64;
        } else {
          return at("load mode seccomp does not allow");
        }
        break;
      case BPF_LDX:
        if (insn.code == (BPF_LDX | BPF_IMM)) x = insn.k;
        else if (insn.code == (BPF_LDX | BPF_MEM) && insn.k < BPF_MEMWORDS) x = mem[insn.k];
        else if (insn.code == (BPF_LDX | BPF_W | BPF_LEN)) x = 64;
        else return at("ldx mode seccomp does not allow");
        break;
      case BPF_ST:
      case BPF_STX:
        if (insn.k >= BPF_MEMWORDS) return at("scratch index out of range");
        mem[insn.k] = cls == BPF_ST ? a : x;
        break;
      case BPF_ALU:
        if (!alu(BPF_OP(insn.code), &a, BPF_SRC(insn.code) == BPF_X ? x : insn.k)) {
          return at("bad ALU operation or division by zero");
        }
        break;
      case BPF_JMP: {
        std::size_t target;
        if (BPF_OP(insn.code) == BPF_JA) {
          target = pc + 1 + insn.k;
        } else {
          bool taken = jump_taken(BPF_OP(insn.code), a, BPF_SRC(insn.code) == BPF_X ? x : insn.k);
          target = pc + 1 + (taken ? insn.jt : insn.jf);
        }
        if (target >= program.size()) return at("jump past the end of the filter");
        pc = target - 1;
        break;
      }
      case BPF_RET:
        verdict.ret = BPF_RVAL(insn.code) == BPF_A ? a : insn.k;
        return verdict;
      case BPF_MISC:
        if (BPF_MISCOP(insn.code) == BPF_TAX) x = a;
        else if (BPF_MISCOP(insn.code) == BPF_TXA) a = x;
        else return at("bad misc operation");
        break;
      default:
        return at("unknown instruction class");
    }
  }
  set_error(error, "filter ran off its end without returning");
  return std::nullopt;
}

std::string disassemble(const sock_filter& insn, std::size_t index) {
  char head[16];
  std::snprintf(head, sizeof head, "%04zu: ", index);
  char body[96];
  const std::uint16_t cls = BPF_CLASS(insn.code);
  const char* ops[] = {"jmp", "jeq", "jgt", "jge", "jset"};
  switch (cls) {
    case BPF_LD:
      if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
        const char* field = insn.k == 0 ? "nr" : insn.k == 4 ? "arch" : nullptr;
        if (field) std::snprintf(body, sizeof body, "ld %s", field);
        else if (insn.k >= 16) std::snprintf(body, sizeof body, "ld arg%u.%s", (insn.k - 16) / 8, (insn.k % 8) ? "hi" : "lo");
        else std::snprintf(body, sizeof body, "ld [%u]", insn.k);
      } else if (insn.code == (BPF_LD | BPF_MEM)) {
        std::snprintf(body, sizeof body, "ld M[%u]", insn.k);
      } else {
        std::snprintf(body, sizeof body, "ld #0x%x", insn.k);
      }
      break;
    case BPF_ALU:
      std::snprintf(body, sizeof body, "alu op 0x%x %s0x%x", BPF_OP(insn.code),
                    BPF_SRC(insn.code) == BPF_X ? "x, " : "#", insn.k);
      if (BPF_OP(insn.code) == BPF_AND && BPF_SRC(insn.code) == BPF_K) std::snprintf(body, sizeof body, "and #0x%x", insn.k);
      break;
    case BPF_JMP:
      if (BPF_OP(insn.code) == BPF_JA) {
        std::snprintf(body, sizeof body, "ja %zu", index + 1 + insn.k);
      } else {
        std::snprintf(body, sizeof body, "%s #0x%x, %zu, %zu", ops[BPF_OP(insn.code) >> 4], insn.k,
                      index + 1 + insn.jt, index + 1 + insn.jf);
      }
      break;
    case BPF_RET:
      std::snprintf(body, sizeof body, "ret #0x%08x", insn.k);
      break;
    case BPF_ST: std::snprintf(body, sizeof body, "st M[%u]", insn.k); break;
    case BPF_STX: std::snprintf(body, sizeof body, "stx M[%u]", insn.k); break;
    case BPF_MISC: std::snprintf(body, sizeof body, BPF_MISCOP(insn.code) == BPF_TAX ? "tax" : "txa"); break;
    default: std::snprintf(body, sizeof body, "code 0x%04x jt %u jf %u k 0x%x", insn.code, insn.jt, insn.jf, insn.k);
  }
  return std::string(head) + body;
}

}  // namespace plan::bpf
