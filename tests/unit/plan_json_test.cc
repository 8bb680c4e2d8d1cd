// SPDX-License-Identifier: Apache-2.0
// The plan schema: save/load round trip and the strict loader's rejections, each naming the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plan/encoding.h"
#include "plan/plan_json.h"
#include "tests/support/plan_builder.h"

namespace {

plan::Plan sample_plan() {
  plan::Plan p;
  p.arch = plan::host_arch();
  p.name = "hello";
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid, plan::Namespace::Net, plan::Namespace::Uts,
                  plan::Namespace::User};
  p.rootfs = plan::Rootfs{plan::RootfsKind::Directory, "/var/lib/policyc/alpine", true, false};
  p.mounts.push_back({plan::MountKind::Tmpfs, "tmpfs", "/tmp", "tmpfs", 6, "size=67108864", false});
  p.masked_paths = {"/proc/kcore"};
  p.hostname = "hello";
  p.network.mode = plan::NetworkMode::Veth;
  p.network.veth = testsupport::veth_link("10.0.0.1", "10.0.0.2");
  p.network.veth->gateway = "10.0.0.1";
  p.network.veth->mtu = 1500;
  plan::Cgroups c;
  c.memory_max_bytes = 250u << 20;
  c.parent = "plan-exec";
  c.v2 = {{"memory.max", "262144000"}};
  c.v1 = {{"memory", {{"memory.limit_in_bytes", "262144000"}}}};
  p.cgroups = c;
  p.capabilities = {10};
  p.rlimits = {{7, "nofile", 1024, 1024}};
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.user.uid_map = {{0, 100000, 65536}};
  p.env = {"PATH=/bin"};
  p.cwd = "/home";
  p.command = {"/home/hello-world"};
  plan::Seccomp s;
  s.default_action = "errno(EPERM)";
  s.backend = "libseccomp";
  s.bpf = {0x06, 0, 0, 0, 0, 0, 0xff, 0x7f};  // ret ALLOW
  s.sha256 = plan::sha256_hex(s.bpf);
  p.seccomp = s;
  return p;
}

nlohmann::json sample_json() { return nlohmann::json::parse(plan::to_json(sample_plan())); }

TEST(PlanJson, RoundTripKeepsEverything) {
  plan::Plan p = sample_plan();
  EXPECT_EQ(plan::from_json(plan::to_json(p)), p);
}

TEST(PlanJson, RootfsWritethroughIsOptionalAndRoundTrips) {
  plan::Plan p = sample_plan();
  EXPECT_EQ(plan::to_json(p).find("writethrough"), std::string::npos) << "absent when false: older plans stay byte-identical";
  p.rootfs->readonly = false;
  p.rootfs->writethrough = true;
  const std::string text = plan::to_json(p);
  EXPECT_NE(text.find("\"writethrough\": true"), std::string::npos) << text;
  EXPECT_EQ(plan::from_json(text), p);
}

plan::SeccompSource sample_source() {
  plan::SeccompSource source;
  source.file = "app.pol";
  source.default_line = 3;
  source.default_ret = 0x7fff0000;  // the sample filter allows everything
  source.end_line = 9;
  source.end_column = 3;
  plan::SeccompRuleSource rule{"socket", 41, "allow", 0x7fff0000, {}, "app.pol", 4};
  rule.conditions = {{0, plan::CmpOp::Eq, 2, std::nullopt, 32}, {1, plan::CmpOp::Eq, 0, 0xf, 64}};
  source.rules = {rule};
  return source;
}

TEST(PlanJson, TheSourceMapRoundTrips) {
  plan::Plan p = sample_plan();
  p.seccomp->source = sample_source();
  const std::string text = plan::to_json(p);
  EXPECT_NE(text.find("\"mask\": 15"), std::string::npos) << text;
  EXPECT_EQ(plan::from_json(text), p);
}

// Rules from two files with three actions: the version 4 rows name each file and action once.
// (Conditional, so that the sample filter, which allows everything, need not return their verdict.)
plan::SeccompSource two_file_source() {
  plan::SeccompSource source = sample_source();
  const std::vector<plan::SeccompCondition> if_arg0_is_1 = {{0, plan::CmpOp::Eq, 1, std::nullopt, 64}};
  source.rules.push_back({"socket", 41, "errno(EPERM)", 0x50001, if_arg0_is_1, "app.pol", 5});
  source.rules.push_back({"ptrace", 101, "kill_process", 0x80000000, if_arg0_is_1, "/etc/policies/base.pol", 2});
  source.rules.push_back({"mount", 165, "errno(EPERM)", 0x50001, if_arg0_is_1, "/etc/policies/base.pol", 3});
  return source;
}

TEST(PlanJson, SourceMapRulesAreRowsOverActionAndFileTables) {
  plan::Plan p = sample_plan();
  p.seccomp->source = two_file_source();
  p.seccomp->source->default_nr = 3;
  const std::string text = plan::to_json(p);
  const auto source = nlohmann::json::parse(text)["seccomp"]["source"];
  EXPECT_EQ(source["default_nr"], 3);
  EXPECT_EQ(source["files"], nlohmann::json::parse(R"(["app.pol", "/etc/policies/base.pol"])"));
  EXPECT_EQ(source["actions"].size(), 3u) << source.dump();
  EXPECT_EQ(source["rules"][2], nlohmann::json::parse(R"(["ptrace", 101, 2, 1, 2, [{"arg": 0, "op": "==", "value": 1}]])"));
  EXPECT_EQ(source["rules"][3][2], 1) << "errno(EPERM) is the second action, as for rules[1]";
  EXPECT_EQ(source["rules"][0][5].size(), 2u) << "conditions ride in a sixth field";
  EXPECT_EQ(plan::from_json(text), p);
}

TEST(PlanJson, VersionThreeSourceMapsWithOneObjectPerRuleStillLoad) {
  plan::Plan p = sample_plan();
  p.version = 3;
  p.seccomp->source = two_file_source();
  const std::string text = plan::to_json(p);
  const auto source = nlohmann::json::parse(text)["seccomp"]["source"];
  EXPECT_FALSE(source.contains("files")) << text;
  EXPECT_EQ(source["rules"][2]["file"], "/etc/policies/base.pol") << text;
  EXPECT_EQ(plan::from_json(text), p);
  auto rows_in_v3 = nlohmann::json::parse(plan::to_json(p));
  rows_in_v3["version"] = 4;
  EXPECT_EQ(testsupport::plan_rejection(rows_in_v3.dump()), "plan.seccomp.source.actions: missing required key");
}

TEST(PlanJson, SourceMapRowsOutOfShapeOrTablesAreRefusedNamingTheField) {
  plan::Plan p = sample_plan();
  p.seccomp->source = two_file_source();
  const auto edited = [&](auto edit) {
    auto j = nlohmann::json::parse(plan::to_json(p));
    edit(j["seccomp"]["source"]);
    return testsupport::plan_rejection(j.dump());
  };
  EXPECT_EQ(edited([](auto& s) { s["rules"][1][2] = 3; }), "plan.seccomp.source.rules[1][2]: 3 is larger than 2");
  EXPECT_EQ(edited([](auto& s) { s["rules"][1][3] = 7; }), "plan.seccomp.source.rules[1][3]: 7 is larger than 1");
  EXPECT_EQ(edited([](auto& s) { s["rules"][1].erase(4); s["rules"][1].erase(4); }),
            "plan.seccomp.source.rules[1]: expected [syscall, nr, action, file, line] or [syscall, nr, action, file, line, "
            "conditions], found an array of 4");
  EXPECT_EQ(edited([](auto& s) { s["rules"][0][5] = 1; }), "plan.seccomp.source.rules[0][5]: expected an array of conditions, found number");
  EXPECT_EQ(edited([](auto& s) { s["files"] = nlohmann::json::array(); }),
            "plan.seccomp.source.rules[0][3]: refers to the files table, which is empty");
  EXPECT_EQ(edited([](auto& s) { s["actions"][0]["rett"] = 1; }), "plan.seccomp.source.actions[0].rett: unknown key");
  EXPECT_EQ(edited([](auto& s) { s["rules"][3][0] = 7; }), "plan.seccomp.source.rules[3][0]: expected a string, found number");
  EXPECT_EQ(edited([](auto& s) { s["default_nr"] = 0x40000000; }),
            "plan.seccomp.source.default_nr: must be an x86_64 syscall number, 0..0x3fffffff");
}

TEST(PlanJson, TheNewerThanTheTableFieldsRoundTripAndComeTogether) {
  plan::Plan p = sample_plan();
  p.seccomp->source = sample_source();
  EXPECT_EQ(plan::to_json(p).find("unknown_from"), std::string::npos) << "absent when not set";
  p.seccomp->source->unknown_from = 463;
  p.seccomp->source->unknown_ret = 0x50026;
  // A filter that gives them errno(ENOSYS), as the plan rules check: ld nr; jge 463; ret ENOSYS; ret ALLOW.
  auto insn = [](std::uint16_t code, std::uint8_t jt, std::uint8_t jf, std::uint32_t k) {
    return std::vector<std::uint8_t>{static_cast<std::uint8_t>(code & 0xff), static_cast<std::uint8_t>(code >> 8), jt, jf,
                                     static_cast<std::uint8_t>(k & 0xff), static_cast<std::uint8_t>((k >> 8) & 0xff),
                                     static_cast<std::uint8_t>((k >> 16) & 0xff), static_cast<std::uint8_t>(k >> 24)};
  };
  p.seccomp->bpf.clear();
  for (const auto& i : {insn(0x20, 0, 0, 0), insn(0x35, 0, 1, 463), insn(0x06, 0, 0, 0x50026), insn(0x06, 0, 0, 0x7fff0000)}) {
    p.seccomp->bpf.insert(p.seccomp->bpf.end(), i.begin(), i.end());
  }
  p.seccomp->sha256 = plan::sha256_hex(p.seccomp->bpf);
  const std::string text = plan::to_json(p);
  EXPECT_NE(text.find("\"unknown_from\": 463"), std::string::npos) << text;
  EXPECT_EQ(plan::from_json(text), p);
  auto alone = nlohmann::json::parse(text);
  alone["seccomp"]["source"].erase("unknown_ret");
  EXPECT_NE(testsupport::plan_rejection(alone.dump()).find("plan.seccomp.source.unknown_from: unknown_from and unknown_ret come together"),
            std::string::npos)
      << testsupport::plan_rejection(alone.dump());
  auto x32 = nlohmann::json::parse(text);
  x32["seccomp"]["source"]["unknown_from"] = 0x40000000;
  EXPECT_NE(testsupport::plan_rejection(x32.dump()).find("must be an x86_64 syscall number"), std::string::npos) << testsupport::plan_rejection(x32.dump());
}

TEST(PlanJson, VersionOnePlansLoadWithoutASourceMapOnly) {
  auto j = sample_json();
  j["version"] = 1;
  EXPECT_EQ(plan::from_json(j.dump()).version, 1);
  plan::Plan p = sample_plan();
  p.seccomp->source = sample_source();
  auto with_source = nlohmann::json::parse(plan::to_json(p));
  with_source["version"] = 1;
  EXPECT_EQ(testsupport::plan_rejection(with_source.dump()), "plan.seccomp.source: needs plan version 2 (this plan says version 1)");
}

TEST(PlanJson, RejectsUnknownKeyNamingIt) {
  auto j = sample_json();
  j["network"]["veth"]["mtuu"] = 1;
  EXPECT_EQ(testsupport::plan_rejection(j.dump()), "plan.network.veth.mtuu: unknown key");
}

TEST(PlanJson, RejectsWrongType) {
  auto j = sample_json();
  j["hostname"] = 5;
  EXPECT_EQ(testsupport::plan_rejection(j.dump()), "plan.hostname: expected a string, found number");
}

TEST(PlanJson, RejectsWrongVersion) {
  auto j = sample_json();
  j["version"] = 99;
  EXPECT_NE(testsupport::plan_rejection(j.dump()).find("plan.version: 99 is not supported"), std::string::npos);
}

TEST(PlanJson, RejectsWrongArch) {
  auto j = sample_json();
  j["arch"] = "aarch64-not-this-one";
  EXPECT_NE(testsupport::plan_rejection(j.dump()).find("plan.arch: \"aarch64-not-this-one\" does not match"), std::string::npos);
}

TEST(PlanJson, RejectsTruncatedJsonWithPosition) {
  std::string text = plan::to_json(sample_plan());
  EXPECT_NE(testsupport::plan_rejection(text.substr(0, text.size() / 2)).find("plan: not valid JSON at line"), std::string::npos);
}

TEST(PlanJson, RejectsBadBase64) {
  auto j = sample_json();
  j["seccomp"]["bpf"] = "!!!notbase64";
  EXPECT_EQ(testsupport::plan_rejection(j.dump()), "plan.seccomp.bpf: is not valid base64");
}

TEST(PlanJson, RejectsBpfNotMultipleOf8) {
  auto j = sample_json();
  std::vector<std::uint8_t> twelve(12, 0);
  j["seccomp"]["bpf"] = plan::base64_encode(twelve);
  EXPECT_EQ(testsupport::plan_rejection(j.dump()),
            "plan.seccomp.bpf: length 12 bytes is not a multiple of 8 (struct sock_filter)");
}

TEST(PlanJson, RejectsMoreThan4096Instructions) {
  auto j = sample_json();
  std::vector<std::uint8_t> big(8 * 4097, 0);
  j["seccomp"]["bpf"] = plan::base64_encode(big);
  j["seccomp"]["instructions"] = 4097;
  EXPECT_EQ(testsupport::plan_rejection(j.dump()),
            "plan.seccomp.bpf: 4097 instructions exceed the kernel's limit of 4096");
}

TEST(PlanJson, RejectsTamperedFilter) {
  auto j = sample_json();
  std::vector<std::uint8_t> other = {0x06, 0, 0, 0, 0, 0, 0, 0};  // ret KILL
  j["seccomp"]["bpf"] = plan::base64_encode(other);
  EXPECT_NE(testsupport::plan_rejection(j.dump()).find("plan.seccomp.sha256: does not match"), std::string::npos);
}

TEST(PlanJson, RejectsRelativeRootfs) {
  auto j = sample_json();
  j["rootfs"]["path"] = "alpine";
  EXPECT_EQ(testsupport::plan_rejection(j.dump()), "plan.rootfs.path: \"alpine\" is not an absolute path");
}

TEST(PlanJson, RejectsVethWithoutNetNamespace) {
  auto j = sample_json();
  j["namespaces"] = {"mount"};
  EXPECT_EQ(testsupport::plan_rejection(j.dump()), "plan.network.mode: \"veth\" needs the net namespace");
}

TEST(Encoding, Sha256KnownVector) {
  EXPECT_EQ(plan::sha256_hex("abc", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Encoding, Base64RoundTrip) {
  std::vector<std::uint8_t> bytes = {0, 1, 2, 250, 251, 252, 253};
  EXPECT_EQ(plan::base64_encode(bytes), "AAEC+vv8/Q==");
  EXPECT_EQ(plan::base64_decode("AAEC+vv8/Q=="), bytes);
  EXPECT_FALSE(plan::base64_decode("AAE").has_value());
}

}  // namespace

namespace {

// Unknown keys are refused at every level of the plan, not only where the first test looks.
TEST(PlanJson, RejectsUnknownKeysAtEveryLevel) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> places = {
      {{}, "plan.extra"},
      {{"rootfs"}, "plan.rootfs.extra"},
      {{"network"}, "plan.network.extra"},
      {{"cgroups"}, "plan.cgroups.extra"},
      {{"user"}, "plan.user.extra"},
      {{"seccomp"}, "plan.seccomp.extra"},
  };
  for (const auto& [path, expected] : places) {
    auto j = sample_json();
    nlohmann::json* at = &j;
    for (const auto& key : path) at = &(*at)[key];
    (*at)["extra"] = 1;
    EXPECT_EQ(testsupport::plan_rejection(j.dump()), expected + ": unknown key");
  }
  auto mounts = sample_json();
  mounts["mounts"][0]["extra"] = 1;
  EXPECT_EQ(testsupport::plan_rejection(mounts.dump()), "plan.mounts[0].extra: unknown key");
  auto maps = sample_json();
  maps["user"]["uid_map"][0]["extra"] = 1;
  EXPECT_EQ(testsupport::plan_rejection(maps.dump()), "plan.user.uid_map[0].extra: unknown key");
  auto writes = sample_json();
  writes["cgroups"]["v1"][0]["writes"][0]["extra"] = 1;
  EXPECT_EQ(testsupport::plan_rejection(writes.dump()), "plan.cgroups.v1[0].writes[0].extra: unknown key");
  auto limits = sample_json();
  limits["rlimits"][0]["extra"] = 1;
  EXPECT_EQ(testsupport::plan_rejection(limits.dump()), "plan.rlimits[0].extra: unknown key");
}

}  // namespace

namespace {

// Found by fuzz_plan: a number too large for a double is valid JSON syntax that nlohmann refuses
// with an out_of_range error, which must come out as a PlanError like any other bad plan.
TEST(PlanJson, RejectsNumbersBeyondADouble) {
  EXPECT_NE(testsupport::plan_rejection("6e+99999999999").find("plan: not a usable JSON document"), std::string::npos);
}

}  // namespace
