// SPDX-License-Identifier: Apache-2.0
// The policyc binary as a user runs it: exit codes (0 ok, 2 input error), atomic outputs that
// are never written on error (no plan, no temporary file, no half of a pair), --emit-bpf,
// check, --version, --help, backend and profile options.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "plan/plan_json.h"
#include "tests/support/rootfs.h"

namespace {

namespace fs = std::filesystem;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class FrontendCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("frontend_cli_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "out");
    logs_ = dir_ / "logs";
    fs::create_directories(logs_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs policyc with `args`; stdout and stderr go to files outside the output directory.
  CliRun policyc(const std::vector<std::string>& args) {
    fs::path out = logs_ / "stdout", err = logs_ / "stderr";
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(127);
      std::vector<char*> argv{const_cast<char*>(POLICYC_BIN)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(POLICYC_BIN, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CliRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = testsupport::read_text(out);
    run.err = testsupport::read_text(err);
    return run;
  }

  std::string write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::vector<std::string> output_files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ / "out")) names.push_back(e.path().filename().string());
    return names;
  }
  std::string out(const std::string& name) const { return (dir_ / "out" / name).string(); }

  fs::path dir_, logs_;
};

const std::string kHello = std::string(SOURCE_DIR) + "/policies/hello.pol";
const char* kBroken = "container x {\n  namespaces pid\n  mount tmpfs at tmp\n  limits { memory 1M }\n}\n";

TEST_F(FrontendCli, CompilesHelloToAPlanThatLoads) {
  CliRun run = policyc({kHello, "-o", out("hello.plan")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  plan::Plan p = plan::load_file(out("hello.plan"));
  EXPECT_EQ(p.name, "hello");
  ASSERT_TRUE(p.seccomp);
  EXPECT_EQ(output_files(), std::vector<std::string>{"hello.plan"}) << "no temporary file left";
}

TEST_F(FrontendCli, PolicyErrorExitsTwoAndWritesNothing) {
  std::string broken = write("broken.pol", kBroken);
  CliRun run = policyc({broken, "-o", out("x.plan"), "--emit-bpf", out("x.bpf")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(output_files().empty()) << "a failed compile must leave nothing behind";
  EXPECT_NE(run.err.find("broken.pol:3:18: error: mount target \"tmp\" is not an absolute path"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("   |                  ^~~"), std::string::npos) << "caret under the path:\n" << run.err;
  EXPECT_NE(run.err.find("broken.pol: 3 errors"), std::string::npos) << run.err;
}

TEST_F(FrontendCli, EmitBpfWritesRawSockFilters) {
  CliRun run = policyc({kHello, "--emit-bpf", out("hello.bpf"), "-o", out("hello.plan")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string bpf = testsupport::read_text(out("hello.bpf"));
  EXPECT_EQ(bpf.size() % 8, 0u);
  plan::Plan p = plan::load_file(out("hello.plan"));
  EXPECT_EQ(std::vector<std::uint8_t>(bpf.begin(), bpf.end()), p.seccomp->bpf);
}

TEST_F(FrontendCli, EmitBpfNeedsASeccompBlock) {
  std::string policy = write("nofilter.pol", "container x { }");
  CliRun run = policyc({policy, "--emit-bpf", out("x.bpf")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(output_files().empty());
}

TEST_F(FrontendCli, WithoutOutputThePlanGoesToStdout) {
  CliRun run = policyc({kHello});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(plan::from_json(run.out).name, "hello");
}

TEST_F(FrontendCli, CheckReportsAndWritesNothing) {
  CliRun ok = policyc({"check", kHello});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("hello.pol: ok"), std::string::npos) << ok.out;
  std::string broken = write("broken.pol", kBroken);
  CliRun bad = policyc({"check", broken});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("3 errors"), std::string::npos) << bad.err;
  EXPECT_TRUE(output_files().empty());
}

// The linter's warnings pass by default; --werror makes them fail with exit 3 and nothing
// written, for check and compile alike; --no-lint silences them.
TEST_F(FrontendCli, WerrorTurnsLintWarningsIntoExitThree) {
  std::string risky = write("risky.pol", "seccomp default errno(EPERM) {\n  allow read ptrace\n}\n");
  CliRun warned = policyc({"check", risky});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("risky.pol:2:14: warning: this rule allows ptrace"), std::string::npos) << warned.err;
  EXPECT_NE(warned.out.find("ok (1 warning)"), std::string::npos) << warned.out;

  CliRun check = policyc({"check", "--werror", risky});
  EXPECT_EQ(check.exit_code, 3) << check.err;
  EXPECT_NE(check.err.find("1 warning, treated as errors (--werror)"), std::string::npos) << check.err;
  EXPECT_EQ(check.out, "");

  CliRun compile = policyc({"--werror", risky, "-o", out("risky.plan")});
  EXPECT_EQ(compile.exit_code, 3) << compile.err;
  EXPECT_TRUE(output_files().empty()) << "--werror with warnings writes nothing";

  CliRun quiet = policyc({"--werror", "--no-lint", risky, "-o", out("risky.plan")});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");

  CliRun hello = policyc({"check", "--werror", kHello});
  EXPECT_EQ(hello.exit_code, 0) << hello.err;
  // strict.pol allows ioctl whole, on purpose (its comment says why): that one warning only.
  CliRun strict = policyc({"check", std::string(SOURCE_DIR) + "/policies/strict.pol"});
  EXPECT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_NE(strict.err.find("warning: this rule allows ioctl TIOCSTI, TIOCLINUX"), std::string::npos) << strict.err;
  EXPECT_NE(strict.out.find("ok (1 warning)"), std::string::npos) << strict.out;
}

// A failing expect line is an input error (exit 2) at its line.
TEST_F(FrontendCli, AFailingExpectLineExitsTwo) {
  std::string pol = write("expect.pol", "seccomp default errno(EPERM) {\n  allow read\n  expect allow write\n}\n");
  CliRun run = policyc({"check", pol});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("expect.pol:3:3: error: expect allow write fails on x86_64: write(...) gets errno(EPERM)"),
            std::string::npos)
      << run.err;
}

TEST_F(FrontendCli, VersionAndHelpExitZero) {
  CliRun version = policyc({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("policyc "), std::string::npos) << version.out;
  CliRun help = policyc({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--emit-bpf"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("check"), std::string::npos);
}

TEST_F(FrontendCli, BadArgumentsAndMissingFilesExitTwo) {
  EXPECT_EQ(policyc({"--no-such-option"}).exit_code, 2);
  EXPECT_EQ(policyc({}).exit_code, 2);
  EXPECT_EQ(policyc({kHello, "--backend", "gcc"}).exit_code, 2);
  CliRun missing = policyc({(dir_ / "nope.pol").string(), "-o", out("x.plan")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.pol: error: cannot read policy file"), std::string::npos) << missing.err;
  EXPECT_TRUE(output_files().empty());
}

TEST_F(FrontendCli, UnwritableOutputLeavesNoHalfOfThePair) {
  CliRun run = policyc({kHello, "--emit-bpf", out("ok.bpf"), "-o", (dir_ / "no-such-dir" / "x.plan").string()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(output_files().empty()) << "the filter written first must be removed again";
}

TEST_F(FrontendCli, BackendAndProfileOptions) {
  std::string profile = std::string(SHARED_TESTDATA_DIR) + "/syscall-mix/tar-python.tsv";
  CliRun run = policyc({kHello, "--backend", "policyc", "--profile", profile, "-o", out("p.plan")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(plan::load_file(out("p.plan")).seccomp->backend, "policyc");
  std::string bad_profile = write("bad.tsv", "read notanumber\n");
  CliRun bad = policyc({kHello, "--backend", "policyc", "--profile", bad_profile, "-o", out("q.plan")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_FALSE(fs::exists(out("q.plan")));
}

}  // namespace
