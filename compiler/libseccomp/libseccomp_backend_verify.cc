// SPDX-License-Identifier: Apache-2.0
#include "compiler/libseccomp/libseccomp_backend_verify.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/libseccomp/libseccomp_backend_rules.h"
#include "compiler/seccomp/abi.h"

namespace policyc::seccomp {
namespace {

constexpr std::size_t kMaxPointsPerSyscall = 4096;

// Values of one argument worth trying: each constant, its neighbours, its sign-extended and
// zero-extended forms (the u32() pitfall), and values that flip the lowest/highest mask bit.
using ConditionSets = std::vector<const std::vector<ArgCondition>*>;  // the rules of one call

std::vector<std::uint64_t> candidates(const ConditionSets& rules, unsigned arg) {
  std::set<std::uint64_t> values{0, 1, ~std::uint64_t{0}, 0xffffffffULL, 0x80000000ULL};
  for (const auto* conditions : rules) {
    for (const ArgCondition& c : *conditions) {
      if (c.arg != arg) continue;
      std::uint64_t v = c.value;
      for (std::uint64_t x : {v, v - 1, v + 1}) {
        values.insert(x);
        values.insert(x & 0xffffffffULL);
        values.insert(x | 0xffffffff00000000ULL);
      }
      // libseccomp compares 64-bit values as two 32-bit words: try the neighbouring high
      // words with low words on both sides of the sign bit.
      std::uint64_t high = v >> 32, low = v & 0xffffffffULL;
      for (std::uint64_t h : {high - 1, high, high + 1}) {
        for (std::uint64_t l : {std::uint64_t{0}, low - 1, low, low + 1, std::uint64_t{0x7fffffff},
                                std::uint64_t{0x80000000}, std::uint64_t{0xffffffff}}) {
          values.insert((h << 32) | (l & 0xffffffffULL));
        }
      }
      if (is_masked(c) && c.mask != 0) {
        const std::uint64_t lowest_bit = c.mask & (~c.mask + 1);
        const std::uint64_t highest_bit = std::uint64_t{1} << (63 - __builtin_clzll(c.mask));
        for (std::uint64_t x : {v ^ lowest_bit, v ^ highest_bit, v | ~c.mask, (v | ~c.mask) ^ lowest_bit}) {
          values.insert(x);
          values.insert(x & 0xffffffffULL);
        }
      }
    }
  }
  return {values.begin(), values.end()};
}

// A small deterministic generator, so a failure is reproducible.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

std::vector<std::array<std::uint64_t, 6>> points_for(const ConditionSets& rules, std::uint64_t seed) {
  std::array<std::vector<std::uint64_t>, 6> per_arg;
  std::size_t product = 1;
  for (unsigned arg = 0; arg < 6; ++arg) {
    bool used = std::any_of(rules.begin(), rules.end(), [&](const auto* conditions) {
      return std::any_of(conditions->begin(), conditions->end(), [&](const ArgCondition& c) { return c.arg == arg; });
    });
    per_arg[arg] = used ? candidates(rules, arg) : std::vector<std::uint64_t>{0};
    product = std::min<std::size_t>(product * per_arg[arg].size(), kMaxPointsPerSyscall + 1);
  }
  std::vector<std::array<std::uint64_t, 6>> points;
  if (product <= kMaxPointsPerSyscall) {
    std::array<std::size_t, 6> index{};
    while (true) {
      std::array<std::uint64_t, 6> p;
      for (unsigned a = 0; a < 6; ++a) p[a] = per_arg[a][index[a]];
      points.push_back(p);
      unsigned a = 0;
      while (a < 6 && ++index[a] == per_arg[a].size()) index[a++] = 0;
      if (a == 6) break;
    }
    return points;
  }
  SplitMix random{seed};
  for (std::size_t n = 0; n < kMaxPointsPerSyscall; ++n) {
    std::array<std::uint64_t, 6> p;
    for (unsigned a = 0; a < 6; ++a) p[a] = per_arg[a][random.next() % per_arg[a].size()];
    points.push_back(p);
  }
  return points;
}

std::string describe_call(const std::string& name, const std::array<std::uint64_t, 6>& args) {
  std::ostringstream out;
  out << name << "(" << std::hex;
  for (unsigned a = 0; a < 6; ++a) out << (a ? ", " : "") << "0x" << args[a];
  out << ")";
  return out.str();
}

std::string describe_ret(std::uint32_t ret) {
  std::ostringstream out;
  out << "0x" << std::hex << ret;
  return out.str();
}

bool check(const std::vector<sock_filter>& program, bpf::SeccompData data, std::uint32_t want,
           const std::string& what, const Location& where, const std::string& backend_name,
           Diagnostics& diags) {
  std::string error;
  std::optional<bpf::Verdict> got = bpf::run(program, data, &error);
  if (got && got->ret == want) return true;
  diags.error(where,
              "the " + backend_name + " backend's filter gives " + (got ? describe_ret(got->ret) : error) +
                  " for " + what + " where the policy says " + describe_ret(want),
              "this is a backend limitation or bug, caught before the filter was written; "
              "rewrite the overlapping rules for this syscall, or try the other backend");
  return false;
}

Location where_of(const Rule& rule) { return {rule.where.file, rule.where.line, rule.where.column, 1}; }

}  // namespace

namespace {

// Every call the rules of one ABI name, on argument values around their constants.
bool verify_abi(const std::vector<sock_filter>& program, const ReferenceFilter& reference, Abi abi,
                std::uint32_t audit_arch, const std::string& backend_name, Diagnostics& diags) {
  std::map<std::uint32_t, std::vector<const AbiRule*>> by_nr;
  for (const AbiRule& rule : reference.rules(abi)) by_nr[rule.nr].push_back(&rule);
  const char* abi_name = abi == Abi::X86_64 ? "" : abi == Abi::X32 ? " (x32)" : " (i386)";
  for (const auto& [nr, group] : by_nr) {
    ConditionSets sets;
    for (const AbiRule* rule : group) sets.push_back(&rule->conditions);
    for (const auto& args : points_for(sets, nr + 1)) {
      bpf::SeccompData data;
      data.nr = static_cast<int>(nr);
      data.arch = audit_arch;
      data.args = args;
      if (!check(program, data, reference.verdict(data), describe_call(group.front()->source->syscall + abi_name, args),
                 where_of(*group.front()->source), backend_name, diags)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool verify_filter(const Filter& filter, const std::vector<sock_filter>& program,
                   const std::string& backend_name, Diagnostics& diags) {
  // Every ABI the filter allows (the reference holds no rules for the others).
  const ReferenceFilter reference(filter);
  if (!verify_abi(program, reference, Abi::X86_64, bpf::kAuditArchX86_64, backend_name, diags) ||
      !verify_abi(program, reference, Abi::X32, bpf::kAuditArchX86_64, backend_name, diags) ||
      !verify_abi(program, reference, Abi::I386, bpf::kAuditArchI386, backend_name, diags)) {
    return false;
  }
  // Numbers no rule names, far numbers, and the arch guard.
  std::vector<bpf::SeccompData> others;
  for (int nr : {0, 1, 39, 60, 102, 117, 231, 334, 335, 400, 511, 1023, -1}) {
    for (std::uint32_t arch : {bpf::kAuditArchX86_64, bpf::kAuditArchI386, bpf::kAuditArchAarch64}) {
      bpf::SeccompData data;
      data.nr = nr;
      data.arch = arch;
      others.push_back(data);
    }
    bpf::SeccompData x32;
    x32.nr = nr | bpf::kX32SyscallBit;
    others.push_back(x32);
  }
  // Both edges of the numbers newer than the syscall tables (ENOSYS in a refusing filter).
  for (const auto& [abi, arch] : {std::pair{Abi::X86_64, bpf::kAuditArchX86_64}, std::pair{Abi::X32, bpf::kAuditArchX86_64},
                                  std::pair{Abi::I386, bpf::kAuditArchI386}}) {
    for (const NumberRange& r : unknown_numbers(abi)) {
      for (std::uint32_t nr : {r.lo - 1, r.lo, r.hi, r.hi + 1}) {
        bpf::SeccompData data;
        data.nr = static_cast<int>(nr);
        data.arch = arch;
        others.push_back(data);
      }
    }
  }
  for (const bpf::SeccompData& data : others) {
    const bool x32 = data.arch == bpf::kAuditArchX86_64 && (data.nr & bpf::kX32SyscallBit) && data.nr != -1;
    const char* abi = x32 ? "x32" : data.arch == bpf::kAuditArchX86_64 ? "x86_64" : data.arch == bpf::kAuditArchI386 ? "i386" : "aarch64";
    const std::string what = std::string("an ") + abi + " call of syscall " + std::to_string(data.nr);
    if (!check(program, data, reference.verdict(data), what, {}, backend_name, diags)) return false;
  }
  return true;
}

}  // namespace policyc::seccomp
