// SPDX-License-Identifier: Apache-2.0
#include "launcher/cgroup/device_bpf.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace launcher {
namespace {

constexpr std::uint8_t kCtxReg = 1, kTypeReg = 2, kAccessReg = 3, kMajorReg = 4, kMinorReg = 5;
constexpr std::uint8_t kScratchReg = 1;  // the context pointer is not needed after the loads

bpf_insn insn(std::uint8_t code, std::uint8_t dst, std::uint8_t src, std::int16_t off, std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(std::uint8_t dst, std::int16_t offset) { return insn(BPF_LDX | BPF_W | BPF_MEM, dst, kCtxReg, offset, 0); }
bpf_insn mov_reg(std::uint8_t dst, std::uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov_imm(std::uint8_t dst, std::int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn and_imm(std::uint8_t dst, std::int32_t imm) { return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn rsh_imm(std::uint8_t dst, std::int32_t imm) { return insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_imm(std::uint8_t dst, std::int32_t imm, std::int16_t skip) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, skip, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// The rule's tests, each "jump to the next rule if it does not hold", then "allow".
void append_rule(std::vector<bpf_insn>& program, const DeviceRule& rule) {
  struct Test {
    std::vector<bpf_insn> prefix;
    std::uint8_t reg;
    std::int32_t value;
  };
  std::vector<Test> tests;
  if (rule.type != 'a') tests.push_back({{}, kTypeReg, rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK});
  const std::int32_t denied_bits = static_cast<std::int32_t>(~rule.access & kDeviceAll);
  if (denied_bits != 0) tests.push_back({{mov_reg(kScratchReg, kAccessReg), and_imm(kScratchReg, denied_bits)}, kScratchReg, 0});
  if (rule.major >= 0) tests.push_back({{}, kMajorReg, static_cast<std::int32_t>(rule.major)});
  if (rule.minor >= 0) tests.push_back({{}, kMinorReg, static_cast<std::int32_t>(rule.minor)});

  std::size_t length = 2;  // r0 = 1; exit
  for (const auto& t : tests) length += t.prefix.size() + 1;
  std::size_t emitted = 0;
  for (const auto& t : tests) {
    program.insert(program.end(), t.prefix.begin(), t.prefix.end());
    emitted += t.prefix.size() + 1;
    // A jump's offset counts from the instruction after it: land on the next rule's first.
    program.push_back(jne_imm(t.reg, t.value, static_cast<std::int16_t>(length - emitted)));
  }
  program.push_back(mov_imm(0, 1));
  program.push_back(exit_insn());
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

}  // namespace

std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> program = {
      load_u32(kTypeReg, offsetof(bpf_cgroup_dev_ctx, access_type)),
      mov_reg(kAccessReg, kTypeReg),
      and_imm(kTypeReg, 0xffff),
      rsh_imm(kAccessReg, 16),
      load_u32(kMajorReg, offsetof(bpf_cgroup_dev_ctx, major)),
      load_u32(kMinorReg, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  for (const auto& rule : rules) append_rule(program, rule);
  program.push_back(mov_imm(0, 0));
  program.push_back(exit_insn());
  return program;
}

int attach_device_program(int dir_fd, const std::vector<bpf_insn>& program, std::string& problem) {
  static const char kLicense[] = "GPL";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<std::uintptr_t>(program.data());
  load.insn_cnt = static_cast<std::uint32_t>(program.size());
  load.license = reinterpret_cast<std::uintptr_t>(kLicense);
  const int prog_fd = static_cast<int>(bpf(BPF_PROG_LOAD, load));
  if (prog_fd < 0) {
    const int err = errno;
    // Again with the verifier's log, only to explain the refusal (a generator bug).
    std::string log(16384, '\0');
    load.log_buf = reinterpret_cast<std::uintptr_t>(log.data());
    load.log_size = static_cast<std::uint32_t>(log.size());
    load.log_level = 1;
    const int again = static_cast<int>(bpf(BPF_PROG_LOAD, load));
    if (again >= 0) ::close(again);
    log.resize(std::strlen(log.c_str()));
    problem = "load the BPF device program (bpf BPF_PROG_LOAD): " + std::string(std::strerror(err)) +
              (log.empty() ? "" : "; verifier: " + log);
    return err;
  }
  bpf_attr attach{};
  attach.target_fd = static_cast<std::uint32_t>(dir_fd);
  attach.attach_bpf_fd = static_cast<std::uint32_t>(prog_fd);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  const int err = bpf(BPF_PROG_ATTACH, attach) == 0 ? 0 : errno;
  ::close(prog_fd);
  if (err != 0) problem = "attach the BPF device program (bpf BPF_PROG_ATTACH): " + std::string(std::strerror(err));
  return err;
}

}  // namespace launcher
