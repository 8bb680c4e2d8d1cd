// SPDX-License-Identifier: Apache-2.0
#include "compiler/bpf/explain.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/bpf/frequency.h"
#include "plan/syscall_table.h"

namespace policyc::seccomp {
namespace {

std::string x86_64_name(std::uint32_t nr) {
  const std::uint32_t arch = (nr & 0x40000000U) ? SCMP_ARCH_X32 : SCMP_ARCH_X86_64;
  if ((nr & ~0x40000000U) >= 1024) return "";
  char* text = seccomp_syscall_resolve_num_arch(arch, static_cast<int>(nr));
  std::string name = text ? text : "";
  std::free(text);
  if (name.empty()) {  // newer than libseccomp (mseal...): the generated table's name
    name = plan::syscall_name((nr & 0x40000000U) ? plan::SyscallAbi::X32 : plan::SyscallAbi::X86_64, nr);
  }
  return name;
}

// The kernel's seccomp_is_const_allow(): run with only nr and arch known; anything else
// (argument loads, other ALU ops, X, scratch memory) means "cannot tell".
bool const_allow(const std::vector<sock_filter>& program, std::uint32_t nr, std::uint32_t arch) {
  std::uint32_t a = 0;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (insn.k == 0) a = nr;
        else if (insn.k == 4) a = arch;
        else return false;
        break;
      case BPF_RET | BPF_K: return insn.k == SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA: pc += insn.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a == insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += a > insn.k ? insn.jt : insn.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & insn.k) ? insn.jt : insn.jf; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= insn.k; break;
      default: return false;
    }
  }
  return false;  // ran off the end
}

std::string describe_ret(std::uint32_t ret) {
  const std::uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return "allow";
    case SECCOMP_RET_ERRNO: return "errno(" + std::to_string(data) + ")";
    case SECCOMP_RET_KILL_PROCESS: return "kill_process";
    case SECCOMP_RET_KILL_THREAD: return "kill_thread";
    case SECCOMP_RET_TRAP: return "trap";
    case SECCOMP_RET_LOG: return "log";
    case SECCOMP_RET_TRACE: return "trace(" + std::to_string(data) + ")";
    case SECCOMP_RET_USER_NOTIF: return "notify";
  }
  char text[32];
  std::snprintf(text, sizeof text, "ret 0x%08x", ret);
  return text;
}

const std::vector<std::array<std::uint64_t, 6>>& edge_argument_sets() {
  static const std::vector<std::array<std::uint64_t, 6>> sets = [] {
    std::vector<std::array<std::uint64_t, 6>> out;
    for (std::uint64_t v : {1ULL, ~0ULL, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
                            0xffffffff00000000ULL, 0x8000000000000000ULL}) {
      out.push_back({v, v, v, v, v, v});
    }
    return out;
  }();
  return sets;
}

// What A holds before each instruction (nr, arch, an argument word, or several/unknown), for
// the listing's comments. Jumps only go forward, so one pass in order is enough.
std::vector<int> a_sources(const std::vector<sock_filter>& program) {
  constexpr int kUnset = -2, kMixed = -1;
  std::vector<int> before(program.size() + 1, kUnset);
  if (!program.empty()) before[0] = kMixed;
  auto merge = [&](std::size_t at, int source) {
    if (at >= before.size()) return;
    before[at] = before[at] == kUnset || before[at] == source ? source : kMixed;
  };
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    int after = before[pc];
    if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) after = static_cast<int>(insn.k);
    else if (BPF_CLASS(insn.code) != BPF_JMP && BPF_CLASS(insn.code) != BPF_RET) after = kMixed;
    if (BPF_CLASS(insn.code) == BPF_RET) continue;
    if (insn.code == (BPF_JMP | BPF_JA)) merge(pc + 1 + insn.k, after);
    else if (BPF_CLASS(insn.code) == BPF_JMP) merge(pc + 1 + insn.jt, after), merge(pc + 1 + insn.jf, after);
    else merge(pc + 1, after);
  }
  return before;
}

std::string comment_for(const sock_filter& insn, int a_source) {
  if (BPF_CLASS(insn.code) == BPF_RET && BPF_RVAL(insn.code) == BPF_K) return describe_ret(insn.k);
  if (BPF_CLASS(insn.code) != BPF_JMP || BPF_OP(insn.code) == BPF_JA) return "";
  if (a_source == 4) {
    if (insn.k == AUDIT_ARCH_X86_64) return "x86_64 (x32 too)";
    if (insn.k == AUDIT_ARCH_I386) return "i386";
    return "";
  }
  if (a_source == 0) {
    const std::string name = x86_64_name(insn.k);
    if (BPF_OP(insn.code) == BPF_JEQ) return name.empty() ? "" : "nr == " + name;
    if (insn.k == 0x40000000U) return "x32 numbers";
    return name.empty() ? "" : std::string(BPF_OP(insn.code) == BPF_JGE ? "nr >= " : "nr > ") + name;
  }
  return "";
}

}  // namespace

const std::vector<int>& known_x86_64_syscalls() {
  static const std::vector<int> numbers = [] {
    std::vector<int> out;
    for (int nr = 0; nr < 1024; ++nr) {
      if (!x86_64_name(static_cast<std::uint32_t>(nr)).empty()) out.push_back(nr);
    }
    return out;
  }();
  return numbers;
}

std::vector<bool> kernel_cache_allows(const std::vector<sock_filter>& program, std::uint32_t arch, std::size_t count) {
  std::vector<bool> allowed(count);
  for (std::size_t nr = 0; nr < count; ++nr) allowed[nr] = const_allow(program, static_cast<std::uint32_t>(nr), arch);
  return allowed;
}

namespace {

// Most instructions over the numbers first..last of another ABI, arguments 0 and edge values.
std::size_t abi_worst(const std::vector<sock_filter>& program, std::uint32_t arch, std::uint32_t base, int last) {
  std::size_t worst = 0;
  for (int nr = 0; nr <= last; ++nr) {
    bpf::SeccompData data;
    data.nr = static_cast<int>(base | static_cast<std::uint32_t>(nr));
    data.arch = arch;
    if (const auto verdict = bpf::run(program, data)) worst = std::max(worst, verdict->executed);
    for (const auto& args : edge_argument_sets()) {
      data.args = args;
      if (const auto verdict = bpf::run(program, data)) worst = std::max(worst, verdict->executed);
    }
  }
  return worst;
}

}  // namespace

FilterCost measure_filter(const std::vector<sock_filter>& program, const FrequencyProfile& profile) {
  FilterCost cost;
  cost.instructions = program.size();
  const std::vector<int>& numbers = known_x86_64_syscalls();
  const std::vector<bool> cache = kernel_cache_allows(program, AUDIT_ARCH_X86_64, 1024);
  const std::vector<double> weights = weights_by_nr(profile, 1024);
  double weight_total = 0, weighted = 0, sum = 0;
  for (int nr : numbers) {
    SyscallCost call;
    call.nr = nr;
    call.name = x86_64_name(static_cast<std::uint32_t>(nr));
    bpf::SeccompData data;
    data.nr = nr;
    const std::optional<bpf::Verdict> plain = bpf::run(program, data, &cost.error);
    if (!plain) {
      cost.valid = false;
      return cost;
    }
    call.ret = plain->ret;
    call.executed = call.worst = plain->executed;
    for (const auto& args : edge_argument_sets()) {
      data.args = args;
      const std::optional<bpf::Verdict> verdict = bpf::run(program, data, &cost.error);
      if (!verdict) {
        cost.valid = false;
        return cost;
      }
      call.worst = std::max(call.worst, verdict->executed);
      call.arg_dependent = call.arg_dependent || verdict->ret != plain->ret;
    }
    const auto index = static_cast<std::size_t>(nr);  // known numbers are 0..1023
    call.cache_allowed = cache[index];
    if (call.ret == SECCOMP_RET_ALLOW && !call.arg_dependent) {
      ++cost.allowed_arg_free;
      if (call.cache_allowed) ++cost.cache_allowed;
    }
    if (call.worst > cost.worst) cost.worst = call.worst, cost.worst_nr = nr;
    sum += static_cast<double>(call.executed);
    weighted += weights[index] * static_cast<double>(call.executed);
    weight_total += weights[index];
    cost.syscalls.push_back(std::move(call));
  }
  cost.mean = numbers.empty() ? 0 : sum / static_cast<double>(numbers.size());
  cost.weighted = weight_total > 0 ? weighted / weight_total : cost.mean;
  cost.x32_worst = abi_worst(program, AUDIT_ARCH_X86_64, 0x40000000U, 547);
  cost.i386_worst = abi_worst(program, AUDIT_ARCH_I386, 0, 511);
  return cost;
}

std::string explain_filter(const std::vector<sock_filter>& program, const FrequencyProfile& profile,
                           const std::string& title) {
  std::ostringstream out;
  out << "# " << title << ": " << program.size() << " BPF instructions\n\n## Listing\n";
  std::set<std::size_t> targets;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const sock_filter& insn = program[pc];
    if (insn.code == (BPF_JMP | BPF_JA)) targets.insert(pc + 1 + insn.k);
    else if (BPF_CLASS(insn.code) == BPF_JMP) targets.insert(pc + 1 + insn.jt), targets.insert(pc + 1 + insn.jf);
  }
  const std::vector<int> sources = a_sources(program);
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    if (targets.count(pc)) out << "L" << pc << ":\n";
    std::string line = "  " + bpf::disassemble(program[pc], pc);
    const std::string comment = comment_for(program[pc], sources[pc]);
    if (!comment.empty()) line += std::string(line.size() < 44 ? 44 - line.size() : 1, ' ') + "# " + comment;
    out << line << "\n";
  }
  const FilterCost cost = measure_filter(program, profile);
  if (!cost.valid) {
    out << "\nthe filter does not run: " << cost.error << "\n";
    return out.str();
  }
  out << "\n## Per syscall (x86_64; path = instructions executed with arguments 0, worst = over edge "
         "argument values; cache = skipped by the kernel's seccomp cache)\n";
  char row[512];
  std::snprintf(row, sizeof row, "%5s  %-24s %-18s %5s %6s  %s\n", "nr", "name", "verdict (args 0)", "path", "worst", "cache");
  out << row;
  for (const SyscallCost& call : cost.syscalls) {
    const std::string verdict = describe_ret(call.ret) + (call.arg_dependent ? " *" : "");
    std::snprintf(row, sizeof row, "%5d  %-24s %-18s %5zu %6zu  %s\n", call.nr, call.name.c_str(), verdict.c_str(),
                  call.executed, call.worst, call.cache_allowed ? "yes" : "-");
    out << row;
  }
  std::snprintf(row, sizeof row,
                "\n## Summary\ninstructions: %zu\nworst case: %zu (%s)\nmean over %zu syscalls: %.2f\n"
                "expected on the profile: %.2f\nalways-allowed syscalls: %zu, skipped by the kernel cache: %zu\n"
                "worst case of x32 calls: %zu; of i386 calls: %zu\n",
                cost.instructions, cost.worst, x86_64_name(static_cast<std::uint32_t>(cost.worst_nr)).c_str(),
                cost.syscalls.size(), cost.mean, cost.weighted, cost.allowed_arg_free, cost.cache_allowed,
                cost.x32_worst, cost.i386_worst);
  out << row << "(* = the verdict depends on the arguments)\n";
  return out.str();
}

}  // namespace policyc::seccomp
