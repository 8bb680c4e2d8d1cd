// SPDX-License-Identifier: Apache-2.0
// The parser: text -> AST for every section of the language, keywords usable as syscall
// names, condition precedence, includes (.pol and Docker JSON) with cycle detection, and
// syntax errors reported with position, wording and did-you-mean, several at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/parse/parse.h"
#include "tests/support/policy_text.h"

namespace policyc {
namespace {

namespace fs = std::filesystem;

ast::Policy parse_ok(const std::string& text) {
  Diagnostics diags;
  auto policy = parse_text(text, "test.pol", diags);
  EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
  EXPECT_TRUE(policy.has_value());
  return policy ? *policy : ast::Policy{};
}

std::vector<std::string> texts(const std::vector<ast::Word>& words) {
  std::vector<std::string> out;
  for (const auto& w : words) out.push_back(w.text);
  return out;
}

std::vector<const ast::Rule*> rules_of(const ast::Seccomp& block) {
  std::vector<const ast::Rule*> out;
  for (const auto& s : block.statements) {
    if (auto* r = std::get_if<ast::Rule>(&s)) out.push_back(r);
  }
  return out;
}

const char* kFullContainer = R"(# every section once
container hello {
  rootfs "/var/lib/policyc/alpine" readonly chroot
  namespaces mount pid ipc uts net user cgroup time
  hostname "hello"
  mount proc at /proc
  mount tmpfs at /tmp size 64M mode 1777
  mount bind "/srv/data" at /data readonly
  mount bind /srv/cache at /cache readwrite
  mask /proc/kcore /proc/keys
  readonly /proc/sys /proc/bus
  network veth { host 10.0.0.1/24  container 10.0.0.2/24  gateway host  mtu 1500
                 host_name "veth-h"  container_name "eth0" }
  limits { memory 250M  swap 0  cpu 20ms/100ms  cpuset "0-1"  best_effort  parent "plan-exec" }
  capabilities keep net_bind_service chown
  rlimit nofile 1024 2048
  rlimit core 0
  user 1000:1001 groups 10 20
  uidmap 0 100000 65536
  gidmap 0 200000 65536
  env PATH="/bin:/sbin" HOME=/root
  cwd /home
  command "/home/hello-world" "--port" "8080"
  seccomp default errno(EPERM) { allow read }
}
)";

TEST(FrontendParse, EverySectionOfAContainerReachesTheAst) {
  ast::Policy policy = parse_ok(kFullContainer);
  ASSERT_TRUE(policy.container);
  const ast::Container& c = *policy.container;
  EXPECT_EQ(c.name.text, "hello");
  ASSERT_TRUE(c.rootfs);
  EXPECT_EQ(c.rootfs->path.text, "/var/lib/policyc/alpine");
  EXPECT_TRUE(c.rootfs->readonly);
  EXPECT_TRUE(c.rootfs->chroot);
  EXPECT_FALSE(c.rootfs->archive);
  EXPECT_EQ(texts(c.namespaces), (std::vector<std::string>{"mount", "pid", "ipc", "uts", "net", "user", "cgroup", "time"}));
  EXPECT_EQ(c.hostname->text, "hello");

  ASSERT_EQ(c.mounts.size(), 4u);
  EXPECT_EQ(c.mounts[0].kind.text, "proc");
  EXPECT_FALSE(c.mounts[0].source);
  EXPECT_EQ(c.mounts[1].size->text, "64M");
  EXPECT_EQ(c.mounts[1].mode->text, "1777");
  EXPECT_EQ(c.mounts[2].source->text, "/srv/data");
  EXPECT_TRUE(c.mounts[2].readonly);
  EXPECT_EQ(c.mounts[3].source->text, "/srv/cache");
  EXPECT_TRUE(c.mounts[3].readwrite_explicit);
  EXPECT_EQ(texts(c.masked_paths), (std::vector<std::string>{"/proc/kcore", "/proc/keys"}));
  EXPECT_EQ(texts(c.readonly_paths), (std::vector<std::string>{"/proc/sys", "/proc/bus"}));

  ASSERT_TRUE(c.network && c.network->veth);
  EXPECT_EQ(c.network->mode.text, "veth");
  EXPECT_EQ(c.network->veth->host->text, "10.0.0.1/24");
  EXPECT_EQ(c.network->veth->container->text, "10.0.0.2/24");
  EXPECT_EQ(c.network->veth->gateway->text, "host");
  EXPECT_EQ(c.network->veth->mtu->text, "1500");
  EXPECT_EQ(c.network->veth->host_name->text, "veth-h");
  EXPECT_EQ(c.network->veth->container_name->text, "eth0");

  ASSERT_EQ(c.limits.size(), 6u);
  EXPECT_EQ(c.limits[2].key.text, "cpu");
  EXPECT_EQ(c.limits[2].values[0].text, "20ms/100ms");
  EXPECT_EQ(c.limits[3].values[0].text, "0-1");
  EXPECT_TRUE(c.limits[4].values.empty());
  EXPECT_EQ(texts(*c.capabilities_keep), (std::vector<std::string>{"net_bind_service", "chown"}));
  ASSERT_EQ(c.rlimits.size(), 2u);
  EXPECT_EQ(c.rlimits[0].hard->text, "2048");
  EXPECT_FALSE(c.rlimits[1].hard);
  EXPECT_EQ(c.user->uid.text, "1000");
  EXPECT_EQ(c.user->gid->text, "1001");
  EXPECT_EQ(texts(c.user->groups), (std::vector<std::string>{"10", "20"}));
  EXPECT_EQ(c.gid_map[0].outside.text, "200000");
  ASSERT_EQ(c.env.size(), 2u);
  EXPECT_EQ(c.env[0].value.text, "/bin:/sbin");
  EXPECT_EQ(c.env[1].value.text, "/root");
  EXPECT_EQ(c.cwd->text, "/home");
  EXPECT_EQ(texts(c.command), (std::vector<std::string>{"/home/hello-world", "--port", "8080"}));
  ASSERT_TRUE(c.seccomp);
  EXPECT_EQ(c.seccomp->default_action.kind.text, "errno");
  EXPECT_EQ(c.seccomp->default_action.argument->text, "EPERM");
}

TEST(FrontendParse, DeviceStatementsAddUpWithTheirLocations) {
  ast::Policy policy = parse_ok("container d {\n  device /dev/fuse \"/dev/net/tun\"\n  device /dev/kvm\n  hostname device\n}\n");
  ASSERT_TRUE(policy.container);
  const ast::Container& c = *policy.container;
  EXPECT_EQ(texts(c.devices), (std::vector<std::string>{"/dev/fuse", "/dev/net/tun", "/dev/kvm"}));
  EXPECT_EQ(c.devices[1].where.line, 2u);
  EXPECT_EQ(c.devices[1].where.column, 20u);
  EXPECT_EQ(c.devices[2].where.line, 3u);
  EXPECT_EQ(c.devices[2].where.column, 10u);
  ASSERT_TRUE(c.hostname);
  EXPECT_EQ(c.hostname->text, "device") << "a keyword is still a word where the grammar wants one";
}

TEST(FrontendParse, WordsCarryTheirExactLocation) {
  ast::Policy policy = parse_ok("container x {\n  namespaces mount\n  mount tmpfs at   /tmp\n}\n");
  const ast::Word& target = policy.container->mounts[0].target;
  EXPECT_EQ(target.where.file, "test.pol");
  EXPECT_EQ(target.where.line, 3u);
  EXPECT_EQ(target.where.column, 20u);
  EXPECT_EQ(target.where.length, 4u);
}

TEST(FrontendParse, SectionsAreRecordedInOrderForDuplicateChecks) {
  ast::Policy policy = parse_ok("container x { hostname \"a\" cwd / hostname \"b\" }");
  EXPECT_EQ(texts(policy.container->sections), (std::vector<std::string>{"hostname", "cwd", "hostname"}));
  EXPECT_EQ(policy.container->hostname->text, "a");   // the first one is kept
}

// `readonly`, `mount` and `user` are both options/list items and section keywords; the
// parser must tell them apart by what follows, with no separator to help.
TEST(FrontendParse, WordsThatAreBothOptionAndSectionAreTakenApart) {
  ast::Policy policy = parse_ok(
      "container a {\n"
      "  rootfs \"/r\" readonly\n"
      "  readonly /proc/sys\n"
      "  namespaces pid user mount\n"
      "  mount bind \"/a\" at /b readonly\n"
      "  readonly /proc/bus\n"
      "  user 1000\n"
      "  mount proc at /proc\n"
      "}\n");
  const ast::Container& c = *policy.container;
  EXPECT_TRUE(c.rootfs->readonly);
  EXPECT_EQ(texts(c.readonly_paths), (std::vector<std::string>{"/proc/sys", "/proc/bus"}));
  EXPECT_EQ(texts(c.namespaces), (std::vector<std::string>{"pid", "user", "mount"}));
  ASSERT_EQ(c.mounts.size(), 2u);
  EXPECT_TRUE(c.mounts[0].readonly);
  EXPECT_EQ(c.mounts[1].kind.text, "proc");
  EXPECT_EQ(c.user->uid.text, "1000");
}

TEST(FrontendParse, RootfsArchiveAndNetworkModes) {
  ast::Policy policy = parse_ok("container x { rootfs archive \"/x/alpine.tar.gz\" network loopback }");
  EXPECT_TRUE(policy.container->rootfs->archive);
  EXPECT_EQ(policy.container->network->mode.text, "loopback");
  EXPECT_FALSE(policy.container->network->veth);
}

TEST(FrontendParse, CapabilitiesKeepNoneIsAnEmptyList) {
  ast::Policy policy = parse_ok("container x { capabilities keep none }");
  ASSERT_TRUE(policy.container->capabilities_keep);
  EXPECT_TRUE(policy.container->capabilities_keep->empty());
  EXPECT_FALSE(parse_ok("container x { }").container->capabilities_keep);
}

TEST(FrontendParse, KeywordsThatAreSyscallNamesAreNamesInRules) {
  ast::Policy policy = parse_ok(
      "seccomp default allow { errno(EPERM) mount time chroot seccomp kill user default errno(ENOSYS) clone3 }");
  ASSERT_TRUE(policy.seccomp);
  auto rules = rules_of(*policy.seccomp);
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(texts(rules[0]->names),
            (std::vector<std::string>{"mount", "time", "chroot", "seccomp", "kill", "user", "default"}));
  EXPECT_EQ(rules[1]->action.argument->text, "ENOSYS");
}

TEST(FrontendParse, StatementsNeedNoSeparatorEvenOnOneLine) {
  ast::Policy policy = parse_ok(
      "seccomp default kill_process { arch x86_64 x86 allow read write kill_thread ptrace trap a log b trace(7) c "
      "notify d kill_process e group @g = read @h }");
  const ast::Seccomp& block = *policy.seccomp;
  EXPECT_EQ(texts(block.arches), (std::vector<std::string>{"x86_64", "x86"}));
  auto rules = rules_of(block);
  std::vector<std::string> kinds;
  for (auto* r : rules) kinds.push_back(r->action.kind.text);
  EXPECT_EQ(kinds, (std::vector<std::string>{"allow", "kill_thread", "trap", "log", "trace", "notify", "kill_process"}));
  EXPECT_EQ(rules[4]->action.argument->text, "7");
  auto* group = std::get_if<ast::Group>(&block.statements.back());
  ASSERT_TRUE(group);
  EXPECT_EQ(group->name.text, "@g");
  EXPECT_EQ(texts(group->members), (std::vector<std::string>{"read", "@h"}));
}

TEST(FrontendParse, AndBindsTighterThanOrAndNotTighterThanAnd) {
  ast::Policy policy = parse_ok("seccomp default allow { errno(1) x if arg0 == 1 || arg1 == 2 && !arg2 == 3 }");
  const auto& cond = rules_of(*policy.seccomp)[0]->condition;
  ASSERT_TRUE(cond);
  ASSERT_EQ(cond->kind, ast::Condition::Kind::Or);
  ASSERT_EQ(cond->operands.size(), 2u);
  EXPECT_EQ(cond->operands[0]->kind, ast::Condition::Kind::Compare);
  const auto& conj = cond->operands[1];
  ASSERT_EQ(conj->kind, ast::Condition::Kind::And);
  EXPECT_EQ(conj->operands[0]->compare.arg, 1u);
  ASSERT_EQ(conj->operands[1]->kind, ast::Condition::Kind::Not);
  EXPECT_EQ(conj->operands[1]->operands[0]->compare.arg, 2u);
}

TEST(FrontendParse, ChainsOfOneOperatorAreFlattened) {
  ast::Policy policy = parse_ok(
      "seccomp default allow { errno(1) x if arg0 == 1 && (arg1 == 2 && arg2 == 3) && arg3 == 4 }");
  const auto& cond = rules_of(*policy.seccomp)[0]->condition;
  ASSERT_EQ(cond->kind, ast::Condition::Kind::And);
  EXPECT_EQ(cond->operands.size(), 4u);
}

TEST(FrontendParse, ComparisonForms) {
  ast::Policy policy = parse_ok(
      "seccomp default allow {\n"
      "  errno(1) a if (arg1 & PROT_EXEC|PROT_WRITE) != 0\n"
      "  errno(1) b if u32(arg0) == AT_FDCWD\n"
      "  errno(1) c if arg5 >= 0x7f\n"
      "  errno(1) d if arg2 < -1\n"
      "}\n");
  auto rules = rules_of(*policy.seccomp);
  const ast::Comparison& masked = rules[0]->condition->compare;
  EXPECT_EQ(masked.arg, 1u);
  ASSERT_TRUE(masked.mask);
  EXPECT_EQ(texts(masked.mask->terms), (std::vector<std::string>{"PROT_EXEC", "PROT_WRITE"}));
  EXPECT_EQ(masked.op, "!=");
  EXPECT_EQ(masked.value.terms[0].text, "0");
  const ast::Comparison& low = rules[1]->condition->compare;
  EXPECT_TRUE(low.low32);
  EXPECT_FALSE(low.mask);
  EXPECT_EQ(low.value.terms[0].text, "AT_FDCWD");
  EXPECT_EQ(rules[2]->condition->compare.arg, 5u);
  EXPECT_EQ(rules[2]->condition->compare.op, ">=");
  EXPECT_EQ(rules[2]->condition->compare.value.terms[0].text, "0x7f");
  EXPECT_EQ(rules[3]->condition->compare.value.terms[0].text, "-1");
  EXPECT_EQ(rules[3]->condition->compare.op, "<");
}

TEST(FrontendParse, CommentsAndBlankLinesAreIgnored) {
  ast::Policy policy = parse_ok("# top\n\nseccomp default allow { # after brace\n  errno(1) read # end\n}\n# tail");
  EXPECT_EQ(rules_of(*policy.seccomp).size(), 1u);
}

// ---- syntax errors ------------------------------------------------------------------------

Diagnostics parse_broken(const std::string& text) {
  Diagnostics diags;
  parse_text(text, "bad.pol", diags);
  EXPECT_TRUE(diags.has_errors()) << "expected a syntax error in: " << text;
  return diags;
}

TEST(FrontendParseErrors, MisspelledSectionGetsPositionAndDidYouMean) {
  Diagnostics diags = parse_broken("container x {\n  hostnme \"a\"\n}\n");
  ASSERT_EQ(diags.error_count(), 1u) << testing::render(diags);
  const Diagnostic& d = diags.all()[0];
  EXPECT_EQ(d.where.line, 2u);
  EXPECT_EQ(d.where.column, 3u);
  EXPECT_EQ(d.where.length, 7u);
  EXPECT_NE(d.message.find("found \"hostnme\""), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("hostname"), std::string::npos) << d.message;
  EXPECT_EQ(d.hint, "did you mean \"hostname\"?");
}

TEST(FrontendParseErrors, KillIsExplainedAsASyscallName) {
  Diagnostics diags = parse_broken("seccomp default allow { kill ptrace }");
  EXPECT_NE(diags.all()[0].hint.find("kill_process"), std::string::npos);
}

TEST(FrontendParseErrors, SeveralErrorsAreReportedInOneRun) {
  Diagnostics diags = parse_broken(
      "container x {\n"
      "  network veth { hots 10.0.0.1/24 }\n"
      "  capabilities kep none\n"
      "  seccomp default alow { allow read }\n"
      "}\n");
  ASSERT_EQ(diags.error_count(), 3u) << testing::render(diags);
  EXPECT_EQ(diags.all()[0].hint, "did you mean \"host\"?");
  EXPECT_NE(diags.all()[1].hint.find("capabilities keep NAME"), std::string::npos) << diags.all()[1].hint;
  EXPECT_EQ(diags.all()[2].hint, "did you mean \"allow\"?");
  EXPECT_EQ(diags.all()[2].where.line, 4u);
}

TEST(FrontendParseErrors, StrayCharactersAndUnterminatedStrings) {
  Diagnostics diags = parse_broken("container x { cwd /a $ }");
  EXPECT_EQ(diags.all()[0].message, "unexpected character \"$\"");
  Diagnostics unterminated = parse_broken("container x {\n  rootfs \"/a\n}\n");
  EXPECT_NE(unterminated.all()[0].hint.find("same line"), std::string::npos);
}

TEST(FrontendParseErrors, MissingEndOfBlockPointsAtItsOpeningBrace) {
  Diagnostics diags = parse_broken("seccomp default allow {\n  allow read\n");
  EXPECT_NE(diags.all()[0].message.find("is never closed"), std::string::npos) << testing::render(diags);
  EXPECT_EQ(diags.all()[0].where.line, 1u);
}

TEST(FrontendParseErrors, ArgumentIndexBeyondFiveIsRejected) {
  Diagnostics diags = parse_broken("seccomp default allow { errno(1) read if arg6 == 0 }");
  EXPECT_EQ(diags.all()[0].message, "argument \"arg6\" does not exist");
}

TEST(FrontendParseErrors, EmptyTextHoldsNoPolicy) {
  Diagnostics diags;
  EXPECT_FALSE(parse_text("# nothing here\n", "empty.pol", diags));
  EXPECT_TRUE(diags.has_errors());
}

TEST(FrontendParseErrors, AbsurdNestingIsRefusedWithoutRecursingIntoIt) {
  std::string deep = "seccomp default allow { errno(1) x if " + std::string(5000, '(') + "arg0 == 1" +
                     std::string(5000, ')') + " }";
  Diagnostics diags = parse_broken(deep);
  EXPECT_NE(diags.all()[0].message.find("nested"), std::string::npos);
  Diagnostics nots = parse_broken("seccomp default allow { errno(1) x if " + std::string(5000, '!') + "arg0 == 1 }");
  EXPECT_NE(nots.all()[0].message.find("nested"), std::string::npos);
}

TEST(FrontendParseErrors, TruncatedPoliciesNeverCrash) {
  // Every prefix of a full policy: each ends in diagnostics or a policy, never in a crash.
  std::string text = kFullContainer;
  for (std::size_t n = 0; n < text.size(); n += 7) {
    Diagnostics diags;
    parse_text(text.substr(0, n), "prefix.pol", diags);
    std::ostringstream out;
    diags.render(out);
  }
}

// ---- includes -------------------------------------------------------------------------------

class FrontendIncludes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("frontend_parse_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(FrontendIncludes, IncludedRulesAreSplicedAfterTheIncludeWithTheirOwnLocations) {
  write("sub/common.pol", "seccomp default allow {\n  allow getpid\n  include \"more.pol\"\n}\n");
  write("sub/more.pol", "seccomp default allow { allow gettid }\n");
  std::string main = write("main.pol", "seccomp default errno(EPERM) {\n  allow read\n  include \"sub/common.pol\"\n  allow write\n}\n");
  Diagnostics diags;
  auto policy = parse_file(main, diags);
  ASSERT_TRUE(policy) << testing::render(diags);
  EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
  const auto& statements = policy->seccomp->statements;
  ASSERT_EQ(statements.size(), 6u);
  EXPECT_TRUE(std::holds_alternative<ast::Include>(statements[1]));
  const auto& getpid = std::get<ast::Rule>(statements[2]);
  EXPECT_EQ(getpid.names[0].text, "getpid");
  EXPECT_EQ(getpid.where.file, (dir_ / "sub/common.pol").string());
  EXPECT_EQ(getpid.where.line, 2u);
  EXPECT_TRUE(std::holds_alternative<ast::Include>(statements[3]));
  EXPECT_EQ(std::get<ast::Rule>(statements[4]).names[0].text, "gettid");   // relative to sub/
  EXPECT_EQ(std::get<ast::Rule>(statements[5]).names[0].text, "write");
  EXPECT_EQ(policy->seccomp->default_action.kind.text, "errno");           // the includer decides
}

TEST_F(FrontendIncludes, ACycleIsAnErrorAtTheIncludeThatClosesIt) {
  write("a.pol", "seccomp default allow { include \"b.pol\" }");
  write("b.pol", "seccomp default allow { include \"a.pol\" }");
  Diagnostics diags;
  parse_file((dir_ / "a.pol").string(), diags);
  ASSERT_EQ(diags.error_count(), 1u) << testing::render(diags);
  EXPECT_NE(diags.all()[0].message.find("include cycle"), std::string::npos);
  EXPECT_EQ(diags.all()[0].where.file, (dir_ / "b.pol").string());
  Diagnostics self;
  write("self.pol", "seccomp default allow { include \"./self.pol\" }");
  parse_file((dir_ / "self.pol").string(), self);
  EXPECT_EQ(self.error_count(), 1u) << testing::render(self);
}

TEST_F(FrontendIncludes, TheSameFileTwiceWithoutACycleIsFine) {
  write("x.pol", "seccomp default allow { allow read }");
  std::string main = write("m.pol", "seccomp default allow { include \"x.pol\" include \"x.pol\" }");
  Diagnostics diags;
  auto policy = parse_file(main, diags);
  EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
  EXPECT_EQ(rules_of(*policy->seccomp).size(), 2u);
}

TEST_F(FrontendIncludes, SyntaxErrorsInsideAnIncludedFileNameThatFile) {
  write("broken.pol", "seccomp default allow {\n  alow read\n}\n");
  std::string main = write("m.pol", "seccomp default allow { include \"broken.pol\" }");
  Diagnostics diags;
  parse_file(main, diags);
  ASSERT_TRUE(diags.has_errors());
  EXPECT_EQ(diags.all()[0].where.file, (dir_ / "broken.pol").string());
  EXPECT_EQ(diags.all()[0].where.line, 2u);
  EXPECT_NE(testing::render(diags).find("  alow read"), std::string::npos) << "the included source must be quoted";
}

TEST_F(FrontendIncludes, MissingFileAndFileWithoutSeccompBlock) {
  write("plain.pol", "container y { hostname \"y\" }");
  std::string main = write("m.pol", "seccomp default allow { include \"nope.pol\" include \"plain.pol\" }");
  Diagnostics diags;
  parse_file(main, diags);
  ASSERT_EQ(diags.error_count(), 2u) << testing::render(diags);
  EXPECT_NE(diags.all()[0].message.find("cannot read included file"), std::string::npos);
  EXPECT_NE(diags.all()[1].message.find("has no seccomp block"), std::string::npos);
}

TEST_F(FrontendIncludes, DockerProfileIsImportedAndParsedAsAnIncludedPolicy) {
  fs::copy_file(fs::path(SHARED_TESTDATA_DIR) / "seccomp" / "docker-default.json", dir_ / "docker.json");
  std::string main = write("m.pol",
                           "container c {\n  capabilities keep net_bind_service\n"
                           "  seccomp default errno(EPERM) {\n    include \"docker.json\"\n  }\n}\n");
  Diagnostics diags;
  auto policy = parse_file(main, diags);
  ASSERT_TRUE(policy);
  EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
  auto rules = rules_of(*policy->container->seccomp);
  ASSERT_GT(rules.size(), 5u);
  EXPECT_EQ(rules[0]->where.file, (dir_ / "docker.json").string() + " (imported)");
  bool allows_read = false;
  for (auto* r : rules) {
    for (const auto& n : r->names) allows_read = allows_read || (n.text == "read" && r->action.kind.text == "allow");
  }
  EXPECT_TRUE(allows_read);
}

// The profile's capability-gated rules follow the container's `capabilities keep`: Docker's
// profile allows bpf only with CAP_SYS_ADMIN (or CAP_BPF), reboot only with CAP_SYS_BOOT.
TEST_F(FrontendIncludes, DockerProfileRulesFollowTheKeptCapabilities) {
  fs::copy_file(fs::path(SHARED_TESTDATA_DIR) / "seccomp" / "docker-default.json", dir_ / "docker.json");
  auto allowed_names = [&](const std::string& caps_line) {
    std::string main = write("caps.pol", "container c {\n  " + caps_line +
                                             "\n  seccomp default errno(EPERM) { include \"docker.json\" }\n}\n");
    Diagnostics diags;
    auto policy = parse_file(main, diags);
    EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
    std::set<std::string> names;
    if (!policy) return names;
    for (auto* r : rules_of(*policy->container->seccomp)) {
      if (r->action.kind.text == "allow") for (const auto& n : r->names) names.insert(n.text);
    }
    return names;
  };
  auto admin = allowed_names("capabilities keep sys_admin sys_boot");
  auto default_set = allowed_names("");
  EXPECT_TRUE(default_set.count("chroot")) << "no capabilities section: the default set, which has sys_chroot";
  EXPECT_FALSE(default_set.count("reboot"));
  auto none = allowed_names("capabilities keep none");
  EXPECT_TRUE(admin.count("reboot"));
  EXPECT_FALSE(none.count("reboot"));
  EXPECT_FALSE(none.count("chroot")) << "keep none must not fall back to Docker's default set (sys_chroot)";
  EXPECT_TRUE(none.count("read"));
}

TEST(FrontendParseFile, UnreadableFileIsAnErrorNamingIt) {
  Diagnostics diags;
  EXPECT_FALSE(parse_file("/nonexistent/policy.pol", diags));
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.all()[0].where.file, "/nonexistent/policy.pol");
}

}  // namespace

}  // namespace policyc
