// SPDX-License-Identifier: Apache-2.0
#include "compiler/libseccomp/libseccomp_stub.h"

#include <linux/audit.h>

#include <algorithm>
#include <map>
#include <set>

#include "compiler/seccomp/abi.h"
#include "compiler/seccomp/syscalls.h"

namespace policyc::seccomp {
namespace {

constexpr std::uint32_t kNrOffset = 0;    // offsetof(struct seccomp_data, nr)
constexpr std::uint32_t kArchOffset = 4;  // offsetof(struct seccomp_data, arch)
constexpr std::size_t kMaxSection = 255;  // the arch check jumps over a section in 8 bits

sock_filter statement(std::uint16_t code, std::uint32_t k) { return {code, 0, 0, k}; }
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) { return {code, jt, jf, k}; }

struct Special {
  std::map<std::uint32_t, std::uint32_t> exact;  // nr -> SECCOMP_RET_* of a table-only syscall
  std::vector<NumberRange> enosys;
};

Location table_rule_location(const Rule& rule) { return {rule.where.file, rule.where.line, rule.where.column, 1}; }

// The table-only syscalls of one ABI and their verdicts; false after an error.
bool add_exact(const Filter& filter, Abi abi, Special& out, Diagnostics& diags) {
  for (const AbiRule& rule : rules_for_abi(filter, abi)) {
    if (!needs_stub(*rule.source) || out.exact.count(rule.nr)) continue;  // the first rule decides
    if (!rule.conditions.empty()) {
      diags.error(table_rule_location(*rule.source),
                  "the libseccomp backend cannot test the arguments of " + rule.source->syscall +
                      ": libseccomp 2.5 does not know this syscall (policyc takes its number from the kernel "
                      "headers' syscall table), so only an unconditional rule can be placed before its filter",
                  "use the policyc backend (the default), or drop the condition");
      return false;
    }
    out.exact.emplace(rule.nr, seccomp_ret(rule.action));
  }
  return true;
}

// The unknown numbers of `abi` that get ENOSYS: those no rule names (a rule decides those).
void add_enosys(const Filter& filter, Abi abi, Special& out) {
  if (!unknown_numbers_get_enosys(filter)) return;
  std::set<std::uint32_t> named;
  for (const AbiRule& rule : rules_for_abi(filter, abi)) named.insert(rule.nr);
  for (const NumberRange& range : unknown_numbers(abi)) {
    std::uint64_t lo = range.lo;  // 64 bits: a range may end at the last number
    for (auto it = named.lower_bound(range.lo); it != named.end() && *it <= range.hi; ++it) {
      if (*it > lo) out.enosys.push_back({static_cast<std::uint32_t>(lo), *it - 1});
      lo = std::uint64_t{*it} + 1;
    }
    if (lo <= range.hi) out.enosys.push_back({static_cast<std::uint32_t>(lo), range.hi});
  }
}

// ld nr; jge first-special; the checks, each with its own return; ja. The caller sets the jumps
// out of the section (the jge's false branch and the ja) once it knows what follows.
std::vector<sock_filter> section(const Special& special) {
  std::vector<sock_filter> body;
  std::uint32_t first = 0xffffffffU;
  for (const auto& [nr, ret] : special.exact) {
    body.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
    body.push_back(statement(BPF_RET | BPF_K, ret));
    first = std::min(first, nr);
  }
  for (const NumberRange& r : special.enosys) {
    body.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, r.lo, 0, 2));
    body.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, r.hi, 1, 0));
    body.push_back(statement(BPF_RET | BPF_K, seccomp_ret(kUnknownSyscallAction)));
    first = std::min(first, r.lo);
  }
  std::vector<sock_filter> out{statement(BPF_LD | BPF_W | BPF_ABS, kNrOffset)};
  out.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, first, 0, 0));
  out.insert(out.end(), body.begin(), body.end());
  out.push_back(statement(BPF_JMP | BPF_JA, 0));
  return out;
}

}  // namespace

bool needs_stub(const Rule& rule) { return rule.nr >= 0 && !libseccomp_knows_number(rule.nr); }

std::optional<std::vector<sock_filter>> libseccomp_stub(const Filter& filter, Diagnostics& diags) {
  Special native, i386;  // AUDIT_ARCH_X86_64 (x86_64 and x32 numbers) and AUDIT_ARCH_I386
  if (!add_exact(filter, Abi::X86_64, native, diags)) return std::nullopt;
  add_enosys(filter, Abi::X86_64, native);
  if (abi_allowed(filter, Abi::X32)) {
    if (!add_exact(filter, Abi::X32, native, diags)) return std::nullopt;
    add_enosys(filter, Abi::X32, native);
  }
  if (abi_allowed(filter, Abi::I386)) {
    if (!add_exact(filter, Abi::I386, i386, diags)) return std::nullopt;
    add_enosys(filter, Abi::I386, i386);
  }
  const auto empty = [](const Special& s) { return s.exact.empty() && s.enosys.empty(); };
  std::vector<sock_filter> native_section = empty(native) ? std::vector<sock_filter>{} : section(native);
  std::vector<sock_filter> i386_section = empty(i386) ? std::vector<sock_filter>{} : section(i386);
  if (native_section.empty() && i386_section.empty()) return std::vector<sock_filter>{};
  if (native_section.size() > kMaxSection || i386_section.size() > kMaxSection) {
    diags.error({}, "the libseccomp backend's stub for syscalls libseccomp does not know would need " +
                        std::to_string(std::max(native_section.size(), i386_section.size())) +
                        " instructions for one arch, more than its 8-bit jumps reach",
                "use the policyc backend (the default)");
    return std::nullopt;
  }
  // ld arch; [jeq X86_64 (else over) + section]; [jeq I386 (else over) + section]; then
  // libseccomp's program. Each section's last `ja` jumps to it.
  // The `jge` after `ld nr` sends the numbers below the first special one straight to
  // libseccomp's program too, one instruction sooner than the `ja`.
  auto link = [](std::vector<sock_filter>& section_code, std::size_t after) {
    if (section_code.empty()) return;
    section_code.back().k = static_cast<std::uint32_t>(after);
    section_code[1].jf = static_cast<std::uint8_t>(std::min(section_code.size() - 2 + after, kMaxSection));
  };
  const std::size_t after_native = i386_section.empty() ? 0 : 1 + i386_section.size();
  if (!native_section.empty() && native_section.size() - 2 + after_native > kMaxSection) {
    diags.error({}, "the libseccomp backend's stub is too long for 8-bit jumps", "use the policyc backend (the default)");
    return std::nullopt;
  }
  link(native_section, after_native);
  link(i386_section, 0);
  std::vector<sock_filter> out{statement(BPF_LD | BPF_W | BPF_ABS, kArchOffset)};
  if (!native_section.empty()) {
    out.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, static_cast<std::uint8_t>(native_section.size())));
    out.insert(out.end(), native_section.begin(), native_section.end());
  }
  if (!i386_section.empty()) {
    out.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, static_cast<std::uint8_t>(i386_section.size())));
    out.insert(out.end(), i386_section.begin(), i386_section.end());
  }
  return out;
}

}  // namespace policyc::seccomp
