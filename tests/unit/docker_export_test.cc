// SPDX-License-Identifier: Apache-2.0
// export-docker on hand-made filters: first-match order rewritten into libseccomp's merge
// model, proven by running the exported JSON through the Docker oracle (libseccomp as runc
// uses it) against the IR compiled by our libseccomp backend; plus the shapes of the JSON,
// the errors for what Docker cannot hold, and the Kubernetes manifest.
#include <gtest/gtest.h>
#include <seccomp.h>

#include <random>
#include <set>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/docker/conjunction.h"
#include "compiler/docker/export.h"
#include "compiler/docker/profile.h"
#include "tests/support/docker_oracle.h"
#include "tests/support/policy_text.h"

namespace policyc::docker {
namespace {

using nlohmann::ordered_json;
using seccomp::Action;
using seccomp::ActionKind;
using seccomp::ArgCondition;
using seccomp::CmpOp;
using seccomp::Filter;
using seccomp::Rule;

ArgCondition cmp(unsigned arg, CmpOp op, std::uint64_t value, unsigned width = 64, std::uint64_t mask = seccomp::kNoMask) {
  ArgCondition c;
  c.arg = arg;
  c.op = op;
  c.value = value;
  c.width = width;
  c.mask = mask;
  return c;
}

Rule rule(const std::string& name, Action action, std::vector<ArgCondition> conditions = {}) {
  Rule r;
  r.syscall = name;
  r.nr = seccomp_syscall_resolve_name(name.c_str());
  r.action = action;
  r.conditions = std::move(conditions);
  r.where = {"test.pol", 1, 1};
  return r;
}

using policyc::testing::kAllow;
using policyc::testing::kEperm;
const Action kEinval{ActionKind::Errno, 22};
using policyc::testing::kKill;

Filter filter_of(std::vector<Rule> rules, Action default_action = kEperm) {
  Filter f;
  f.default_action = default_action;
  f.rules = std::move(rules);
  return f;
}

ordered_json export_ok(const Filter& filter) {
  Diagnostics diags;
  auto out = export_profile(filter, diags);
  EXPECT_TRUE(out.has_value()) << policyc::testing::render(diags);
  EXPECT_FALSE(diags.has_errors()) << policyc::testing::render(diags);
  return out.value_or(ordered_json{});
}

std::string export_error(const Filter& filter) {
  Diagnostics diags;
  auto out = export_profile(filter, diags);
  EXPECT_FALSE(out.has_value()) << out->dump(2);
  return policyc::testing::render(diags);
}

// The IR's meaning, straight from compiler/seccomp/ir.h: the first rule of the syscall whose
// conditions all hold decides, else the default. The reference the exported JSON must match.
std::uint32_t ret_of(const Action& action) {
  switch (action.kind) {
    case ActionKind::Allow: return 0x7fff0000U;
    case ActionKind::Errno: return 0x00050000U | action.data;
    case ActionKind::KillProcess: return 0x80000000U;
    case ActionKind::KillThread: return 0;
    case ActionKind::Trap: return 0x00030000U | action.data;
    case ActionKind::Log: return 0x7ffc0000U;
    case ActionKind::Trace: return 0x7ff00000U | action.data;
    case ActionKind::Notify: return 0x7fc00000U;
  }
  return 0;
}

bool holds(const ArgCondition& c, std::uint64_t arg) {
  if (c.width == 32) arg &= 0xffffffffULL;
  arg &= c.mask;
  switch (c.op) {
    case CmpOp::Eq: return arg == c.value;
    case CmpOp::Ne: return arg != c.value;
    case CmpOp::Lt: return arg < c.value;
    case CmpOp::Le: return arg <= c.value;
    case CmpOp::Gt: return arg > c.value;
    case CmpOp::Ge: return arg >= c.value;
  }
  return false;
}

std::uint32_t first_match(const Filter& filter, const std::string& name, const bpf::SeccompData& data) {
  for (const auto& r : filter.rules) {
    if (r.syscall != name) continue;
    bool all = true;
    for (const auto& c : r.conditions) all = all && holds(c, data.args[c.arg]);
    if (all) return ret_of(r.action);
  }
  return ret_of(filter.default_action);
}

// The exported JSON, compiled by the Docker oracle (libseccomp as runc uses it), gives the
// IR's first-match verdict on every argument combination built from the interesting values.
void expect_same_verdicts(const Filter& filter, const std::vector<std::string>& names) {
  ordered_json exported = export_ok(filter);
  std::string error;
  auto docker = testsupport::compile_docker_profile(exported.dump(), {}, &error);
  ASSERT_TRUE(docker.has_value()) << error << "\n" << exported.dump(2);
  const std::uint64_t values[] = {0, 1, 2, 9, 10, 15, 16, 17, 99, 100, 0xffffff9c, 0xffffffff,
                                  0xffffffffffffff9c, 1ULL << 32, ~0ULL};
  for (const auto& name : names) {
    bpf::SeccompData data;
    data.nr = seccomp_syscall_resolve_name(name.c_str());
    for (auto a0 : values) {
      for (auto a1 : values) {
        data.args[0] = a0;
        data.args[1] = a1;
        auto got = bpf::run(*docker, data);
        ASSERT_TRUE(got);
        ASSERT_EQ(first_match(filter, name, data), got->ret)
            << name << " a0=" << a0 << " a1=" << a1 << "\n" << exported.dump(2);
      }
    }
  }
}

TEST(DockerExport, ProfileShape) {
  Filter f = filter_of({rule("read", kAllow), rule("write", kAllow), rule("clone3", {ActionKind::Errno, 38}),
                        rule("ptrace", {ActionKind::Trace, 7})});
  f.arches = {"x86_64", "x86", "x32"};
  ordered_json p = export_ok(f);
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], 1);
  EXPECT_EQ(p["architectures"], ordered_json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  ASSERT_EQ(p["syscalls"].size(), 3u);
  EXPECT_EQ(p["syscalls"][0]["names"], ordered_json({"read", "write"}));
  EXPECT_EQ(p["syscalls"][0]["action"], "SCMP_ACT_ALLOW");
  EXPECT_FALSE(p["syscalls"][0].contains("errnoRet"));
  EXPECT_EQ(p["syscalls"][1]["errnoRet"], 38);
  EXPECT_EQ(p["syscalls"][2]["action"], "SCMP_ACT_TRACE");
  EXPECT_EQ(p["syscalls"][2]["errnoRet"], 7);
}

TEST(DockerExport, EveryActionName) {
  Filter f = filter_of({rule("a", kAllow)}, kKill);
  const std::pair<ActionKind, const char*> kinds[] = {
      {ActionKind::Allow, "SCMP_ACT_ALLOW"}, {ActionKind::KillThread, "SCMP_ACT_KILL_THREAD"},
      {ActionKind::Trap, "SCMP_ACT_TRAP"},  {ActionKind::Log, "SCMP_ACT_LOG"},
      {ActionKind::Notify, "SCMP_ACT_NOTIFY"}, {ActionKind::Errno, "SCMP_ACT_ERRNO"}};
  f.rules.clear();
  const char* names[] = {"read", "write", "open", "close", "stat", "fstat"};
  for (std::size_t i = 0; i < std::size(kinds); ++i) {
    f.rules.push_back(rule(names[i], {kinds[i].first, kinds[i].first == ActionKind::Trap ? 0U : 5U}));  // trap(N): see below
  }
  ordered_json p = export_ok(f);
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_KILL_PROCESS");
  EXPECT_FALSE(p.contains("defaultErrnoRet"));
  for (std::size_t i = 0; i < std::size(kinds); ++i) EXPECT_EQ(p["syscalls"][i]["action"], kinds[i].second);
}

TEST(DockerExport, ConditionsBecomeArgs) {
  Filter f = filter_of({rule("socket", kAllow, {cmp(0, CmpOp::Lt, 38)}),
                        rule("clone", kAllow, {cmp(0, CmpOp::Eq, 0, 64, 0x7e020000)}),
                        rule("openat", kAllow, {cmp(0, CmpOp::Eq, 0xffffff9c, 32)})});
  ordered_json p = export_ok(f);
  EXPECT_EQ(p["syscalls"][0]["args"][0], ordered_json({{"index", 0}, {"value", 38}, {"valueTwo", 0}, {"op", "SCMP_CMP_LT"}}));
  EXPECT_EQ(p["syscalls"][1]["args"][0],
            ordered_json({{"index", 0}, {"value", 0x7e020000}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}}));
  // u32(arg0) == AT_FDCWD: the low word only, as a masked compare.
  EXPECT_EQ(p["syscalls"][2]["args"][0],
            ordered_json({{"index", 0}, {"value", 0xffffffffULL}, {"valueTwo", 0xffffff9cULL}, {"op", "SCMP_CMP_MASKED_EQ"}}));
  expect_same_verdicts(f, {"socket", "clone", "openat"});
}

TEST(DockerExport, EarlierRuleWithAnotherActionIsNegatedIntoLaterOnes) {
  // First match: socket(16, *, 9) -> EINVAL, any other socket -> allow.
  Filter f = filter_of({rule("socket", kEinval, {cmp(0, CmpOp::Eq, 16), cmp(1, CmpOp::Eq, 9)}), rule("socket", kAllow)});
  ordered_json p = export_ok(f);
  ASSERT_EQ(p["syscalls"].size(), 3u) << p.dump(2);  // errno rule + allow if a0 != 16 + allow if a1 != 9
  expect_same_verdicts(f, {"socket"});
}

TEST(DockerExport, RulesWithTheDefaultActionShadowLaterRules) {
  // write(2, ...) gets the default (EPERM); every other write is allowed.
  Filter f = filter_of({rule("write", kEperm, {cmp(0, CmpOp::Eq, 2)}), rule("write", kAllow),
                        rule("write", kKill)});  // dead: after an unconditional rule
  ordered_json p = export_ok(f);
  ASSERT_EQ(p["syscalls"].size(), 1u) << p.dump(2);
  EXPECT_EQ(p["syscalls"][0]["args"][0]["op"], "SCMP_CMP_NE");
  expect_same_verdicts(f, {"write"});
}

TEST(DockerExport, OverlappingRangesAreMergedOrRefused) {
  // allow read if a0 < 10; kill read if a0 < 100: kill needs 10 <= a0 < 100, two comparisons.
  Filter f = filter_of({rule("read", kAllow, {cmp(0, CmpOp::Lt, 10)}), rule("read", kKill, {cmp(0, CmpOp::Lt, 100)})});
  EXPECT_NE(export_error(f).find("needs two comparisons of one argument"), std::string::npos);
  // allow read if a0 == 1; kill read if a0 < 100 && a1 == 2: kill keeps a0 != 1 on its own argument.
  Filter g = filter_of({rule("read", kAllow, {cmp(0, CmpOp::Eq, 1)}),
                        rule("read", kKill, {cmp(1, CmpOp::Eq, 2)})});
  export_ok(g);
  expect_same_verdicts(g, {"read"});
  // Disjoint conditions need no rewriting at all.
  Filter h = filter_of({rule("read", kAllow, {cmp(0, CmpOp::Eq, 1)}), rule("read", kKill, {cmp(0, CmpOp::Eq, 2)})});
  ordered_json p = export_ok(h);
  EXPECT_EQ(p["syscalls"][1]["args"][0]["op"], "SCMP_CMP_EQ");
  expect_same_verdicts(h, {"read"});
}

TEST(DockerExport, WhatDockerCannotHoldIsAnErrorNamingTheRule) {
  Filter low_word_less = filter_of({rule("read", kAllow, {cmp(0, CmpOp::Lt, 5, 32)})});
  std::string message = export_error(low_word_less);
  EXPECT_NE(message.find("test.pol:1:1: error: `allow read if u32(arg0) < 5` cannot be exported"), std::string::npos)
      << message;
  Filter masked_then_other = filter_of({rule("clone", kAllow, {cmp(0, CmpOp::Eq, 0, 64, 0x10000000)}),
                                        rule("clone", kKill)});
  EXPECT_NE(export_error(masked_then_other).find("whose masked compare libseccomp cannot negate"), std::string::npos);
  Filter notify_default = filter_of({}, {ActionKind::Notify, 0});
  EXPECT_NE(export_error(notify_default).find("notify cannot be exported"), std::string::npos);
}

// Docker's JSON has SCMP_CMP_MASKED_EQ only, no number on SCMP_ACT_TRAP, no action for other
// arches and syscall names only: each is an error naming what cannot be said.
TEST(DockerExport, RefusesMaskedOrderingsTrapNumbersOtherArchActionsAndUnnamedNumbers) {
  const std::string masked = export_error(filter_of({rule("mmap", kAllow, {cmp(2, CmpOp::Gt, 5, 64, 0xff)})}));
  EXPECT_NE(masked.find("test.pol:1:1: error: `allow mmap if (arg2 & 0xff) > 5` cannot be exported to Docker's format: "
                        "`(arg2 & 0xff) > 5` compares a masked argument with something other than =="),
            std::string::npos)
      << masked;
  const std::string masked_ne = export_error(filter_of({rule("mmap", kAllow, {cmp(2, CmpOp::Ne, 5, 64, 0xff)})}));
  EXPECT_NE(masked_ne.find("SCMP_CMP_MASKED_EQ only"), std::string::npos) << masked_ne;
  const std::string trap = export_error(filter_of({rule("read", {ActionKind::Trap, 5})}));
  EXPECT_NE(trap.find("`trap(5) read` cannot be exported to Docker's format: SCMP_ACT_TRAP carries no number"),
            std::string::npos)
      << trap;
  Filter other_arches = filter_of({rule("read", kAllow)});
  other_arches.bad_arch_action = {ActionKind::Errno, 38};
  const std::string arches = export_error(other_arches);
  EXPECT_NE(arches.find("the filter gives calls from other arches errno(ENOSYS)"), std::string::npos) << arches;
  EXPECT_NE(arches.find("otherwise errno(ENOSYS)"), std::string::npos) << arches;
  Rule numbered = rule("read", kAllow);
  numbered.syscall = "1000";
  numbered.nr = 1000;
  const std::string number = export_error(filter_of({numbered}));
  EXPECT_NE(number.find("the rule for syscall number 1000 cannot be exported"), std::string::npos) << number;
  // a masked == and trap without a number still go through
  ordered_json ok = export_ok(filter_of({rule("clone", {ActionKind::Trap, 0}, {cmp(0, CmpOp::Eq, 0x10, 64, 0xff)})}));
  EXPECT_EQ(ok["syscalls"][0]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(ok["syscalls"][0]["args"][0]["value"], 0xff);
  EXPECT_EQ(ok["syscalls"][0]["args"][0]["valueTwo"], 0x10);
}

TEST(DockerExport, KubernetesManifest) {
  ordered_json p = export_ok(filter_of({rule("read", kAllow, {cmp(0, CmpOp::Eq, 3)})}));
  policyc::Diagnostics diags;
  const std::string yaml = k8s_manifest(p, "my-app", "app.pol", diags).value_or("");
  EXPECT_FALSE(diags.has_errors());
  for (const char* line : {"apiVersion: security-profiles-operator.x-k8s.io/v1beta1", "kind: SeccompProfile",
                           "metadata:", "  name: my-app", "spec:", "  defaultAction: SCMP_ACT_ERRNO",
                           "  architectures:", "    - SCMP_ARCH_X86_64", "  syscalls:", "    - names:",
                           "      - read", "      action: SCMP_ACT_ALLOW", "      args:", "      - index: 0",
                           "        value: 3", "        op: SCMP_CMP_EQ"}) {
    EXPECT_NE(yaml.find("\n" + std::string(line) + "\n"), std::string::npos) << line << "\n" << yaml;
  }
}

// Random first-match rule lists for one syscall: whenever the exporter accepts one, Docker's
// libseccomp reading of the JSON gives the verdicts of the IR; when it refuses, it says so.
TEST(DockerExport, RandomRuleListsKeepTheirMeaningOrAreRefused) {
  std::mt19937 random(20261129);
  const Action actions[] = {kAllow, kEperm, kEinval, kKill};
  const CmpOp ops[] = {CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge, CmpOp::Eq};  // the last: masked
  const std::uint64_t values[] = {0, 1, 2, 9, 10, 16, 100};
  int exported = 0, refused = 0;
  for (int round = 0; round < 400; ++round) {
    Filter f = filter_of({});
    int rules = 1 + static_cast<int>(random() % 4);
    for (int r = 0; r < rules; ++r) {
      std::vector<ArgCondition> conditions;
      std::set<unsigned> used;
      int count = static_cast<int>(random() % 3);
      for (int c = 0; c < count; ++c) {
        unsigned arg = random() % 2;
        if (!used.insert(arg).second) continue;  // libseccomp (our oracle backend) takes one per argument
        const std::size_t which = random() % std::size(ops);
        std::uint64_t value = values[random() % std::size(values)];
        conditions.push_back(which == 6 ? cmp(arg, ops[which], value & 0xf, 64, 0xf) : cmp(arg, ops[which], value));
      }
      f.rules.push_back(rule("read", actions[random() % std::size(actions)], conditions));
    }
    Diagnostics diags;
    if (!export_profile(f, diags)) { ++refused; continue; }
    ++exported;
    expect_same_verdicts(f, {"read"});
    if (::testing::Test::HasFailure()) {
      for (const auto& r : f.rules) ADD_FAILURE() << "rule: " << docker_action_name(r.action) << " " << r.conditions.size();
      return;
    }
  }
  EXPECT_GT(exported, 250) << "refused " << refused;
}

TEST(DockerConjunction, SimplifyMergesAndDetectsContradictions) {
  bool inexpressible = false;
  auto merged = simplify({cmp(0, CmpOp::Ge, 5), cmp(0, CmpOp::Le, 5)}, inexpressible);
  ASSERT_TRUE(merged);
  EXPECT_FALSE(inexpressible);
  EXPECT_EQ(*merged, std::vector<ArgCondition>{cmp(0, CmpOp::Eq, 5)});
  EXPECT_FALSE(simplify({cmp(0, CmpOp::Eq, 5), cmp(0, CmpOp::Ne, 5)}, inexpressible));
  EXPECT_FALSE(simplify({cmp(0, CmpOp::Eq, 1, 64, 1), cmp(0, CmpOp::Eq, 2)}, inexpressible));
  auto point = simplify({cmp(0, CmpOp::Eq, 1, 64, 1), cmp(0, CmpOp::Eq, 3)}, inexpressible);
  ASSERT_TRUE(point);
  EXPECT_EQ(*point, std::vector<ArgCondition>{cmp(0, CmpOp::Eq, 3)});
  EXPECT_TRUE(disjoint({cmp(0, CmpOp::Lt, 38)}, {cmp(0, CmpOp::Gt, 40)}));
  EXPECT_FALSE(disjoint({cmp(0, CmpOp::Lt, 38)}, {cmp(1, CmpOp::Gt, 40)}));
}

}  // namespace
}  // namespace policyc::docker
