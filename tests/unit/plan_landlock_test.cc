// SPDX-License-Identifier: Apache-2.0
// plan.landlock: the JSON round trip, loading old versions, the version gate, and the rules
// both binaries enforce (rights Landlock defines, rules within the handled rights, each path and
// port once), each rejection naming the key; plus the rights table the two binaries share.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plan/landlock.h"
#include "plan/plan_json.h"
#include "plan/rules.h"

namespace plan_landlock_test {
namespace {

constexpr std::uint64_t kRead = (1ULL << 2) | (1ULL << 3);
constexpr std::uint64_t kAllFs = (1ULL << 16) - 1;

plan::Plan landlock_plan() {
  plan::Plan p;
  p.arch = plan::host_arch();
  p.name = "ll";
  p.command = {"/bin/true"};
  plan::Landlock l;
  l.handled_fs = kAllFs;
  l.handled_net = plan::kLandlockNetBindTcp | plan::kLandlockNetConnectTcp;
  l.scoped = plan::kLandlockScopeSignal;
  l.best_effort = true;
  l.paths = {{"/usr", kRead | plan::kLandlockFsExecute}, {"/tmp", kAllFs}};
  l.ports = {{443, plan::kLandlockNetConnectTcp}, {8080, plan::kLandlockNetBindTcp}};
  p.landlock = l;
  return p;
}

std::string landlock_rejection(const nlohmann::json& j) {
  try {
    plan::from_json(j.dump());
  } catch (const plan::PlanError& e) {
    return e.what();
  }
  return "(accepted)";
}

nlohmann::json landlock_json() { return nlohmann::json::parse(plan::to_json(landlock_plan())); }

TEST(PlanLandlock, RoundTripKeepsEveryField) {
  const plan::Plan p = landlock_plan();
  const std::string text = plan::to_json(p);
  EXPECT_NE(text.find("\"handled_fs\": 65535"), std::string::npos) << text;
  EXPECT_NE(text.find("\"version\": " + std::to_string(plan::kSchemaVersion)), std::string::npos) << text;
  EXPECT_EQ(plan::from_json(text), p);
}

TEST(PlanLandlock, OlderPlansLoadAndCannotCarryASection) {
  plan::Plan old = landlock_plan();
  old.landlock.reset();
  for (int version : {1, 2}) {
    auto j = nlohmann::json::parse(plan::to_json(old));
    j["version"] = version;
    EXPECT_EQ(plan::from_json(j.dump()).version, version);
    auto with = landlock_json();
    with["version"] = version;
    EXPECT_EQ(landlock_rejection(with),
              "plan.landlock: needs plan version 3 (this plan says version " + std::to_string(version) + ")");
  }
}

TEST(PlanLandlock, LoaderRejectsShapeErrorsNamingTheKey) {
  auto j = landlock_json();
  j["landlock"]["paths"][0]["acess"] = 1;
  EXPECT_EQ(landlock_rejection(j), "plan.landlock.paths[0].acess: unknown key");
  j = landlock_json();
  j["landlock"]["ports"][1]["port"] = 65536;
  EXPECT_EQ(landlock_rejection(j), "plan.landlock.ports[1].port: 65536 is larger than 65535");
  j = landlock_json();
  j["landlock"]["paths"][1]["path"] = "tmp";
  EXPECT_EQ(landlock_rejection(j), "plan.landlock.paths[1].path: \"tmp\" is not an absolute path");
  j = landlock_json();
  j["no_new_privs"] = false;
  EXPECT_NE(landlock_rejection(j).find("plan.no_new_privs: must be true when a Landlock ruleset is applied"),
            std::string::npos);
}

TEST(PlanLandlock, RulesRefuseWhatTheKernelWouldRefuse) {
  auto first = [](const plan::Plan& p) {
    const auto broken = plan::check_plan(p);
    return broken.empty() ? std::string("(valid)") : broken.front().text();
  };
  EXPECT_EQ(first(landlock_plan()), "(valid)");
  plan::Plan p = landlock_plan();
  p.landlock->handled_fs |= 1ULL << 40;
  EXPECT_EQ(first(p).rfind("plan.landlock.handled_fs: holds unknown bits 0x10000000000", 0), 0u) << first(p);
  p = landlock_plan();
  p.landlock->handled_fs = kRead;
  EXPECT_EQ(first(p), "plan.landlock.paths[0].access: grants execute, which the ruleset does not handle; add them to "
                      "the handled rights or drop them");
  p = landlock_plan();
  p.landlock->paths.push_back({"/usr/", kRead});
  EXPECT_EQ(first(p), "plan.landlock.paths[2].path: \"/usr\" has a rule already; merge the rights into one rule");
  p = landlock_plan();
  p.landlock->paths.push_back({"/a/../etc", kRead});
  EXPECT_EQ(first(p), "plan.landlock.paths[2].path: \"/a/../etc\" is not an absolute path without \"..\"");
  p = landlock_plan();
  p.landlock->ports.push_back({443, plan::kLandlockNetBindTcp});
  EXPECT_EQ(first(p), "plan.landlock.ports[2].port: 443 has a rule already; merge the rights into one rule");
  p = landlock_plan();
  p.landlock->ports[0].access = 0;
  EXPECT_EQ(first(p), "plan.landlock.ports[0].access: grants no right; remove the rule or give it rights");
  p = landlock_plan();
  p.landlock = plan::Landlock{};
  EXPECT_EQ(first(p), "plan.landlock: handles no right and scopes nothing; remove the section");
}

TEST(PlanLandlock, RightsTableMatchesTheKernelsAbis) {
  using plan::LandlockClass;
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Fs, 1), (1ULL << 13) - 1);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Fs, 2), (1ULL << 14) - 1);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Fs, 3), (1ULL << 15) - 1);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Fs, 4), (1ULL << 15) - 1);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Fs, 5), (1ULL << 16) - 1);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Net, 3), 0u);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Net, 4), 3u);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Scope, 5), 0u);
  EXPECT_EQ(plan::landlock_rights_up_to(LandlockClass::Scope, 6), 3u);
  EXPECT_EQ(plan::landlock_abi_of(LandlockClass::Fs, 1ULL << 15), 5);
  EXPECT_EQ(plan::landlock_right_names(LandlockClass::Fs, kRead | (1ULL << 20)), "read_file, read_dir, unknown bits 0x100000");
  EXPECT_EQ(plan::landlock_fs_keyword("read"), kRead);
  EXPECT_EQ(plan::landlock_fs_keyword("write"), (((1ULL << 15) - 1) & ~(kRead | 1ULL)));
  EXPECT_EQ(plan::landlock_fs_keyword("bind"), std::nullopt);
}

}  // namespace
}  // namespace plan_landlock_test
