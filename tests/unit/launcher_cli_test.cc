// SPDX-License-Identifier: Apache-2.0
// plan-exec's hand-written command line parser.
#include <gtest/gtest.h>

#include "launcher/cli.h"

namespace {

launcher::CliArgs parse(std::vector<const char*> args) {
  args.insert(args.begin(), "plan-exec");
  return launcher::parse_cli(static_cast<int>(args.size()), args.data());
}

TEST(LauncherCli, PlanAndFlags) {
  auto a = parse({"--dry-run", "--stats", "--init", "app.plan"});
  ASSERT_EQ(a.mode, launcher::CliMode::Run) << a.error;
  EXPECT_EQ(a.run.plan_path, "app.plan");
  EXPECT_TRUE(a.run.dry_run);
  EXPECT_TRUE(a.run.stats);
  EXPECT_EQ(a.run.init, launcher::InitMode::Always);
  EXPECT_TRUE(a.run.command.empty());
}

TEST(LauncherCli, InitIsThePlansUnlessForcedEitherWay) {
  EXPECT_EQ(parse({"app.plan"}).run.init, launcher::InitMode::Plan);
  EXPECT_EQ(parse({"--no-init", "app.plan"}).run.init, launcher::InitMode::Never);
  EXPECT_EQ(parse({"--init", "--init", "app.plan"}).run.init, launcher::InitMode::Always);
  auto both = parse({"--init", "--no-init", "app.plan"});
  ASSERT_EQ(both.mode, launcher::CliMode::Error);
  EXPECT_NE(both.error.find("--init and --no-init contradict each other"), std::string::npos) << both.error;
}

TEST(LauncherCli, StopTimeoutTakesSeconds) {
  EXPECT_EQ(parse({"app.plan"}).run.stop_timeout_seconds, 10.0);
  EXPECT_EQ(parse({"--stop-timeout", "0", "app.plan"}).run.stop_timeout_seconds, 0.0);
  EXPECT_EQ(parse({"--stop-timeout", "30", "app.plan"}).run.stop_timeout_seconds, 30.0);
  EXPECT_DOUBLE_EQ(parse({"--stop-timeout", "2.5", "app.plan"}).run.stop_timeout_seconds, 2.5);
  EXPECT_EQ(parse({"--stop-timeout", "86400", "app.plan"}).run.stop_timeout_seconds, 86400.0);
  for (const char* bad : {"", "-1", "1e3", "0x10", "10s", "1.2.3", ".", "86401"}) {
    auto a = parse({"--stop-timeout", bad, "app.plan"});
    ASSERT_EQ(a.mode, launcher::CliMode::Error) << bad;
    EXPECT_NE(a.error.find("--stop-timeout takes the seconds"), std::string::npos) << a.error;
    EXPECT_NE(a.error.find(std::string("not \"") + bad + "\""), std::string::npos) << a.error;
  }
  auto missing = parse({"app.plan", "--stop-timeout"});
  ASSERT_EQ(missing.mode, launcher::CliMode::Error);
  EXPECT_NE(missing.error.find("(e.g. --stop-timeout 30)"), std::string::npos) << missing.error;
}

TEST(LauncherCli, TerminalOption) {
  EXPECT_TRUE(parse({"-t", "app.plan"}).run.terminal);
  EXPECT_TRUE(parse({"--tty", "app.plan", "--", "/bin/sh"}).run.terminal);
  EXPECT_FALSE(parse({"app.plan", "--", "/bin/sh", "-t"}).run.terminal);
}

TEST(LauncherCli, QuietAndVerbose) {
  EXPECT_TRUE(parse({"-q", "app.plan"}).run.quiet);
  EXPECT_TRUE(parse({"--quiet", "app.plan"}).run.quiet);
  EXPECT_TRUE(parse({"-v", "app.plan"}).run.verbose);
  EXPECT_TRUE(parse({"app.plan", "--verbose"}).run.verbose);
  EXPECT_FALSE(parse({"app.plan"}).run.quiet);
  EXPECT_FALSE(parse({"app.plan"}).run.verbose);
  EXPECT_FALSE(parse({"app.plan", "--", "/bin/ls", "-v"}).run.verbose);   // the command's own flag
  auto both = parse({"-q", "-v", "app.plan"});
  EXPECT_EQ(both.mode, launcher::CliMode::Error);
  EXPECT_NE(both.error.find("-q and -v"), std::string::npos) << both.error;
}

TEST(LauncherCli, DenialsTakeAModeOrAFile) {
  EXPECT_EQ(parse({"app.plan"}).run.denials, launcher::DenialMode::Default);
  EXPECT_EQ(parse({"--denials=off", "app.plan"}).run.denials, launcher::DenialMode::Off);
  EXPECT_EQ(parse({"--denials=stderr", "app.plan"}).run.denials, launcher::DenialMode::Stderr);
  auto json = parse({"--denials=json", "app.plan"});
  EXPECT_EQ(json.run.denials, launcher::DenialMode::Json);
  EXPECT_EQ(json.run.denials_file, "");
  auto file = parse({"--denials=/var/log/app.denials", "app.plan"});
  EXPECT_EQ(file.run.denials, launcher::DenialMode::Stderr);
  EXPECT_EQ(file.run.denials_file, "/var/log/app.denials");
  auto json_file = parse({"--denials=json:d.jsonl", "app.plan"});
  EXPECT_EQ(json_file.run.denials, launcher::DenialMode::Json);
  EXPECT_EQ(json_file.run.denials_file, "d.jsonl");
  EXPECT_EQ(parse({"--denials=", "app.plan"}).mode, launcher::CliMode::Error);
}

TEST(LauncherCli, LearnTakesThePolicyFile) {
  auto a = parse({"--learn", "app.pol", "app.plan", "--", "/bin/app"});
  ASSERT_EQ(a.mode, launcher::CliMode::Run) << a.error;
  EXPECT_TRUE(a.run.learn);
  EXPECT_EQ(a.run.learn_policy, "app.pol");
  EXPECT_EQ(a.run.plan_path, "app.plan");
  EXPECT_EQ(parse({"--learn"}).mode, launcher::CliMode::Error);
  EXPECT_EQ(parse({"--learn", "--dry-run", "app.plan"}).mode, launcher::CliMode::Error);
}

TEST(LauncherCli, CommandAfterDoubleDashIsKeptVerbatim) {
  auto a = parse({"app.plan", "--", "/bin/sh", "-c", "--dry-run"});
  ASSERT_EQ(a.mode, launcher::CliMode::Run) << a.error;
  EXPECT_FALSE(a.run.dry_run);
  EXPECT_EQ(a.run.command, (std::vector<std::string>{"/bin/sh", "-c", "--dry-run"}));
}

TEST(LauncherCli, ModesWithoutAPlan) {
  EXPECT_EQ(parse({"--help"}).mode, launcher::CliMode::Help);
  EXPECT_EQ(parse({"--version"}).mode, launcher::CliMode::Version);
  EXPECT_EQ(parse({"--cleanup"}).mode, launcher::CliMode::Cleanup);
  EXPECT_EQ(parse({"--prune-cache"}).mode, launcher::CliMode::PruneCache);
  EXPECT_EQ(parse({"--list-steps"}).mode, launcher::CliMode::ListSteps);
}

// What the cgroup watcher execs when plan-exec died: leaves before `--`, parents after.
TEST(LauncherCli, ReapCgroupsSplitsLeavesFromParents) {
  auto a = parse({"--reap-cgroups", "/sys/fs/cgroup/pids/plan-exec/web-7", "/sys/fs/cgroup/cpu/plan-exec/web-7", "--",
                  "/sys/fs/cgroup/pids/plan-exec"});
  ASSERT_EQ(a.mode, launcher::CliMode::ReapCgroups) << a.error;
  EXPECT_EQ(a.reap_leaves, (std::vector<std::string>{"/sys/fs/cgroup/pids/plan-exec/web-7", "/sys/fs/cgroup/cpu/plan-exec/web-7"}));
  EXPECT_EQ(a.reap_parents, (std::vector<std::string>{"/sys/fs/cgroup/pids/plan-exec"}));
  auto relative = parse({"--reap-cgroups", "plan-exec/web-7"});
  EXPECT_EQ(relative.mode, launcher::CliMode::Error);
  EXPECT_NE(relative.error.find("absolute"), std::string::npos) << relative.error;
}

TEST(LauncherCli, ErrorsSayWhatToDo) {
  auto a = parse({});
  EXPECT_EQ(a.mode, launcher::CliMode::Error);
  EXPECT_NE(a.error.find("no plan"), std::string::npos);
  a = parse({"--frobnicate", "app.plan"});
  EXPECT_EQ(a.mode, launcher::CliMode::Error);
  EXPECT_NE(a.error.find("--frobnicate"), std::string::npos);
  a = parse({"app.plan", "/bin/sh"});
  EXPECT_EQ(a.mode, launcher::CliMode::Error);
  EXPECT_NE(a.error.find("plan-exec app.plan -- /bin/sh"), std::string::npos) << a.error;
  a = parse({"app.plan", "--"});
  EXPECT_EQ(a.mode, launcher::CliMode::Error);
  a = parse({"--cleanup", "app.plan"});
  EXPECT_EQ(a.mode, launcher::CliMode::Error);
  a = parse({"--prune-cache", "app.plan"});
  EXPECT_EQ(a.mode, launcher::CliMode::Error);
  EXPECT_NE(a.error.find("--prune-cache takes no other arguments"), std::string::npos) << a.error;
}

}  // namespace
