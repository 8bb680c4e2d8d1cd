// SPDX-License-Identifier: Apache-2.0
// The terminal (bubblewrap CVE-2017-5226): a command that shares the caller's session can push
// bytes into the caller's terminal with TIOCSTI (on an inherited descriptor or /dev/tty), and
// the caller's shell then runs them. plan-exec starts the container in a session of its own
// (`setsid`): no controlling terminal, so TIOCSTI is refused and /dev/tty cannot be opened.
// Everything runs on a real pty, plan-exec as its session leader (as from a login shell); the
// pty's reader is checked for the injected bytes. Then -t: a pty of the container's own.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "plan/plan_json.h"
#include "tests/support/plan_builder.h"
#include "tests/support/pty_session.h"
#include "tests/support/security_suite.h"

namespace {

using security::Policy;
using testsupport::PtySession;

constexpr const char* kTiocstiMarker = "pwned-by-tiocsti";

class SecurityTerminal : public security::Suite<SecurityTerminal> {
 public:
  static constexpr const char* kScratch = "security-terminal";
  static void prepare_rootfs(const std::string& rootfs) {
    for (const char* applet : {"tty", "stty"}) {
      std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet);
    }
    // A cwd the strict policy's user may not enter: a container that fails after the terminal step.
    std::filesystem::permissions(rootfs + "/root", std::filesystem::perms::owner_all);
  }

 protected:
  // plan-exec [extra...] PLAN -- command..., on a fresh pty, `disabled` defences off.
  static std::unique_ptr<PtySession> start(Policy policy, const std::vector<std::string>& command,
                                           const std::vector<std::string>& extra = {},
                                           const std::vector<std::string>& disabled = {},
                                           const std::string& plan = "") {
    std::vector<std::string> argv = {PLAN_EXEC_BIN};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(plan.empty() ? security::plan_path(dir(), policy) : plan);
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    std::vector<std::string> env;
    std::string list;
    for (const auto& d : disabled) list += (list.empty() ? "" : ",") + d;
    if (!list.empty()) env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + list);
    return std::make_unique<PtySession>(argv, env, 37, 101);
  }
};

// --- no -t: the command has no terminal ------------------------------------------------------

TEST_F(SecurityTerminal, TiocstiCannotReachTheCallersTerminal) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    auto session = start(policy, {"/home/probe_terminal", std::string(kTiocstiMarker) + "\n"});
    const int code = session->finish();
    const std::string out = session->output();
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(security::escaped_lines(out), std::vector<std::string>{}) << out;
    EXPECT_EQ(security::held_lines(out).size(), 8u) << out;  // TIOCSTI, TIOCLINUX on 0 1 2 /dev/tty
    EXPECT_NE(out.find("/dev/tty: held (open: No such device or address)"), std::string::npos) << out;
    EXPECT_EQ(out.find(kTiocstiMarker), std::string::npos) << "the terminal echoed injected bytes:\n" << out;
    EXPECT_EQ(session->pending_input().find(kTiocstiMarker), std::string::npos);
  }
}

TEST_F(SecurityTerminal, ControlWithoutSetsidTheInjectionReachesTheReader) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    auto session = start(policy, {"/home/probe_terminal", std::string(kTiocstiMarker) + "\n"}, {}, {"setsid"});
    const int code = session->finish();
    const std::string out = session->output();
    EXPECT_GT(code, 0) << out;
    EXPECT_FALSE(security::escaped_lines(out).empty()) << out;
    // The bytes sit in the terminal's input queue: the caller's shell would read them next.
    EXPECT_NE(session->pending_input().find(kTiocstiMarker), std::string::npos) << out;
  }
}

// The container left plan-exec's process group with its session: ^C on the caller's terminal
// reaches plan-exec alone (si_code SI_KERNEL), which must forward it.
TEST_F(SecurityTerminal, CtrlCOnTheCallersTerminalStillStopsTheCommand) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    // --init: the command is not pid 1 of its pid namespace, which ignores SIGINT it has no handler for.
    auto session = start(policy, {"/bin/sh", "-c", "echo ready; exec sleep 100"}, {"--init"});
    ASSERT_TRUE(session->wait_for_output("ready", 10000)) << session->output();
    session->type("\x03");  // the terminal's VINTR: SIGINT to its foreground process group
    EXPECT_EQ(session->finish(10), 128 + SIGINT) << session->output();
  }
}

// --- -t: a pty of the container's own ---------------------------------------------------------

TEST_F(SecurityTerminal, TtyGivesTheCommandAPtyOfTheContainer) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    auto session = start(policy, {"/bin/sh", "-c", "tty; stty size; ls -1 /dev/pts"}, {"-t"});
    EXPECT_EQ(session->finish(), 0) << session->output();
    const std::string out = session->output();
    // The container's own devpts: its first pty, listed in its /dev/pts.
    EXPECT_NE(out.find("/dev/pts/0\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("37 101\r\n"), std::string::npos) << "the caller's window size\n" << out;
    EXPECT_NE(out.find("0\r\nptmx\r\n"), std::string::npos) << out;
    EXPECT_TRUE(testsupport::same_settings(session->settings(), session->initial_settings()));
  }
}

TEST_F(SecurityTerminal, TtyCtrlCStopsTheCommandAndTheTerminalComesBack) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    auto session = start(policy, {"/bin/sh", "-c", "echo ready; exec sleep 100"}, {"-t", "--init"});
    const termios before = session->initial_settings();
    ASSERT_TRUE(session->wait_for_output("ready", 10000)) << session->output();
    const termios during = session->settings();
    EXPECT_EQ(during.c_lflag & (ICANON | ECHO | ISIG), 0u) << "the caller's terminal is raw while the command runs";
    session->type("\x03");  // a byte for plan-exec; the container's pty makes it SIGINT
    EXPECT_EQ(session->finish(10), 128 + SIGINT) << session->output();
    EXPECT_TRUE(testsupport::same_settings(session->settings(), before));
  }
}

TEST_F(SecurityTerminal, TtyWindowSizeChangesReachTheContainer) {
  auto session = start(Policy::Strict, {"/bin/sh", "-c", "echo ready; read line; stty size"}, {"-t"});
  ASSERT_TRUE(session->wait_for_output("ready", 10000)) << session->output();
  session->resize(50, 132);  // SIGWINCH to plan-exec, which sets the container's pty
  usleep(200 * 1000);
  session->type("\r");
  EXPECT_EQ(session->finish(10), 0) << session->output();
  EXPECT_NE(session->output().find("50 132\r\n"), std::string::npos) << session->output();
}

TEST_F(SecurityTerminal, TtyRestoresTheTerminalOnEveryWayOut) {
  const std::string strict = security::plan_path(dir(), Policy::Strict);
  // The container fails after the terminal step: a cwd its user may not enter.
  plan::Plan bad_cwd = plan::load_file(strict);
  bad_cwd.cwd = "/root";
  const std::string bad_cwd_plan = testsupport::write_plan(bad_cwd, dir() + "/bad-cwd.plan");
  struct Case {
    const char* name;
    std::vector<std::string> command, extra;
    std::string plan;
    int code;
    bool kill_alarm;
  };
  const Case cases[] = {
      {"normal exit", {"/bin/sh", "-c", "echo ready; exit 3"}, {"-t"}, "", 3, false},
      {"command killed", {"/bin/sh", "-c", "echo ready; kill -9 $$"}, {"-t", "--init"}, "", 128 + SIGKILL, false},
      {"plan-exec fails", {"/bin/true"}, {"-t"}, bad_cwd_plan, 125, false},
      {"plan-exec killed by a signal", {"/bin/sh", "-c", "echo ready; exec sleep 100"}, {"-t"}, "", 128 + SIGALRM, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto session = start(Policy::Strict, c.command, c.extra, {}, c.plan);
    const termios before = session->initial_settings();
    if (c.kill_alarm) {
      ASSERT_TRUE(session->wait_for_output("ready", 10000)) << session->output();
      ::kill(session->pid(), SIGALRM);  // not one plan-exec forwards: it ends plan-exec
    }
    EXPECT_EQ(session->finish(10), c.code) << session->output();
    if (c.code == 125) {
      EXPECT_NE(session->output().find("(step: cwd)"), std::string::npos) << session->output();
    }
    EXPECT_TRUE(testsupport::same_settings(session->settings(), before)) << session->output();
  }
}

// The command may push bytes into its own pty (it is its controlling terminal); they stay in
// the container: the caller's terminal has nothing queued for its reader afterwards.
TEST_F(SecurityTerminal, TtyInjectionStaysInTheContainersOwnTerminal) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    auto session = start(policy, {"/home/probe_terminal", std::string(kTiocstiMarker) + "\n"}, {"-t"});
    session->finish();
    EXPECT_NE(session->output().find("tiocsti /dev/tty: escaped"), std::string::npos)
        << "the probe's own pty takes TIOCSTI\n" << session->output();
    EXPECT_EQ(session->pending_input().find(kTiocstiMarker), std::string::npos) << session->output();
    EXPECT_TRUE(testsupport::same_settings(session->settings(), session->initial_settings()));
  }
}

// No `mount dev at /dev`, so no devpts of the container's own: a pty of the host's, whose name
// the container cannot see; size, terminal and restore work the same.
TEST_F(SecurityTerminal, TtyWithoutADevMountUsesAHostPty) {
  plan::Plan no_dev = plan::load_file(security::plan_path(dir(), Policy::Strict));
  std::erase_if(no_dev.mounts, [](const plan::Mount& m) { return m.kind == plan::MountKind::Dev; });
  const std::string plan = testsupport::write_plan(no_dev, dir() + "/no-dev.plan");
  auto session = start(Policy::Strict, {"/bin/sh", "-c", "stty size; test -t 0; echo isatty=$?; tty"}, {"-t"}, {}, plan);
  EXPECT_EQ(session->finish(10), 1) << "tty: the host's /dev/pts/N is not in the container\n" << session->output();
  EXPECT_NE(session->output().find("37 101\r\n"), std::string::npos) << session->output();
  EXPECT_NE(session->output().find("isatty=0"), std::string::npos) << session->output();
  EXPECT_TRUE(testsupport::same_settings(session->settings(), session->initial_settings()));
}

TEST_F(SecurityTerminal, TtyWithoutATerminalOnStdinIsRefusedBeforeAnything) {
  const auto r = run(Policy::Strict, {"/bin/true"}, {}, {"-t"});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("-t needs a terminal on stdin"), std::string::npos) << r.summary();
}

}  // namespace
