// SPDX-License-Identifier: Apache-2.0
// The supervisor's surface: denial reports and --learn's comments print text the container
// chose (the paths it passes to denied calls, its argv[0]). A container must not reach the host
// user's terminal through them (ESC sequences: clear the screen, set the title, 8-bit CSI), fake
// report lines (a newline, then "plan-exec: denied ..."), break a JSON-lines log, or write rules
// into a learned policy (a newline, then "  allow ptrace"). The defence is the escaping of the
// report formatter (quoted_c_string, json_string); its control run (defence "report-escaping"
// off) must show the raw bytes. Also: a path the supervisor cannot read, a huge one, one without
// a NUL, and notifications whose callers are killed before they are read must neither hang nor
// crash it. Under strict.pol: mknod is refused by an explicit errno(EPERM) rule, chown by the
// default.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/proof_env.h"
#include "tests/support/security_suite.h"

namespace {

using security::Policy;

namespace security_report_test {

constexpr const char* kForged = "plan-exec: denied nothing() = EPERM  pid 1 /fake  [forged]";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line_starting(const std::string& text, const std::string& start) {
  for (const auto& line : lines_of(text)) {
    if (line.rfind(start, 0) == 0) return true;
  }
  return false;
}

// No byte a terminal acts on: C0 controls but the newlines between lines, DEL, and C1 (0x80-0x9f,
// which includes the 8-bit CSI; plan-exec prints only ASCII itself).
bool only_printable(const std::string& text) {
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') continue;
    if (c < 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace security_report_test

using namespace security_report_test;

class SecurityReport : public security::Suite<SecurityReport> {
 public:
  static constexpr const char* kScratch = "security-report";

 protected:
  static testsupport::ProcessResult report(const std::vector<std::string>& actions, const std::string& mode = "stderr",
                                           const std::vector<std::string>& disabled = {}) {
    std::vector<std::string> command = {"/home/probe_report"};
    command.insert(command.end(), actions.begin(), actions.end());
    testsupport::ProcessOptions options;
    options.timeout_seconds = 20;
    return run(Policy::Strict, command, disabled, {"--denials=" + mode}, options);
  }
  // A fresh copy of strict.pol, compiled, learned from `action`; returns the learned policy text.
  static std::string learn(const std::string& name, const std::string& action,
                           const std::vector<std::string>& disabled = {}) {
    const std::string pol = dir() + "/" + name + ".pol";
    testsupport::write_text(pol, testsupport::read_text(dir() + "/strict.pol"));
    proof::compile_policy_file(pol, pol + ".plan");
    testsupport::ProcessOptions options;
    options.timeout_seconds = 20;
    if (!disabled.empty()) options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + disabled[0]);
    const auto r = testsupport::run_plan_exec({"--learn", pol, pol + ".plan", "--", "/home/probe_report", action}, options);
    EXPECT_EQ(r.exit_code, 0) << r.summary();
    EXPECT_TRUE(has(r.err, "added to " + pol)) << r.summary();
    return testsupport::read_text(pol);
  }
};

TEST_F(SecurityReport, PathsFromTheContainerReachTheReportOnlyEscaped) {
  for (const char* action : {"mknod", "chown"}) {
    SCOPED_TRACE(action);
    const auto r = report({action});
    EXPECT_EQ(r.exit_code, 0) << r.summary();
    EXPECT_EQ(testsupport::probe_value(r.out, action), "-1 errno=1") << r.summary();
    EXPECT_TRUE(has(r.err, std::string("plan-exec: denied ") + action + "(\"/tmp/\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\nplan-exec: denied nothing()"))
        << r.err;
    EXPECT_TRUE(only_printable(r.err)) << r.err;
    EXPECT_FALSE(has_line_starting(r.err, kForged)) << r.err;
  }
}

TEST_F(SecurityReport, ControlWithoutEscapingTheContainerWritesToTheTerminalAndForgesALine) {
  const auto r = report({"mknod"}, "stderr", {"report-escaping"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(has(r.err, "\x1b[2J\x1b]0;owned\x07\x9b")) << "the raw ESC sequences reach stderr\n" << r.err;
  EXPECT_TRUE(has_line_starting(r.err, kForged)) << r.err;
}

TEST_F(SecurityReport, JsonLinesStayOneObjectPerLine) {
  const auto r = report({"mknod"}, "json");
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  std::size_t objects = 0;
  for (const auto& line : lines_of(r.err)) {
    if (line.empty() || line[0] != '{') continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j.contains("call")) {
      EXPECT_TRUE(has(j["call"].get<std::string>(), "\\x1b[2J")) << line;
      ++objects;
    }
  }
  EXPECT_EQ(objects, 1u) << r.err;
  EXPECT_TRUE(only_printable(r.err)) << r.err;
  EXPECT_FALSE(has_line_starting(r.err, kForged)) << r.err;

  const auto control = report({"mknod"}, "json", {"report-escaping"});
  EXPECT_TRUE(has_line_starting(control.err, kForged)) << "control: the newline splits the JSON line\n" << control.err;
}

TEST_F(SecurityReport, TheProgramNameIsEscapedToo) {
  const auto r = report({"rename"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(testsupport::probe_value(r.out, "renamed"), "-1 errno=1") << r.summary();
  EXPECT_TRUE(has(r.err, "plan-exec: denied mknod(\"/tmp/renamed\", 0600, 0) = EPERM  pid 2 \"/tmp/\\x1b[2J")) << r.err;  // pid 2: the command under plan-exec's init
  EXPECT_TRUE(only_printable(r.err)) << r.err;
  EXPECT_FALSE(has_line_starting(r.err, kForged)) << r.err;

  const auto control = report({"rename"}, "stderr", {"report-escaping"});
  EXPECT_TRUE(has(control.err, "\x1b[2J")) << control.err;
  EXPECT_TRUE(has_line_starting(control.err, kForged)) << control.err;
}

TEST_F(SecurityReport, ALearnedPolicyGetsNoRuleFromAPath) {
  const std::string text = learn("learn-escaped", "chown");
  EXPECT_TRUE(has(text, "allow chown  # 1 call, first: chown(\"/tmp/\\x1b[2J")) << text;
  for (const auto& line : lines_of(text)) EXPECT_NE(line, "  allow ptrace") << text;
  EXPECT_TRUE(only_printable(text)) << text;

  const std::string control = learn("learn-control", "chown", {"report-escaping"});
  bool injected = false;
  for (const auto& line : lines_of(control)) injected = injected || line == "  allow ptrace";
  EXPECT_TRUE(injected) << "control: the path's newline starts a rule of its own\n" << control;
}

TEST_F(SecurityReport, UnreadableHugeAndUnterminatedPathsAreReportedWithoutThem) {
  const auto unreadable = report({"unreadable"});
  EXPECT_EQ(unreadable.exit_code, 0) << unreadable.summary();
  EXPECT_EQ(testsupport::probe_value(unreadable.out, "unreadable"), "-1 errno=1") << unreadable.summary();
  EXPECT_TRUE(has(unreadable.err, "plan-exec: denied mknod(0x1, 0600, 0) = EPERM")) << unreadable.err;

  const auto huge = report({"huge"});
  EXPECT_EQ(huge.exit_code, 0) << huge.summary();
  EXPECT_EQ(testsupport::probe_value(huge.out, "huge"), "-1 errno=1") << huge.summary();
  EXPECT_EQ(testsupport::probe_value(huge.out, "unterminated"), "-1 errno=1") << huge.summary();
  EXPECT_TRUE(has(huge.err, "plan-exec: denied mknod(\"" + std::string(256, 'A') + "\"..., 0600, 0) = EPERM")) << huge.err;
  EXPECT_TRUE(has(huge.err, "plan-exec: 2 calls denied (1 different)")) << huge.err;
}

TEST_F(SecurityReport, CallersKilledWhileTheirCallsWaitNeitherHangNorCrashTheSupervisor) {
  const auto r = report({"vanish", "8"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(testsupport::probe_value(r.out, "after-vanish"), "-1 errno=1")
      << "the supervisor still answers with the policy's errno after the storm\n" << r.summary();
  EXPECT_TRUE(has(r.err, "plan-exec: denied mknod(\"/tmp/vanishing\"")) << r.err;
  EXPECT_FALSE(has(r.err, "supervisor")) << "no supervisor failure\n" << r.err;
}

}  // namespace
