// SPDX-License-Identifier: Apache-2.0
// Stopping a container, as root: Ctrl-C (SIGINT) and SIGTERM to plan-exec stop `sleep`, busybox
// httpd and python's http.server, none of which installs a SIGTERM handler of its own, because
// by default plan-exec's minimal init is pid 1 and the command its child; a command that ignores
// SIGTERM is killed when --stop-timeout runs out, a second Ctrl-C kills at once, and each run
// leaves no process, mount or cgroup behind. Without an init (--no-init, `init none`) the
// command is pid 1 and only the timeout stops it. Under `nohup` a hangup stops nothing.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace launcher_stop_test {

// The sleep processes whose command line holds `marker` (their unique argument).
std::vector<pid_t> processes_with_marker(const std::string& marker) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (dirent* e = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == ::getpid()) continue;
    std::string comm, cmdline;
    try {
      comm = read_text("/proc/" + std::string(e->d_name) + "/comm");
      cmdline = read_text("/proc/" + std::string(e->d_name) + "/cmdline");
    } catch (...) {
      continue;
    }
    if (comm != "sleep\n") continue;  // plan-exec's own command line holds the marker too
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(marker) != std::string::npos) found.push_back(pid);
  }
  ::closedir(proc);
  return found;
}

class LauncherStop : public HostCheckedSuite<LauncherStop> {
 public:
  static constexpr const char* kScratch = "launcher-stop";

 protected:
  static void SetUpTestSuite() {
    HostCheckedSuite::SetUpTestSuite();
    if (!scratch_) return;
    ::mkdir((rootfs() + "/www").c_str(), 0755);
    write_text(rootfs() + "/www/index.html", "<h1>stop</h1>\n");
    // python3 comes from the host's /usr, bound read-only; its libraries are found through these.
    ::symlink("usr/lib", (rootfs() + "/lib").c_str());
    ::symlink("usr/lib64", (rootfs() + "/lib64").c_str());
  }
  void expect_host_as_before(const HostState& after) override {
    HostCheckedSuite::expect_host_as_before(after);
    EXPECT_EQ(new_entries(before_.cgroups, after.cgroups), std::vector<std::string>{});
  }
  // The test plan with its own net namespace (servers bind its loopback) and /usr for python.
  static plan::Plan server_plan() {
    plan::Plan p = container_plan(rootfs());
    p.namespaces.push_back(plan::Namespace::Net);
    p.network.mode = plan::NetworkMode::Loopback;
    p.mounts.push_back(bind_mount("/usr", "/usr", true));
    return p;
  }
  static std::string plan_file(const plan::Plan& p) { return write_plan(p, scratch_->path() + "/plan.json"); }

  struct Stopped {
    ProcessResult result;
    double seconds = 0;  // from the signal to plan-exec's exit
  };
  // Starts `command` (its `sh -c` prints "ready" just before it execs the real program), waits
  // for `ready` on stdout, gives the exec a moment, sends `signals` to plan-exec (0.3 s apart),
  // and waits for it to exit.
  static Stopped start_and_signal(const plan::Plan& p, const std::vector<std::string>& options,
                                  const std::string& script, const std::string& ready, std::vector<int> signals) {
    std::vector<std::string> argv = {PLAN_EXEC_BIN};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {plan_file(p), "--", "/bin/sh", "-c", script});
    Background pe(argv);
    Stopped stopped;
    if (!pe.wait_for_output(ready, 15000)) {
      ADD_FAILURE() << "never saw \"" << ready << "\"";
      stopped.result = pe.finish(1);
      return stopped;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < signals.size(); ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      ::kill(pe.pid(), signals[i]);
    }
    stopped.result = pe.finish(30);
    stopped.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return stopped;
  }
};

// The command that runs as each test's workload, the line it prints once it is up, and the exit
// code it ends with after SIGINT and after SIGTERM.
struct Workload {
  const char* name;
  const char* script;
  const char* ready;
  int on_sigint, on_sigterm;
};

const Workload kSleep{"sleep", "echo ready; exec sleep 100", "ready", 128 + SIGINT, 128 + SIGTERM};
const Workload kHttpd{"busybox httpd", "echo ready; exec /bin/busybox httpd -f -p 127.0.0.1:8080 -h /www", "ready",
                      128 + SIGINT, 128 + SIGTERM};
// http.server catches KeyboardInterrupt, says so and exits 0: its own code, which plan-exec keeps.
const Workload kPython{"python3 -m http.server", "cd /www && exec /usr/bin/python3 -u -m http.server 8000 --bind 127.0.0.1",
                       "Serving HTTP", 0, 128 + SIGTERM};

void expect_stopped_by(const Workload& w, int sig, double seconds, const ProcessResult& r) {
  const int expected = sig == SIGINT ? w.on_sigint : w.on_sigterm;
  EXPECT_EQ(r.exit_code, expected) << w.name << " after " << strsignal(sig) << "\n" << r.summary();
  EXPECT_LT(seconds, 5.0) << w.name << " took " << seconds << " s to stop: the stop timeout (10 s) did it, not the signal";
  EXPECT_EQ(r.err.find("killed everything"), std::string::npos) << r.summary();
}

TEST_F(LauncherStop, SigintAndSigtermStopCommandsWithoutHandlersOfTheirOwn) {
  std::vector<Workload> workloads = {kSleep, kHttpd};
  if (::access("/usr/bin/python3", X_OK) == 0) workloads.push_back(kPython);
  else std::printf("no /usr/bin/python3 on this host: python's http.server is not tried\n");
  for (const Workload& w : workloads) {
    for (int sig : {SIGINT, SIGTERM}) {
      const Stopped s = start_and_signal(server_plan(), {}, w.script, w.ready, {sig});
      expect_stopped_by(w, sig, s.seconds, s.result);
    }
  }
}

// `nohup plan-exec ...`: SIGHUP was ignored when plan-exec started, so it stays ignored, in
// plan-exec and in the command (bit 0 of its SigIgn), and a hangup stops nothing.
TEST_F(LauncherStop, UnderNohupAHangupStopsNothingAndTheCommandIgnoresItToo) {
  const std::string script = "cat /proc/self/status; echo ready; sleep 1; echo done";
  Background pe({"/usr/bin/nohup", PLAN_EXEC_BIN, plan_file(container_plan(rootfs())), "--", "/bin/sh", "-c", script});
  ASSERT_TRUE(pe.wait_for_output("ready", 15000));
  ::kill(pe.pid(), SIGHUP);  // nohup exec'd plan-exec: the same pid
  const ProcessResult r = pe.finish(30);
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.summary();
  const auto at = r.out.find("SigIgn:");
  ASSERT_NE(at, std::string::npos) << r.summary();
  const unsigned long long ignored = std::stoull(r.out.substr(at + 7), nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGHUP - 1)), 1ULL << (SIGHUP - 1)) << "SIGHUP is not ignored in the command\n" << r.summary();
}

// The control: without nohup the same hangup reaches the command and stops it.
TEST_F(LauncherStop, WithoutNohupAHangupStopsTheCommand) {
  const Stopped s = start_and_signal(container_plan(rootfs()), {}, "echo ready; exec sleep 100", "ready", {SIGHUP});
  EXPECT_EQ(s.result.exit_code, 128 + SIGHUP) << s.result.summary();
  EXPECT_LT(s.seconds, 5.0) << s.result.summary();
}

TEST_F(LauncherStop, TheCommandIsPid2UnderTheDefaultInitAndPid1WithoutOne) {
  auto r = run_plan_exec({plan_file(container_plan(rootfs())), "--", "/home/probe", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "pid"), "2");
  EXPECT_EQ(probe_value(r.out, "ppid"), "1");
  r = run_plan_exec({"--no-init", plan_file(container_plan(rootfs())), "--", "/home/probe", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "pid"), "1");
  plan::Plan own_init = container_plan(rootfs());
  own_init.command_is_init = true;
  r = run_plan_exec({plan_file(own_init), "--", "/home/probe", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "pid"), "1") << "the plan says the command is an init: plan-exec adds none";
  r = run_plan_exec({"--init", plan_file(own_init), "--", "/home/probe", "status"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(probe_value(r.out, "pid"), "2") << "--init overrides the plan";
}

TEST_F(LauncherStop, ACommandIgnoringSigtermIsKilledWhenTheStopTimeoutRunsOut) {
  const Stopped s = start_and_signal(container_plan(rootfs()), {"--stop-timeout", "1"},
                                     "trap '' TERM; echo ready; exec sleep 100", "ready", {SIGTERM});
  EXPECT_EQ(s.result.exit_code, 128 + SIGKILL) << s.result.summary();
  EXPECT_GE(s.seconds, 0.9) << "killed before the stop timeout ran out";
  EXPECT_LT(s.seconds, 4.0) << "the stop timeout is 1 s";
  EXPECT_NE(s.result.err.find("plan-exec: the container did not exit within 1 s of SIGTERM (--stop-timeout): killed "
                              "everything in the container"),
            std::string::npos)
      << s.result.summary();
}

TEST_F(LauncherStop, ASecondCtrlCKillsAtOnce) {
  const Stopped s = start_and_signal(container_plan(rootfs()), {},
                                     "trap '' INT TERM; echo ready; exec sleep 100", "ready", {SIGINT, SIGINT});
  EXPECT_EQ(s.result.exit_code, 128 + SIGKILL) << s.result.summary();
  EXPECT_LT(s.seconds, 3.0) << "the second SIGINT must not wait for the 10 s stop timeout";
  EXPECT_NE(s.result.err.find("plan-exec: a second SIGINT (Ctrl-C): killed everything in the container"),
            std::string::npos)
      << s.result.summary();
}

TEST_F(LauncherStop, WithoutAnInitTheCommandIsPid1AndOnlyTheTimeoutStopsIt) {
  // pid 1 of a pid namespace gets no signal it has no handler for: sleep ignores SIGTERM there.
  Stopped s = start_and_signal(container_plan(rootfs()), {"--no-init", "--stop-timeout", "1"},
                               "echo ready; exec sleep 100", "ready", {SIGTERM});
  EXPECT_EQ(s.result.exit_code, 128 + SIGKILL) << s.result.summary();
  EXPECT_GE(s.seconds, 0.9) << s.result.summary();
  // A stop timeout of 0 kills at once, as `docker stop -t 0`.
  s = start_and_signal(container_plan(rootfs()), {"--no-init", "--stop-timeout", "0"}, "echo ready; exec sleep 100",
                       "ready", {SIGTERM});
  EXPECT_EQ(s.result.exit_code, 128 + SIGKILL) << s.result.summary();
  EXPECT_LT(s.seconds, 3.0) << s.result.summary();
}

// No pid namespace: killing the first process does not end the rest. A sleep that left the
// session and ignores SIGTERM is still killed, through the container's cgroup.
TEST_F(LauncherStop, TheTimeoutKillsWhatLeftTheSessionThroughTheCgroup) {
  const std::string marker = "9" + std::to_string(::getpid()) + "7";
  plan::Plan p = container_plan(rootfs());
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Uts, plan::Namespace::Ipc};
  p.mounts = {dev_mount(), tmpfs_mount("/tmp")};
  plan::Cgroups limits;
  limits.pids_max = 64;
  limits.parent = "plan-exec";
  limits.v2 = {{"pids.max", "64"}};
  limits.v1 = {{"pids", {{"pids.max", "64"}}}};
  p.cgroups = limits;
  const Stopped s = start_and_signal(
      p, {"--stop-timeout", "1"},
      "trap '' TERM; /bin/busybox setsid /bin/sleep " + marker + " & echo ready; exec sleep 100", "ready", {SIGTERM});
  EXPECT_EQ(s.result.exit_code, 128 + SIGKILL) << s.result.summary();
  std::vector<pid_t> left;
  for (int i = 0; i < 50 && !(left = processes_with_marker("sleep " + marker)).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (pid_t pid : left) ::kill(pid, SIGKILL);  // ours: its argument is this test's marker
  EXPECT_TRUE(left.empty()) << "a process of the container outlived the stop timeout";
}

TEST_F(LauncherStop, DryRunNamesTheStopTimeout) {
  auto r = run_plan_exec({"--dry-run", "--stop-timeout", "2.5", plan_file(container_plan(rootfs()))});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.out.find("after INT or TERM the container gets 2.5 s (--stop-timeout)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("minimal pid 1"), std::string::npos) << r.out;
  r = run_plan_exec({"--dry-run", "--no-init", plan_file(container_plan(rootfs()))});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out.find("minimal pid 1"), std::string::npos) << r.out;
}

TEST_F(LauncherStop, BadOptionsAreRefusedBeforeAnything) {
  auto r = run_plan_exec({"--stop-timeout", "soon", plan_file(container_plan(rootfs()))});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("--stop-timeout takes the seconds"), std::string::npos) << r.err;
  r = run_plan_exec({"--init", "--no-init", plan_file(container_plan(rootfs()))});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("contradict"), std::string::npos) << r.err;
}

}  // namespace launcher_stop_test
