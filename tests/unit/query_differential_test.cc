// SPDX-License-Identifier: Apache-2.0
// query and diff against the BPF interpreter on random filters (the codegen differential
// tests' generator): every case they report holds for every call it covers (its witness and
// random fillings of the open arguments, run through the compiled BPF), the cases cover every
// probe call exactly once, and the two engines (IR, and BPF for plans) agree.
//   POLICYC_QUERY_ITERATIONS=N  random filters (default 100)
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <set>

#include "compiler/backend/backend.h"
#include "compiler/bpf/bpf_interp.h"
#include "compiler/query/bpf_explore.h"
#include "compiler/query/diff.h"
#include "compiler/query/query.h"
#include "compiler/query/syscall_abi.h"
#include "compiler/seccomp/abi.h"
#include "tests/support/random_policy.h"

namespace policyc::query {
namespace {

using seccomp::Abi;

std::size_t iterations() {
  const char* text = std::getenv("POLICYC_QUERY_ITERATIONS");
  return text && *text ? std::strtoull(text, nullptr, 10) : 100;
}

testing::RandomFilterOptions options() {
  testing::RandomFilterOptions o;
  o.max_rules = 14;
  o.syscall_pool = 6;
  o.max_conditions = 3;
  return o;
}

FilterSource source_of(seccomp::Filter filter, bool with_ir) {
  Diagnostics diags;
  std::vector<sock_filter> program = seccomp::compile(filter, seccomp::Backend::Policyc, diags);
  EXPECT_FALSE(program.empty());
  FilterSource out{with_ir ? "a.pol" : "a.plan", with_ir ? "policy" : "plan", std::nullopt, std::move(program), std::nullopt};
  if (with_ir) out.filter = std::move(filter);
  return out;
}

std::uint32_t bpf_ret(const std::vector<sock_filter>& program, const bpf::SeccompData& call) {
  std::string error;
  const auto verdict = bpf::run(program, call, &error);
  EXPECT_TRUE(verdict) << error;
  return verdict ? verdict->ret : 0;
}

std::uint32_t word_of(const bpf::SeccompData& call, unsigned word) {
  std::uint32_t words[16];
  static_assert(sizeof(bpf::SeccompData) == 64);
  std::memcpy(words, &call, 64);
  return words[word];
}

bool covers(const Case& c, const bpf::SeccompData& call, bool by_bpf) {
  return std::all_of(c.constraints.begin(), c.constraints.end(), [&](const Constraint& k) {
    return constraint_holds(k, by_bpf ? word_of(call, k.var) : call.args[k.var]);
  });
}

// A call of the case: its constraints' witnesses, the rest random (or as fixed by `base`).
bpf::SeccompData fill(const Case& c, bpf::SeccompData call, bool by_bpf, std::mt19937_64& rng, const std::vector<bool>& open) {
  std::uint32_t words[16];
  std::memcpy(words, &call, 64);
  for (unsigned a = 0; a < 6; ++a) {
    if (open[a]) call.args[a] = rng() % 3 == 0 ? rng() % 8 : rng();
  }
  std::memcpy(words, &call, 64);
  for (const Constraint& k : c.constraints) {
    if (by_bpf) words[k.var] = static_cast<std::uint32_t>(k.witness);
    else call.args[k.var] = k.witness;
  }
  if (by_bpf) std::memcpy(&call, words, 64);
  return call;
}

Abi abi_of(const bpf::SeccompData& call) {
  if (call.arch == bpf::kAuditArchI386) return Abi::I386;
  return static_cast<std::uint32_t>(call.nr) >= 0x40000000U && call.nr != -1 ? Abi::X32 : Abi::X86_64;
}

// --- query -------------------------------------------------------------------------------

void check_query(const FilterSource& source, std::mt19937_64& rng, const std::string& context) {
  static const char* names[] = {"socket", "openat", "read", "clone", "mmap", "ioctl", "bind", "semop", "_llseek"};
  // Calls on the syscalls the rules name, with some arguments open.
  std::vector<std::string> pool(std::begin(names), std::end(names));
  if (source.filter) {
    for (const auto& r : source.filter->rules) pool.push_back(r.syscall);
  }
  for (int q = 0; q < 6; ++q) {
    Call call;
    call.name = pool[rng() % pool.size()];
    std::vector<bool> open(6, false);
    call.written = rng() % 7;
    for (std::size_t i = 0; i < 6; ++i) {
      if (i >= call.written || rng() % 3 == 0) {
        open[i] = true;
        call.args[i].kind = i < call.written ? ArgKind::Pointer : ArgKind::Unspecified;
        continue;
      }
      call.args[i].kind = ArgKind::Value;
      call.args[i].value = rng() % 2 ? rng() % 20 : testing::edge_values()[rng() % testing::edge_values().size()];
    }
    std::vector<QueryAnswer> answers;
    try {
      answers = answer_query(source, call);
    } catch (const QueryError& e) {
      continue;  // a name no served arch has (e.g. _llseek without x86)
    }
    for (const QueryAnswer& a : answers) {
      if (a.cases.empty()) continue;
      bpf::SeccompData base;
      base.arch = audit_arch(a.target.abi);
      base.nr = static_cast<int>(a.target.nr);
      for (unsigned i = 0; i < 6; ++i) base.args[i] = a.target.known[i].value_or(0);
      std::vector<bool> open_here = open;
      for (unsigned i = 0; i < 6; ++i) open_here[i] = !a.target.known[i];
      for (const Case& c : a.cases) {
        for (int k = 0; k < 4; ++k) {
          bpf::SeccompData probe = fill(c, base, a.by_bpf, rng, open_here);
          if (a.target.abi == Abi::I386) {
            for (auto& arg : probe.args) arg &= 0xffffffffULL;  // the kernel's i386 arguments
          }
          if (!covers(c, probe, a.by_bpf)) continue;  // the random part left the case's set
          ASSERT_EQ(bpf_ret(source.program, probe), c.outcomes[0].ret)
              << context << a.target.label << " " << testing::describe_call(probe) << "\n" << render_query(source, call, answers);
        }
      }
      // Exactly one case covers any call with the known arguments.
      for (int k = 0; k < 30; ++k) {
        bpf::SeccompData probe = fill(Case{}, base, false, rng, open_here);
        if (a.target.abi == Abi::I386) {
          for (auto& arg : probe.args) arg &= 0xffffffffULL;
        }
        const auto n = std::count_if(a.cases.begin(), a.cases.end(), [&](const Case& c) { return covers(c, probe, a.by_bpf); });
        ASSERT_EQ(n, 1) << context << testing::describe_call(probe) << "\n" << render_query(source, call, answers);
        const auto hit = std::find_if(a.cases.begin(), a.cases.end(), [&](const Case& c) { return covers(c, probe, a.by_bpf); });
        ASSERT_EQ(bpf_ret(source.program, probe), hit->outcomes[0].ret) << context << testing::describe_call(probe);
      }
    }
  }
}

TEST(QueryDifferential, QueryAgreesWithTheInterpreterFromIrAndFromBpf) {
  std::mt19937_64 rng(2024);
  for (std::size_t i = 0; i < iterations(); ++i) {
    const seccomp::Filter filter = testing::random_filter(rng, options());
    const std::string context = "filter " + std::to_string(i) + ":\n" + testing::describe_filter(filter);
    check_query(source_of(filter, true), rng, context + "(by IR) ");
    check_query(source_of(filter, false), rng, context + "(by BPF) ");
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// --- diff --------------------------------------------------------------------------------

std::set<std::uint32_t> ruled_numbers(const seccomp::Filter& f, Abi abi) {
  std::set<std::uint32_t> out;
  if (!seccomp::abi_allowed(f, abi)) return out;  // a refused ABI: its rules never run
  for (const auto& r : seccomp::rules_for_abi(f, abi)) out.insert(r.nr);
  return out;
}

// The IR diff lines covering `call`, by ABI, number and argument constraints.
std::vector<const Difference*> ir_lines_for(const DiffResult& result, const bpf::SeccompData& call,
                                            const seccomp::Filter& a, const seccomp::Filter& b) {
  std::vector<const Difference*> out;
  const bool native_arch = call.arch == bpf::kAuditArchX86_64 || call.arch == bpf::kAuditArchI386;
  const Abi abi = abi_of(call);
  const auto nr = static_cast<std::uint32_t>(call.nr);
  for (const Difference& d : result.differences) {
    if (d.note) continue;
    if (d.line.starts_with("other arches")) {
      if (!native_arch) out.push_back(&d);
      continue;
    }
    if (!native_arch || d.abi != abi) continue;
    const bool neither = !seccomp::abi_allowed(a, abi) && !seccomp::abi_allowed(b, abi);
    if (d.every_syscall) {
      const bool whole_arch = neither;
      const bool unruled = !ruled_numbers(a, abi).count(nr) && !ruled_numbers(b, abi).count(nr);
      if (whole_arch || (unruled && d.unknown_numbers == seccomp::is_unknown_number(abi, nr))) out.push_back(&d);
    } else if (d.nr == nr && covers(d.change, call, false)) {
      out.push_back(&d);
    }
  }
  return out;
}

void check_diff(const seccomp::Filter& fa, const seccomp::Filter& fb, std::mt19937_64& rng, const std::string& context) {
  const FilterSource a = source_of(fa, true), b = source_of(fb, true);
  const FilterSource plan_a = source_of(fa, false), plan_b = source_of(fb, false);
  const DiffResult by_ir = diff_filters(a, b);
  const DiffResult by_bpf = diff_filters(plan_a, plan_b);
  ASSERT_TRUE(by_bpf.by_bpf);
  EXPECT_EQ(by_ir.count() == 0, by_bpf.count() == 0) << context << render_diff(a, b, by_ir) << render_diff(plan_a, plan_b, by_bpf);
  std::vector<bpf::SeccompData> calls = testing::probe_calls(fa, rng, 24);
  for (const auto& c : testing::probe_calls(fb, rng, 24)) calls.push_back(c);
  for (const bpf::SeccompData& call : calls) {
    const std::uint32_t ra = bpf_ret(a.program, call), rb = bpf_ret(b.program, call);
    // By IR: the ABI's exceptions (i386 high words) do not matter; lines cover by nr and args.
    if (call.arch != bpf::kAuditArchI386 || std::all_of(call.args.begin(), call.args.end(), [](std::uint64_t v) { return v <= 0xffffffffULL; })) {
      const auto lines = ir_lines_for(by_ir, call, fa, fb);
      if (ra == rb) {
        ASSERT_TRUE(lines.empty()) << context << testing::describe_call(call) << " same verdict, yet: " << lines.front()->line;
      } else {
        ASSERT_EQ(lines.size(), 1u) << context << testing::describe_call(call) << " " << ra << " vs " << rb << "\n"
                                    << render_diff(a, b, by_ir);
        EXPECT_EQ(lines.front()->change.outcomes[0].ret, ra) << lines.front()->line;
        EXPECT_EQ(lines.front()->change.outcomes[1].ret, rb) << lines.front()->line;
      }
    }
    // By BPF: the cases' word constraints.
    const auto hit = std::find_if(by_bpf.differences.begin(), by_bpf.differences.end(),
                                  [&](const Difference& d) { return covers(d.change, call, true); });
    if (ra == rb) {
      ASSERT_TRUE(hit == by_bpf.differences.end()) << context << testing::describe_call(call) << " covered by " << hit->line;
    } else {
      ASSERT_TRUE(hit != by_bpf.differences.end()) << context << testing::describe_call(call) << "\n" << render_diff(plan_a, plan_b, by_bpf);
      EXPECT_EQ(hit->change.outcomes[0].ret, ra);
      EXPECT_EQ(hit->change.outcomes[1].ret, rb);
    }
  }
  // Every reported BPF case holds on its witness.
  for (const Difference& d : by_bpf.differences) {
    const bpf::SeccompData call = fill(d.change, bpf::SeccompData{}, true, rng, std::vector<bool>(6, false));
    ASSERT_EQ(bpf_ret(a.program, call), d.change.outcomes[0].ret) << context << d.line;
    ASSERT_EQ(bpf_ret(b.program, call), d.change.outcomes[1].ret) << context << d.line;
  }
}

// A mutated copy: a rule dropped, an action or a condition's value changed, a rule added.
seccomp::Filter mutate(seccomp::Filter f, std::mt19937_64& rng) {
  const unsigned kind = static_cast<unsigned>(rng() % 5);
  if (f.rules.empty() || kind == 0) {
    f.default_action = {seccomp::ActionKind::Errno, static_cast<std::uint32_t>(1 + rng() % 3)};
  } else if (kind == 1) {
    f.rules.erase(f.rules.begin() + static_cast<long>(rng() % f.rules.size()));
  } else if (kind == 2) {
    f.rules[rng() % f.rules.size()].action = {seccomp::ActionKind::KillThread, 0};
  } else if (kind == 3) {
    auto& rule = f.rules[rng() % f.rules.size()];
    if (!rule.conditions.empty()) rule.conditions[rng() % rule.conditions.size()].value += 1;
  } else {
    f.arches = rng() % 2 ? std::vector<std::string>{"x86_64", "x86"} : std::vector<std::string>{"x86_64"};
  }
  return f;
}

TEST(QueryDifferential, DiffOfAFilterWithItselfIsEmpty) {
  std::mt19937_64 rng(99);
  for (std::size_t i = 0; i < iterations(); ++i) {
    const seccomp::Filter filter = testing::random_filter(rng, options());
    EXPECT_TRUE(diff_filters(source_of(filter, true), source_of(filter, true)).count() == 0) << testing::describe_filter(filter);
    EXPECT_TRUE(diff_filters(source_of(filter, false), source_of(filter, false)).count() == 0) << testing::describe_filter(filter);
    // Compiled by libseccomp instead: the same verdicts, other BPF. Only when its 32-bit
    // comparisons are equalities: it rewrites 32-bit ranges bit by bit, which splits into
    // more cases than the BPF engine's limit.
    const bool u32_ranges = std::any_of(filter.rules.begin(), filter.rules.end(), [](const seccomp::Rule& r) {
      return std::any_of(r.conditions.begin(), r.conditions.end(), [](const seccomp::ArgCondition& c) {
        return c.width == 32 && c.op != seccomp::CmpOp::Eq && c.op != seccomp::CmpOp::Ne;
      });
    });
    if (u32_ranges) continue;
    Diagnostics diags;
    const auto theirs = seccomp::compile(filter, seccomp::Backend::Libseccomp, diags);
    if (theirs.empty()) continue;
    FilterSource other{"b.plan", "plan", std::nullopt, theirs, std::nullopt};
    DiffResult r;
    try {
      r = diff_filters(source_of(filter, false), other);
    } catch (const QueryError& e) {
      FAIL() << e.message << "\n" << testing::describe_filter(filter);
    }
    EXPECT_EQ(r.count(), 0u) << testing::describe_filter(filter) << render_diff(source_of(filter, false), other, r);
  }
}

TEST(QueryDifferential, DiffCoversExactlyTheCallsDecidedDifferently) {
  std::mt19937_64 rng(4242);
  for (std::size_t i = 0; i < iterations(); ++i) {
    const seccomp::Filter a = testing::random_filter(rng, options());
    const seccomp::Filter b = rng() % 3 == 0 ? testing::random_filter(rng, options()) : mutate(a, rng);
    check_diff(a, b, rng, "A:\n" + testing::describe_filter(a) + "B:\n" + testing::describe_filter(b));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace policyc::query
