// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/query.h"

#include <fstream>
#include <map>
#include <sstream>

#include "compiler/diag/diagnostics.h"
#include "compiler/query/bpf_explore.h"
#include "compiler/query/describe.h"
#include "compiler/query/ir_explore.h"
#include "compiler/query/syscall_abi.h"
#include "compiler/seccomp/syscalls.h"

namespace policyc::query {
namespace {

using seccomp::Abi;

// A plan does not list its arches: it serves an ABI when some common call of it gets another
// verdict than a call from a foreign arch (what a refused arch gets). Only decides whether
// the ABI is shown; the verdicts shown are exact either way.
bool bpf_serves(const std::vector<sock_filter>& program, Abi abi, std::uint32_t queried_nr) {
  bpf::SeccompData foreign;
  foreign.arch = bpf::kAuditArchAarch64;
  const auto refused = bpf::run(program, foreign);
  if (!refused) return true;
  std::vector<std::uint32_t> probes{queried_nr};
  for (const char* name : {"read", "write", "close", "exit_group", "getpid", "rt_sigreturn"}) {
    if (auto nr = syscall_number(abi, name)) probes.push_back(*nr);
  }
  for (std::uint32_t nr : probes) {
    bpf::SeccompData call;
    call.arch = audit_arch(abi);
    call.nr = static_cast<int>(nr);
    const auto verdict = bpf::run(program, call);
    if (!verdict || verdict->ret != refused->ret) return true;
  }
  return false;
}

std::vector<QueryTarget> targets_on(Abi abi, const Call& call) {
  std::vector<QueryTarget> out;
  std::array<std::optional<std::uint64_t>, 6> known{};
  for (std::size_t i = 0; i < 6; ++i) {
    if (call.args[i].kind != ArgKind::Value) continue;
    // i386 hands the filter 32-bit arguments, zero-extended.
    known[i] = abi == Abi::I386 ? call.args[i].value & 0xffffffffULL : call.args[i].value;
  }
  if (const auto nr = syscall_number(abi, call.name)) out.push_back({abi, abi_name(abi), *nr, known});
  if (abi == Abi::I386) {
    if (const auto mux = i386_multiplexed(call.name)) {
      QueryTarget t{abi, std::string("x86 via ") + mux->multiplexer + "(" + std::to_string(mux->call) + ", ...)", mux->nr, {}};
      t.known[0] = mux->call;
      out.push_back(t);
    }
  }
  return out;
}

std::vector<Case> ir_cases(const seccomp::Filter& filter, const QueryTarget& t) {
  IrSide side = ir_side(seccomp::rules_for_abi(filter, t.abi), t.nr, filter, t.abi);
  fix_arguments(side, t.known);
  return explore_ir({side}, [](const std::vector<Outcome>&) { return true; });
}

std::vector<Case> bpf_cases(const std::vector<sock_filter>& program, const QueryTarget& t) {
  Words words{};
  words[kWordArch] = audit_arch(t.abi);
  words[kWordNr] = t.nr;
  words[2] = 0;  // the instruction pointer: no filter policyc reads tests it
  words[3] = 0;
  for (unsigned arg = 0; arg < 6; ++arg) {
    if (t.known[arg]) {
      words[arg_low_word(arg)] = static_cast<std::uint32_t>(*t.known[arg]);
      words[arg_high_word(arg)] = static_cast<std::uint32_t>(*t.known[arg] >> 32);
    } else if (t.abi == Abi::I386) {
      words[arg_high_word(arg)] = 0;
    }
  }
  return explore_bpf({&program}, words, [](const std::vector<Outcome>&) { return true; });
}

Case refused_case(std::uint32_t ret) {
  Case c;
  c.outcomes.push_back({ret, nullptr});
  return c;
}

const std::vector<std::string>* file_lines(const std::string& path) {
  static std::map<std::string, std::vector<std::string>> cache;
  if (const auto it = cache.find(path); it != cache.end()) return it->second.empty() ? nullptr : &it->second;
  std::vector<std::string>& lines = cache[path];
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines.empty() ? nullptr : &lines;
}

std::string source_line(const std::string& file, unsigned line) {
  const auto* lines = file_lines(file);
  if (!lines || line == 0 || line > lines->size()) return {};
  std::string text = (*lines)[line - 1];
  text.erase(0, text.find_first_not_of(" \t"));
  // `seccomp default errno(EPERM) {`: the block's brace says nothing here.
  while (!text.empty() && (text.back() == '{' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string constraints_text(const std::string& syscall, const QueryAnswer& answer, const Case& c) {
  std::vector<std::string> parts;
  if (answer.by_bpf) {
    parts = word_constraints_text(syscall, c.constraints);
  } else {
    for (const Constraint& k : c.constraints) parts.push_back(arg_constraint_text(syscall, k));
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " && ") + p;
  return out;
}

std::string open_arguments(const Call& call) {
  std::string pointers, others;
  for (std::size_t i = 0; i < 6; ++i) {
    std::string& list = call.args[i].kind == ArgKind::Pointer ? pointers : others;
    if (call.args[i].kind == ArgKind::Value) continue;
    list += (list.empty() ? "arg" : ", arg") + std::to_string(i);
  }
  std::string out;
  if (!pointers.empty()) out = "any pointer value of " + pointers;
  if (!others.empty()) out += (out.empty() ? "any value of " : " and any value of ") + others;
  return out;
}

std::string call_echo(const Call& call) {
  std::string out = call.name + "(";
  for (std::size_t i = 0; i < call.written; ++i) {
    const CallArg& a = call.args[i];
    out += i ? ", " : "";
    out += a.kind == ArgKind::Pointer ? "<any pointer>" : value_text(call.name, static_cast<unsigned>(i), a.value);
  }
  return out + (call.written < 6 ? (call.written ? ", ...)" : "...)") : ")");
}

std::vector<QueryAnswer> answer_query(const FilterSource& source, const Call& call) {
  bool known_somewhere = false;
  for (Abi abi : kAbis) known_somewhere = known_somewhere || !targets_on(abi, call).empty();
  if (!known_somewhere) {
    std::string message = "unknown system call \"" + call.name + "\"";
    const std::string guess = did_you_mean(call.name, seccomp::all_syscall_names());
    if (!guess.empty()) message += "; did you mean " + guess + "?";
    throw QueryError{message};
  }
  std::vector<QueryAnswer> out;
  for (Abi abi : kAbis) {
    const std::vector<QueryTarget> targets = targets_on(abi, call);
    const std::uint32_t probe_nr = targets.empty() ? 0 : targets.front().nr;
    const bool served = source.filter ? seccomp::abi_allowed(*source.filter, abi) : bpf_serves(source.program, abi, probe_nr);
    if (abi != Abi::X86_64 && !served) continue;
    if (targets.empty()) {
      out.push_back({{abi, abi_name(abi), 0, {}}, served, false, {}});
      continue;
    }
    for (const QueryTarget& t : targets) {
      QueryAnswer answer{t, served, !source.filter, {}};
      if (!served && source.filter) answer.cases.push_back(refused_case(seccomp::seccomp_ret(source.filter->bad_arch_action)));
      else answer.cases = source.filter ? ir_cases(*source.filter, t) : bpf_cases(source.program, t);
      out.push_back(std::move(answer));
    }
  }
  return out;
}

std::string rule_text(const FilterSource& source, const Outcome& outcome) {
  if (!source.filter) return {};
  if (const seccomp::Rule* rule = outcome.rule) {
    std::string text = source_line(rule->where.file, rule->where.line);
    if (text.empty()) text = ret_text(outcome.ret) + " " + rule->syscall + (rule->conditions.empty() ? "" : " if ...");
    if (!rule->comment.empty() && text.find('#') == std::string::npos) text += "  # " + rule->comment;
    return rule->where.file + ":" + std::to_string(rule->where.line) + ": " + text;
  }
  if (source.default_where) {
    const std::string text = source_line(source.default_where->file, source.default_where->line);
    return source.default_where->file + ":" + std::to_string(source.default_where->line) + ": " +
           (text.empty() ? "default " + ret_text(outcome.ret) : text) + "  (the default)";
  }
  return source.name + ": the default action";
}

std::string render_query(const FilterSource& source, const Call& call, const std::vector<QueryAnswer>& answers) {
  std::ostringstream out;
  out << call_echo(call) << "\n";
  const std::string open = open_arguments(call);
  for (const QueryAnswer& a : answers) {
    if (a.cases.empty()) {
      out << a.target.label << ": " << call.name << " is not a system call of this arch\n";
      continue;
    }
    auto verdict = [&](const Outcome& o) {
      const std::string rule = rule_text(source, o);
      return ret_text(o.ret) + (rule.empty() ? "" : "  [" + rule + "]");
    };
    if (!a.served) {
      out << a.target.label << ": " << ret_text(a.cases.front().outcomes.front().ret) << "  (the filter does not serve this arch)\n";
    } else if (a.cases.size() == 1) {
      out << a.target.label << ": " << verdict(a.cases.front().outcomes.front()) << "\n";
      if (!open.empty()) out << "    holds for " << open << "\n";
    } else {
      out << a.target.label << ": depends on arguments the call leaves open:\n";
      for (const Case& c : a.cases) {
        out << "    " << constraints_text(call.name, a, c) << ": " << verdict(c.outcomes.front()) << "\n";
      }
    }
  }
  if (!source.filter) {
    out << "note: " << source.name << " is a plan: verdicts come from its BPF program; rule lines come only from a "
        << "policy (query the .pol to see them)\n";
  }
  return out.str();
}

}  // namespace policyc::query
