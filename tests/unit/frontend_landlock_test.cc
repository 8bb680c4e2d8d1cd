// SPDX-License-Identifier: Apache-2.0
// The landlock section through the real front end: parsing, the located checks (unknown
// rights, bad paths, duplicates, ports, scopes, a command the section would not let execve
// start) and the lowering into handled rights and merged rules.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/driver/compile.h"
#include "compiler/oci/export_oci.h"
#include "plan/landlock.h"
#include "plan/plan_json.h"

namespace frontend_landlock_test {
namespace {

using namespace policyc;
namespace fs = std::filesystem;

std::string rendered_landlock(const Diagnostics& diags) {
  std::ostringstream out;
  diags.render(out);
  return out.str();
}

std::uint64_t bits(std::initializer_list<const char*> names) {
  std::uint64_t out = 0;
  for (const char* name : names) out |= plan::find_landlock_right(name)->bit;
  return out;
}

constexpr std::uint64_t kAllFs = (1ULL << 16) - 1;  // the 16 filesystem rights through ABI 5

class FrontendLandlock : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("frontend_landlock_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::optional<CompileResult> run(const std::string& body, Diagnostics& diags) {
    const fs::path path = dir_ / "ll.pol";
    std::ofstream(path) << "container ll {\n" << body << "\n}\n";
    return compile_policy(path.string(), CompileOptions{}, diags);
  }
  plan::Plan compile(const std::string& body) {
    Diagnostics diags;
    auto result = run(body, diags);
    EXPECT_TRUE(result) << rendered_landlock(diags);
    return result ? result->plan : plan::Plan{};
  }
  std::string errors(const std::string& body) {
    Diagnostics diags;
    EXPECT_FALSE(run(body, diags));
    return rendered_landlock(diags);
  }

  fs::path dir_;
};

TEST_F(FrontendLandlock, KeywordsBecomeTheirRightsAndAPathRuleHandlesEveryFilesystemRight) {
  const plan::Plan p = compile(
      "landlock {\n  read /usr /etc/ssl\n  write /tmp\n  execute /usr/bin/python3\n  ioctl_dev /dev/tty\n"
      "  make_dir /var/cache\n}");
  ASSERT_TRUE(p.landlock);
  const plan::Landlock& l = *p.landlock;
  EXPECT_EQ(l.handled_fs, kAllFs);
  EXPECT_EQ(l.handled_net, 0u) << "no bind/connect line: the network is not restricted";
  EXPECT_EQ(l.scoped, 0u);
  EXPECT_FALSE(l.best_effort);
  const std::uint64_t write = bits({"write_file", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg",
                                    "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"});
  ASSERT_EQ(l.paths.size(), 6u);
  EXPECT_EQ(l.paths[0], (plan::LandlockPath{"/usr", bits({"read_file", "read_dir"})}));
  EXPECT_EQ(l.paths[1], (plan::LandlockPath{"/etc/ssl", bits({"read_file", "read_dir"})}));
  EXPECT_EQ(l.paths[2], (plan::LandlockPath{"/tmp", write}));
  EXPECT_EQ(l.paths[3], (plan::LandlockPath{"/usr/bin/python3", bits({"execute"})}));
  EXPECT_EQ(l.paths[4], (plan::LandlockPath{"/dev/tty", bits({"ioctl_dev"})}));
  EXPECT_EQ(l.paths[5], (plan::LandlockPath{"/var/cache", bits({"make_dir"})}));
  EXPECT_GE(p.version, 3) << "a landlock section needs plan version 3 or later";
}

TEST_F(FrontendLandlock, OnePathUnderSeveralKeywordsIsOneRuleAndPathsAreNormalised) {
  const plan::Plan p = compile("landlock { read /usr/ execute /usr read \"/opt//app\" write /opt/app }");
  ASSERT_TRUE(p.landlock);
  ASSERT_EQ(p.landlock->paths.size(), 2u);
  EXPECT_EQ(p.landlock->paths[0], (plan::LandlockPath{"/usr", bits({"read_file", "read_dir", "execute"})}));
  EXPECT_EQ(p.landlock->paths[1].path, "/opt/app");
  EXPECT_EQ(p.landlock->paths[1].access & bits({"read_file", "write_file"}), bits({"read_file", "write_file"}));
}

TEST_F(FrontendLandlock, PortsScopesAndBestEffort) {
  const plan::Plan p = compile("landlock { bind tcp 8080 connect tcp 443 5432 8080 scope signals abstract_unix best_effort }");
  ASSERT_TRUE(p.landlock);
  const plan::Landlock& l = *p.landlock;
  EXPECT_EQ(l.handled_fs, 0u) << "no path rule: the filesystem is not restricted";
  EXPECT_EQ(l.handled_net, plan::kLandlockNetBindTcp | plan::kLandlockNetConnectTcp);
  EXPECT_EQ(l.scoped, plan::kLandlockScopeSignal | plan::kLandlockScopeAbstractUnix);
  EXPECT_TRUE(l.best_effort);
  ASSERT_EQ(l.ports.size(), 3u);
  EXPECT_EQ(l.ports[0], (plan::LandlockPort{8080, plan::kLandlockNetBindTcp | plan::kLandlockNetConnectTcp}));
  EXPECT_EQ(l.ports[1], (plan::LandlockPort{443, plan::kLandlockNetConnectTcp}));
  EXPECT_EQ(l.ports[2], (plan::LandlockPort{5432, plan::kLandlockNetConnectTcp}));
}

TEST_F(FrontendLandlock, EachDirectionIsHandledWhenWrittenAndWithoutPortsDeniesAll) {
  const plan::Plan p = compile("landlock { connect tcp }");
  ASSERT_TRUE(p.landlock);
  EXPECT_EQ(p.landlock->handled_net, plan::kLandlockNetConnectTcp) << "binding stays unrestricted";
  EXPECT_TRUE(p.landlock->ports.empty());
  const plan::Plan server = compile("landlock { bind tcp 8080 }");
  ASSERT_TRUE(server.landlock);
  EXPECT_EQ(server.landlock->handled_net, plan::kLandlockNetBindTcp);
}

TEST_F(FrontendLandlock, PlanRoundTripsThroughJson) {
  const plan::Plan p = compile("landlock { read /usr write /tmp bind tcp 80 scope signals best_effort }");
  EXPECT_EQ(plan::from_json(plan::to_json(p)), p);
}

TEST_F(FrontendLandlock, UnknownRightIsLocatedWithASuggestion) {
  const std::string out = errors("landlock {\n  raed /usr\n}");
  EXPECT_NE(out.find("ll.pol:3:3: error: unknown Landlock right \"raed\""), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean \"read\"?"), std::string::npos) << out;
}

TEST_F(FrontendLandlock, BadPathsAreLocated) {
  const std::string out = errors("landlock {\n  read usr/lib \"/a/../b\"\n  write 8080\n}");
  EXPECT_NE(out.find("ll.pol:3:8: error: landlock path \"usr/lib\" is not an absolute path"), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:3:16: error: landlock path \"/a/../b\" contains \"..\""), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:4:9: error: expected a path after `write`, found \"8080\""), std::string::npos) << out;
}

TEST_F(FrontendLandlock, DuplicatesAreErrorsNamingTheFirst) {
  const std::string out = errors("landlock {\n  read /usr /usr/\n  connect tcp 443 443\n}");
  EXPECT_NE(out.find("ll.pol:3:13: error: `read /usr` is given twice"), std::string::npos) << out;
  EXPECT_NE(out.find("already granted at line 3"), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:4:19: error: `connect tcp 443` is given twice"), std::string::npos) << out;
}

TEST_F(FrontendLandlock, PortsProtocolsAndScopesAreChecked) {
  const std::string out = errors("landlock {\n  bind 8080\n  connect udp 53\n  bind tcp 70000\n  scope signal\n}");
  EXPECT_NE(out.find("ll.pol:3:8: error: `bind` needs the protocol `tcp` first"), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:4:11: error: Landlock restricts TCP ports only"), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:5:12: error: port \"70000\" is not a number from 0 to 65535"), std::string::npos) << out;
  // `signal` is a syscall name, not one of the scope keywords: it starts a line of its own.
  EXPECT_NE(out.find("ll.pol:6:3: error: `scope` names nothing to scope"), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:6:9: error: unknown Landlock right \"signal\""), std::string::npos) << out;
}

TEST_F(FrontendLandlock, ASectionGrantingNothingAndASecondSectionAreErrors) {
  const std::string out = errors("landlock { best_effort }\nlandlock { read /usr }");
  EXPECT_NE(out.find("ll.pol:2:1: error: the landlock section restricts nothing"), std::string::npos) << out;
  EXPECT_NE(out.find("ll.pol:3:1: error: duplicate \"landlock\" section"), std::string::npos) << out;
}

TEST_F(FrontendLandlock, TheCommandMustBeExecutableUnderTheSection) {
  const std::string out = errors("command \"/home/app\"\nlandlock { read /home execute /usr }");
  EXPECT_NE(out.find("ll.pol:2:9: error: the landlock section does not let execve start \"/home/app\""), std::string::npos)
      << out;
  EXPECT_NE(out.find("add `execute /home/app` and `read /home/app`"), std::string::npos) << out;
  // Granted beneath a directory, or no filesystem rule at all: fine.
  EXPECT_TRUE(compile("command \"/home/app\"\nlandlock { read /home execute /home }").landlock);
  EXPECT_TRUE(compile("command \"/home/app\"\nlandlock { connect tcp 443 }").landlock);
}

TEST_F(FrontendLandlock, LandlockWordsStayNamesElsewhere) {
  // `landlock`, `tcp`, `signals` are keywords now; as words and syscall names they still work.
  const plan::Plan p = compile("namespaces uts\nhostname tcp\nseccomp default allow { errno(EPERM) landlock_add_rule }");
  EXPECT_EQ(p.hostname, "tcp");
}

TEST_F(FrontendLandlock, ExportOciLeavesTheSectionOutSayingWhat) {
  const plan::Plan p = compile("command \"/bin/true\"\nlandlock { read / execute /bin connect tcp 443 scope signals }");
  Diagnostics diags;
  const auto config = oci::export_config(p, nullptr, diags);
  ASSERT_TRUE(config) << rendered_landlock(diags);
  const std::string out = rendered_landlock(diags);
  EXPECT_NE(out.find("warning: the OCI runtime spec has no Landlock field, so the landlock section is left out: "
                     "2 path rule(s) (every other path denied), 1 TCP port rule(s), scope signals are not enforced"),
            std::string::npos)
      << out;
  EXPECT_EQ(config->dump().find("andlock"), std::string::npos) << "no invented field";
}

}  // namespace
}  // namespace frontend_landlock_test
