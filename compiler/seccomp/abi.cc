// SPDX-License-Identifier: Apache-2.0
#include "compiler/seccomp/abi.h"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "plan/syscall_table.h"

namespace policyc::seccomp {
namespace {

constexpr std::uint32_t kX32Bit = bpf::kX32SyscallBit;
constexpr std::uint32_t kSkipNr = 0xffffffffU;  // a tracer's "skip this syscall"

// libseccomp's pseudo numbers for the calls i386 multiplexes: -(100 + SYS_SOCKET...) for
// socketcall(2), -(200 + SEMOP...) for ipc(2).
struct Multiplexer {
  const char* name;
  int pseudo_base;
  int first, last;  // pseudo numbers -first..-last
};
constexpr Multiplexer kSocketcall{"socketcall", 100, 101, 120};
constexpr Multiplexer kIpc{"ipc", 200, 201, 224};

std::uint32_t libseccomp_token(Abi abi) {
  return abi == Abi::X86_64 ? SCMP_ARCH_X86_64 : abi == Abi::X32 ? SCMP_ARCH_X32 : SCMP_ARCH_X86;
}

plan::SyscallAbi table_abi(Abi abi) {
  return abi == Abi::X86_64 ? plan::SyscallAbi::X86_64 : abi == Abi::X32 ? plan::SyscallAbi::X32 : plan::SyscallAbi::I386;
}

// The i386 number of a multiplexed call that also has its own entry (socket = 359), learnt
// from libseccomp's own tables once: the i386 number whose name resolves to the pseudo number.
const std::map<int, std::uint32_t>& i386_direct_numbers() {
  static const std::map<int, std::uint32_t> table = [] {
    std::map<int, std::uint32_t> out;
    for (int nr = 0; nr < 1024; ++nr) {
      char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr);
      if (name == nullptr) continue;
      const int resolved = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name);
      std::free(name);
      if (resolved < 0 && resolved != __NR_SCMP_ERROR) out.emplace(resolved, static_cast<std::uint32_t>(nr));
    }
    return out;
  }();
  return table;
}

std::vector<ArgCondition> narrowed_to_32_bits(std::vector<ArgCondition> conditions) {
  for (ArgCondition& c : conditions) c.width = 32;
  return conditions;
}

// The rule on the multiplexer: arg0 selects the call; the rule's own arg0 test is dropped.
AbiRule multiplexed(const Rule& rule, const Multiplexer& mux, int pseudo, const std::vector<ArgCondition>& conditions) {
  AbiRule out{*number_on_abi(Abi::I386, mux.name), {}, rule.action, &rule};
  out.conditions.push_back({0, CmpOp::Eq, static_cast<std::uint64_t>(-pseudo - mux.pseudo_base), kNoMask, 32});
  for (const ArgCondition& c : conditions) {
    if (c.arg != 0) out.conditions.push_back(c);
  }
  return out;
}

void append_i386(const Rule& rule, std::vector<AbiRule>& out) {
  const int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, rule.syscall.c_str());
  std::vector<ArgCondition> conditions = narrowed_to_32_bits(rule.conditions);
  if (nr == __NR_SCMP_ERROR) {  // newer than libseccomp: the generated table's number, if any
    if (const auto generated = plan::syscall_number(plan::SyscallAbi::I386, rule.syscall)) {
      out.push_back({*generated, std::move(conditions), rule.action, &rule});
    }
    return;
  }
  if (nr >= 0) {
    out.push_back({static_cast<std::uint32_t>(nr), std::move(conditions), rule.action, &rule});
    return;
  }
  for (const Multiplexer* mux : {&kSocketcall, &kIpc}) {
    if (-nr < mux->first || -nr > mux->last) continue;
    const auto direct = i386_direct_numbers().find(nr);
    if (direct != i386_direct_numbers().end()) out.push_back({direct->second, conditions, rule.action, &rule});
    out.push_back(multiplexed(rule, *mux, nr, conditions));
  }
}

}  // namespace

std::optional<std::uint32_t> number_on_abi(Abi abi, const std::string& name) {
  const int nr = seccomp_syscall_resolve_name_arch(libseccomp_token(abi), name.c_str());
  if (nr >= 0) return static_cast<std::uint32_t>(nr);
  if (nr != __NR_SCMP_ERROR) return std::nullopt;  // a pseudo number: not a call of this ABI
  return plan::syscall_number(table_abi(abi), name);
}

std::string name_on_abi(Abi abi, std::uint32_t nr) {
  // libseccomp's numbers are ints; x32's reach 0x40000000 + 547.
  char* text = nr <= 0x7fffffffU ? seccomp_syscall_resolve_num_arch(libseccomp_token(abi), static_cast<int>(nr)) : nullptr;
  if (text != nullptr) {
    std::string out(text);
    std::free(text);
    return out;
  }
  return std::string(plan::syscall_name(table_abi(abi), nr));
}

namespace {

// A run of this many numbers no ABI knows ends its table: syscall numbers are handed out in
// order, and the largest hole in these tables is x86_64's 335..423 (88 numbers).
constexpr std::uint32_t kUnknownRunEndsTable = 128;

// The highest number `abi` knows in [lo, hi], from libseccomp and the generated table.
// libseccomp is asked only above the table's highest, until kUnknownRunEndsTable numbers in a
// row are unknown to it: each question scans its whole table (asking about 1024 numbers per ABI
// was a tenth of compiling Docker's profile).
std::uint32_t highest_known(Abi abi, std::uint32_t lo, std::uint32_t hi) {
  std::uint32_t highest = lo;
  for (const plan::SyscallEntry& e : plan::syscall_table(table_abi(abi))) {
    if (e.nr >= lo && e.nr <= hi) highest = std::max(highest, e.nr);
  }
  const std::uint32_t last = std::min(hi, lo + 1023);
  for (std::uint32_t nr = highest + 1; nr <= last && nr - highest <= kUnknownRunEndsTable; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(libseccomp_token(abi), static_cast<int>(nr));
    if (name != nullptr) highest = nr;
    std::free(name);
  }
  return highest;
}

std::vector<NumberRange> compute_unknown_numbers(Abi abi) {
  constexpr std::uint32_t kLast = kSkipNr - 1;  // 0xfffffffe
  switch (abi) {
    case Abi::X86_64: return {{highest_known(abi, 0, kX32Bit - 1) + 1, kX32Bit - 1}};
    case Abi::X32: {
      constexpr std::uint32_t kX32OnlyBlock = kX32Bit + 512;  // x32's own calls: 512..547
      std::vector<NumberRange> out;
      const std::uint32_t common = highest_known(abi, kX32Bit, kX32OnlyBlock - 1);
      if (common + 1 < kX32OnlyBlock) out.push_back({common + 1, kX32OnlyBlock - 1});
      out.push_back({highest_known(abi, kX32Bit, kLast) + 1, kLast});
      return out;
    }
    case Abi::I386: return {{highest_known(abi, 0, kLast) + 1, kLast}};
  }
  return {};
}

}  // namespace

const std::vector<NumberRange>& unknown_numbers(Abi abi) {
  static const std::vector<NumberRange> x86_64 = compute_unknown_numbers(Abi::X86_64);
  static const std::vector<NumberRange> x32 = compute_unknown_numbers(Abi::X32);
  static const std::vector<NumberRange> i386 = compute_unknown_numbers(Abi::I386);
  return abi == Abi::X86_64 ? x86_64 : abi == Abi::X32 ? x32 : i386;
}

bool unknown_numbers_get_enosys(const Filter& filter) {
  const ActionKind kind = filter.default_action.kind;
  return kind != ActionKind::Allow && kind != ActionKind::Log;
}

bool abi_allowed(const Filter& filter, Abi abi) {
  switch (abi) {
    case Abi::X86_64: return allows_arch(filter, "x86_64");
    case Abi::X32: return allows_arch(filter, "x32");
    case Abi::I386: return allows_arch(filter, "x86");
  }
  return false;
}

std::vector<AbiRule> rules_for_abi(const Filter& filter, Abi abi) {
  std::vector<AbiRule> out;
  for (const Rule& rule : filter.rules) {
    if (abi == Abi::I386) {
      append_i386(rule, out);
    } else if (abi == Abi::X86_64) {
      const auto nr = rule.nr >= 0 ? std::optional<std::uint32_t>(rule.nr) : number_on_abi(Abi::X86_64, rule.syscall);
      if (nr && *nr < kX32Bit) out.push_back({*nr, rule.conditions, rule.action, &rule});
    } else if (const auto nr = number_on_abi(Abi::X32, rule.syscall); nr && (*nr & kX32Bit)) {
      out.push_back({*nr, narrowed_to_32_bits(rule.conditions), rule.action, &rule});
    }
  }
  return out;
}

namespace {
AbiCall direct_call(std::uint32_t nr) {
  AbiCall call;
  call.nr = nr;
  return call;
}
}  // namespace

std::vector<AbiCall> abi_calls(const std::string& name, Abi abi) {
  std::vector<AbiCall> out;
  if (abi == Abi::X86_64) {
    if (const auto nr = number_on_abi(Abi::X86_64, name); nr && *nr < kX32Bit) out.push_back(direct_call(*nr));
  } else if (abi == Abi::X32) {
    if (const auto nr = number_on_abi(Abi::X32, name); nr && (*nr & kX32Bit)) out.push_back(direct_call(*nr));
  } else {
    const int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name.c_str());
    if (nr >= 0) return {direct_call(static_cast<std::uint32_t>(nr))};
    if (nr == __NR_SCMP_ERROR) {  // newer than libseccomp: the generated table's number, if any
      if (const auto generated = plan::syscall_number(plan::SyscallAbi::I386, name)) return {direct_call(*generated)};
    }
    for (const Multiplexer* mux : {&kSocketcall, &kIpc}) {
      if (nr == __NR_SCMP_ERROR || -nr < mux->first || -nr > mux->last) continue;
      const auto direct = i386_direct_numbers().find(nr);
      if (direct != i386_direct_numbers().end()) out.push_back(direct_call(direct->second));
      out.push_back({*number_on_abi(Abi::I386, mux->name), true, static_cast<std::uint32_t>(-nr - mux->pseudo_base),
                     mux->name});
    }
  }
  return out;
}

ReferenceFilter::ReferenceFilter(const Filter& filter)
    : filter_(filter),
      x32_(abi_allowed(filter, Abi::X32)),
      i386_(abi_allowed(filter, Abi::I386)),
      enosys_(unknown_numbers_get_enosys(filter)),
      x86_64_(rules_for_abi(filter, Abi::X86_64)),
      x32_rules_(x32_ ? rules_for_abi(filter, Abi::X32) : std::vector<AbiRule>{}),
      i386_rules_(i386_ ? rules_for_abi(filter, Abi::I386) : std::vector<AbiRule>{}) {}

const std::vector<AbiRule>& ReferenceFilter::rules(Abi abi) const {
  return abi == Abi::X86_64 ? x86_64_ : abi == Abi::X32 ? x32_rules_ : i386_rules_;
}

std::uint32_t ReferenceFilter::first_match(const std::vector<AbiRule>& rules, std::uint32_t nr,
                                           const std::array<std::uint64_t, 6>& args) const {
  for (const AbiRule& rule : rules) {
    if (rule.nr != nr) continue;
    const bool holds = std::all_of(rule.conditions.begin(), rule.conditions.end(),
                                   [&](const ArgCondition& c) { return condition_holds(c, args); });
    if (holds) return seccomp_ret(rule.action);
  }
  return seccomp_ret(filter_.default_action);
}

std::uint32_t ReferenceFilter::decide(Abi abi, const std::vector<AbiRule>& rules, std::uint32_t nr,
                                      const std::array<std::uint64_t, 6>& args) const {
  if (enosys_) {
    const auto& unknown = unknown_numbers(abi);
    const bool is_unknown = std::any_of(unknown.begin(), unknown.end(), [&](const NumberRange& r) {
      return nr >= r.lo && nr <= r.hi;
    });
    const bool named = std::any_of(rules.begin(), rules.end(), [&](const AbiRule& r) { return r.nr == nr; });
    if (is_unknown && !named) return seccomp_ret(kUnknownSyscallAction);
  }
  return first_match(rules, nr, args);
}

std::uint32_t ReferenceFilter::verdict(const bpf::SeccompData& call) const {
  const auto nr = static_cast<std::uint32_t>(call.nr);
  if (call.arch == bpf::kAuditArchX86_64) {
    if (nr >= kX32Bit && nr != kSkipNr) {
      return x32_ ? decide(Abi::X32, x32_rules_, nr, call.args) : seccomp_ret(filter_.bad_arch_action);
    }
    return decide(Abi::X86_64, x86_64_, nr, call.args);
  }
  if (call.arch == bpf::kAuditArchI386 && i386_) return decide(Abi::I386, i386_rules_, nr, call.args);
  return seccomp_ret(filter_.bad_arch_action);
}

}  // namespace policyc::seccomp

namespace policyc::seccomp {

bool is_unknown_number(Abi abi, std::uint32_t nr) {
  const auto& ranges = unknown_numbers(abi);
  return std::any_of(ranges.begin(), ranges.end(), [&](const NumberRange& r) { return r.lo <= nr && nr <= r.hi; });
}

}  // namespace policyc::seccomp
