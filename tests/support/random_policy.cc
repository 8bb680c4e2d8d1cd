// SPDX-License-Identifier: Apache-2.0
#include "tests/support/random_policy.h"

#include <seccomp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "compiler/seccomp/abi.h"

namespace policyc::testing {
namespace {

using seccomp::Action;
using seccomp::ActionKind;
using seccomp::ArgCondition;
using seccomp::CmpOp;

const std::vector<int>& x86_64_numbers() {
  static const std::vector<int> numbers = [] {
    std::vector<int> out;
    for (int nr = 0; nr < 512; ++nr) {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
      if (name) out.push_back(nr);
      std::free(name);
    }
    return out;
  }();
  return numbers;
}

std::string name_of(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
  std::string out = name ? name : std::to_string(nr);
  std::free(name);
  return out;
}

template <typename T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& items) {
  return items[rng() % items.size()];
}

bool chance(std::mt19937_64& rng, unsigned percent) { return rng() % 100 < percent; }

// Any action, notify included (also as the default: the filter only returns it).
Action random_action(std::mt19937_64& rng, bool only_allow_and_errno, bool trap_data) {
  static const std::vector<std::uint32_t> errnos = {1, 2, 13, 22, 38, 95, 4095};
  const unsigned choice = rng() % (only_allow_and_errno ? 2 : 8);
  switch (choice) {
    case 0: return {ActionKind::Allow, 0};
    case 1: return {ActionKind::Errno, chance(rng, 70) ? pick(rng, errnos) : 1 + static_cast<std::uint32_t>(rng() % 4095)};
    case 2: return {ActionKind::KillThread, 0};
    case 3: return {ActionKind::KillProcess, 0};
    case 4: return {ActionKind::Trap, trap_data && chance(rng, 50) ? static_cast<std::uint32_t>(rng() % 65536) : 0};
    case 5: return {ActionKind::Log, 0};
    case 6: return {ActionKind::Trace, static_cast<std::uint32_t>(rng() % 65536)};
    default: return {ActionKind::Notify, 0};
  }
}

std::uint64_t random_value(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return pick(rng, edge_values());
    case 1: return rng() % 12;
    case 2: return static_cast<std::uint32_t>(rng());
    case 3: return rng();
    case 4: return (static_cast<std::uint64_t>(rng() % 3) << 32) | (rng() % 300);
    default: return 0xffffffff00000000ULL | (rng() % 0x100);  // sign-extended negatives
  }
}

std::uint64_t random_mask(std::mt19937_64& rng) {
  switch (rng() % 7) {
    case 0: return 1ULL << (rng() % 64);
    case 1: return 0xff;
    case 2: return 0xffff0000ULL;
    case 3: return static_cast<std::uint32_t>(rng());
    case 4: return rng();
    case 5: return 0x100000001ULL;
    default: return ~0ULL;
  }
}

ArgCondition random_condition(std::mt19937_64& rng, const RandomFilterOptions& options) {
  ArgCondition c;
  c.arg = chance(rng, 80) ? rng() % 3 : rng() % 6;
  c.op = static_cast<CmpOp>(rng() % 6);
  const bool masked = options.libseccomp_expressible ? c.op == CmpOp::Eq && chance(rng, 45) : chance(rng, 30);
  const bool equality = c.op == CmpOp::Eq || c.op == CmpOp::Ne || masked;
  c.width = chance(rng, 40) && (equality || !options.u32_only_for_equality) ? 32 : 64;
  c.value = random_value(rng);
  if (masked) {
    c.mask = random_mask(rng);
    if (chance(rng, 75)) c.value &= c.mask;  // mostly a value the masked argument can take
  }
  return c;
}

// `arg > lo && arg < hi` (or >= / <=) on one argument, width and mask: a range.
std::vector<ArgCondition> random_range(std::mt19937_64& rng, const RandomFilterOptions& options) {
  ArgCondition low = random_condition(rng, options), high;
  std::uint64_t a = random_value(rng), b = random_value(rng);
  if (chance(rng, 50)) b = a + rng() % 40;  // a narrow range, often within one high word
  low.op = chance(rng, 50) ? CmpOp::Gt : CmpOp::Ge;
  if (options.libseccomp_expressible || options.u32_only_for_equality) low.mask = seccomp::kNoMask, low.width = 64;
  high = low;
  high.op = chance(rng, 50) ? CmpOp::Lt : CmpOp::Le;
  low.value = std::min(a, b);
  high.value = std::max(a, b);
  return {low, high};
}

// Values that sit on either side of what `c` compares with.
void add_near(const ArgCondition& c, std::vector<std::uint64_t>& out) {
  const std::uint64_t v = c.value;
  for (std::uint64_t x : std::initializer_list<std::uint64_t>{v, v + 1, v - 1, v & 0xffffffffULL, (v & 0xffffffffULL) + 1, (v & 0xffffffffULL) - 1,
                          v ^ (1ULL << 32), v | 0xffffffff00000000ULL, v ^ 0x80000000ULL}) {
    out.push_back(x);
  }
  if (seccomp::is_masked(c)) {
    out.push_back(v | ~c.mask);
    out.push_back((v & c.mask) ^ (c.mask & (~c.mask + 1)));  // flip the lowest mask bit
    out.push_back(v & c.mask & 0xffffffffULL);
    for (std::uint64_t y : {v, v + 1, v - 1}) {  // (x & mask) just around the value, any bits outside
      out.push_back(y & c.mask);
      out.push_back((y & c.mask) | ~c.mask);
    }
  }
}

}  // namespace

const std::vector<std::uint64_t>& edge_values() {
  static const std::vector<std::uint64_t> values = {
      0, 1, ~0ULL, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
      0x100000005ULL, 0xffffffff00000000ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL};
  return values;
}

// Names whose i386 rules libseccomp places specially: calls of i386 only, and the socket and
// SysV IPC calls i386 also reaches through socketcall(2)/ipc(2).
const std::vector<std::string>& i386_special_names() {
  static const std::vector<std::string> names = {"socketcall", "ipc", "_llseek", "chown32", "sigreturn",
                                                 "socket", "bind", "accept", "recvmmsg", "sendto",
                                                 "semop", "shmat", "msgrcv", "semtimedop"};
  return names;
}

seccomp::Rule make_rule(const std::string& name, int nr, seccomp::Action action,
                        std::vector<seccomp::ArgCondition> conditions) {
  seccomp::Rule rule;
  rule.syscall = name;
  rule.nr = nr;
  rule.action = action;
  rule.conditions = std::move(conditions);
  return rule;
}

seccomp::Rule named_rule(const std::string& name) {
  seccomp::Rule rule;
  rule.syscall = name;
  rule.nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());  // pseudo if i386 only
  return rule;
}

seccomp::Filter random_filter(std::mt19937_64& rng, const RandomFilterOptions& options) {
  seccomp::Filter filter;
  if (options.allow_x32 && chance(rng, 25)) filter.arches.push_back("x32");
  const bool x86 = options.allow_x86 && chance(rng, 25);
  if (x86) filter.arches.push_back("x86");
  const bool trap_data = !options.libseccomp_expressible;
  filter.default_action = random_action(rng, options.only_allow_and_errno, trap_data);
  static const std::vector<Action> bad_arch = {{ActionKind::KillProcess, 0}, {ActionKind::KillThread, 0},
                                               {ActionKind::Trap, 0}, {ActionKind::Errno, 1},
                                               {ActionKind::Errno, 38}, {ActionKind::Trap, 77}};
  filter.bad_arch_action = chance(rng, 60) ? bad_arch[0] : pick(rng, bad_arch);
  if (!trap_data && filter.bad_arch_action.kind == ActionKind::Trap) filter.bad_arch_action.data = 0;
  const std::vector<int>& all = options.syscalls.empty() ? x86_64_numbers() : options.syscalls;
  std::vector<int> pool;
  for (std::size_t i = 0; i < options.syscall_pool; ++i) pool.push_back(pick(rng, all));
  const std::size_t rules = rng() % (options.max_rules + 1);
  for (std::size_t i = 0; i < rules; ++i) {
    seccomp::Rule rule;
    if (x86 && chance(rng, 20)) {
      rule = named_rule(pick(rng, i386_special_names()));
    } else {
      rule.nr = chance(rng, 80) ? pick(rng, pool) : pick(rng, all);
      rule.syscall = name_of(rule.nr);
    }
    rule.action = random_action(rng, options.only_allow_and_errno, trap_data);
    if (!chance(rng, 25)) {
      const std::size_t n = 1 + rng() % options.max_conditions;
      for (std::size_t j = 0; j < n; ++j) rule.conditions.push_back(random_condition(rng, options));
      if (chance(rng, 20)) {
        const std::vector<ArgCondition> range = random_range(rng, options);
        rule.conditions.insert(rule.conditions.end(), range.begin(), range.end());
      }
    }
    filter.rules.push_back(std::move(rule));
  }
  return filter;
}

std::vector<bpf::SeccompData> probe_calls(const seccomp::Filter& filter, std::mt19937_64& rng,
                                          std::size_t per_syscall) {
  std::vector<bpf::SeccompData> calls;
  auto call = [&](int nr, std::uint32_t arch, std::array<std::uint64_t, 6> args = {}) {
    bpf::SeccompData data;
    data.nr = nr;
    data.arch = arch;
    data.args = args;
    calls.push_back(data);
  };
  for (int nr = 0; nr <= 470; ++nr) call(nr, bpf::kAuditArchX86_64);
  for (std::uint32_t nr : {500U, 511U, 1023U, 1024U, 0x3fffffffU, 0x40000000U, 0x40000001U, 0x4000003bU,
                           0x40000200U, 0x40000223U, 0x40000258U, 0x7fffffffU, 0x80000000U, 0xfffffffeU, 0xffffffffU}) {
    call(static_cast<int>(nr), bpf::kAuditArchX86_64);
  }
  for (std::uint32_t arch : {bpf::kAuditArchAarch64, bpf::kAuditArchI386, 0U, 0x4000003eU}) {
    for (int nr : {0, 3, 11, 59, 221}) call(nr, arch);
  }
  const bool x86 = std::find(filter.arches.begin(), filter.arches.end(), "x86") != filter.arches.end();
  if (x86) {
    for (int nr = 0; nr <= 470; ++nr) call(nr, bpf::kAuditArchI386);
  }
  // Both edges of every range of numbers newer than the syscall tables (ENOSYS there when the
  // default action refuses, abi.h).
  for (const auto& [abi, arch] : {std::pair{seccomp::Abi::X86_64, bpf::kAuditArchX86_64},
                                  std::pair{seccomp::Abi::X32, bpf::kAuditArchX86_64},
                                  std::pair{seccomp::Abi::I386, bpf::kAuditArchI386}}) {
    for (const seccomp::NumberRange& r : seccomp::unknown_numbers(abi)) {
      for (std::uint32_t nr : {r.lo - 1, r.lo, r.lo + 1, r.hi - 1, r.hi, r.hi + 1}) call(static_cast<int>(nr), arch);
    }
  }
  // Every ABI's numbers of the named syscalls, on edge values and values near the constants
  // their rules (as renumbered for that ABI) compare with.
  const std::pair<seccomp::Abi, std::uint32_t> abis[] = {{seccomp::Abi::X86_64, bpf::kAuditArchX86_64},
                                                        {seccomp::Abi::X32, bpf::kAuditArchX86_64},
                                                        {seccomp::Abi::I386, bpf::kAuditArchI386}};
  for (const auto& [abi, arch] : abis) {
    if (abi == seccomp::Abi::I386 && !x86) continue;
    std::map<std::uint32_t, std::vector<std::vector<std::uint64_t>>> candidates;  // nr -> per-arg values
    for (const seccomp::AbiRule& rule : seccomp::rules_for_abi(filter, abi)) {
      auto& per_arg = candidates[rule.nr];
      per_arg.resize(6, edge_values());
      for (const ArgCondition& c : rule.conditions) add_near(c, per_arg[c.arg]);
    }
    for (const auto& [nr, per_arg] : candidates) {
      const int number = static_cast<int>(nr);
      call(number, arch);
      for (std::uint64_t v : edge_values()) call(number, arch, {v, v, v, v, v, v});
      for (std::size_t i = 0; i < per_syscall; ++i) {
        std::array<std::uint64_t, 6> args;
        for (std::size_t a = 0; a < 6; ++a) args[a] = pick(rng, per_arg[a]);
        call(number, arch, args);
      }
    }
  }
  return calls;
}

std::string describe_filter(const seccomp::Filter& filter) {
  std::string out = "arches";
  for (const auto& arch : filter.arches) out += " " + arch;
  out += "; default " + filter.default_action.to_string() + "; bad arch " + filter.bad_arch_action.to_string() + "\n";
  for (const seccomp::Rule& rule : filter.rules) {
    out += "  " + rule.action.to_string() + " " + rule.syscall + "(" + std::to_string(rule.nr) + ")";
    const char* join = " if ";
    for (const ArgCondition& c : rule.conditions) {
      char mask[24];
      std::snprintf(mask, sizeof mask, "0x%llx", static_cast<unsigned long long>(c.mask));
      // the IR's own fields, so a failure can be rebuilt exactly: value in hex, the mask as stored
      char value[24];
      std::snprintf(value, sizeof value, "0x%llx", static_cast<unsigned long long>(c.value));
      out += join + seccomp::condition_text(c) + " [value " + value + " mask " + mask + " width " +
             std::to_string(c.width) + "]";
      join = " && ";
    }
    out += "\n";
  }
  return out;
}

std::string describe_call(const bpf::SeccompData& call) {
  char text[256];
  std::snprintf(text, sizeof text, "nr %d (0x%x) arch 0x%x args 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx", call.nr,
                static_cast<unsigned>(call.nr), call.arch, static_cast<unsigned long long>(call.args[0]),
                static_cast<unsigned long long>(call.args[1]), static_cast<unsigned long long>(call.args[2]),
                static_cast<unsigned long long>(call.args[3]), static_cast<unsigned long long>(call.args[4]),
                static_cast<unsigned long long>(call.args[5]));
  return text;
}

}  // namespace policyc::testing
