// SPDX-License-Identifier: Apache-2.0
// Running containers seen and entered, as root: every run registers in /run/plan-exec while it
// runs (plan-exec ps, table and --json) and not after; a killed run's stale record goes with
// --cleanup; plan-exec exec runs a command inside with exactly the first command's seccomp
// filter, no_new_privs, capabilities, ids, cgroup, namespaces, rlimits, cwd and environment
// (each read from /proc/self inside and compared); exec -t gets a pty of the container's own and
// cannot type into the caller's terminal; stop ends a container as Ctrl-C does; the start-up
// address line and -q; --instance with a pinned host_name. Addresses: 10.200.141-143.x.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/pty_session.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace launcher_instances_test {

constexpr const char kRegistry[] = "/run/plan-exec";

// Everything of /proc/self the comparison looks at, one section each, from whoever runs it.
constexpr const char kReport[] =
    "echo '== status'; cat /proc/self/status\n"
    "echo '== cgroup'; cat /proc/self/cgroup\n"
    "echo '== ns'; for n in cgroup ipc mnt net pid pid_for_children time uts user; do echo $n $(readlink /proc/self/ns/$n); done\n"
    "echo '== env'; env | grep -v -e '^PWD=' -e '^SHLVL=' -e '^_=' | sort\n"
    "echo '== cwd'; pwd\n"
    "echo '== limits'; grep 'Max open files' /proc/self/limits\n"
    "echo '== hostname'; hostname\n"
    "echo '== end'\n";

class LauncherInstances : public HostCheckedSuite<LauncherInstances> {
 public:
  static constexpr const char* kScratch = "launcher-instances";
  static void SetUpTestSuite() {
    HostCheckedSuite::SetUpTestSuite();
    if (!scratch_) return;
    write_text(rootfs() + "/home/report.sh", kReport, 0755);
    std::filesystem::create_symlink("busybox", rootfs() + "/bin/sort");
    std::filesystem::create_symlink("busybox", rootfs() + "/bin/tty");
  }

 protected:
  void TearDown() override {
    // A failed assertion leaves a run SIGKILLed by its Background: its record goes too.
    if (geteuid() == 0) run_plan_exec({"--cleanup"});
    HostCheckedSuite::TearDown();
  }
  void expect_host_as_before(const HostState& after) override {
    HostCheckedSuite::expect_host_as_before(after);
    EXPECT_EQ(new_entries(before_.interfaces, after.interfaces, "psv"), std::vector<std::string>{});
  }

  static std::string plan_file(const plan::Plan& p, const std::string& name) {
    return write_plan(p, scratch_->path() + "/" + name + ".plan");
  }

  // A plan that sets everything exec must repeat: a user and groups, two capabilities,
  // no_new_privs, a filter, an rlimit, a cgroup (pids limit) with a cgroup namespace, a net
  // namespace, a cwd and an environment of its own.
  static plan::Plan full_plan(const std::string& name) {
    plan::Plan p = container_plan(rootfs());
    p.name = name;
    p.namespaces.push_back(plan::Namespace::Net);
    p.namespaces.push_back(plan::Namespace::Cgroup);
    p.network.mode = plan::NetworkMode::Loopback;
    p.user.uid = 1000;
    p.user.gid = 1000;
    p.user.groups = {1000, 1234};
    p.capabilities = {CAP_KILL, CAP_NET_BIND_SERVICE};
    p.no_new_privs = true;
    p.rlimits = {plan::Rlimit{RLIMIT_NOFILE, "nofile", 200, 300}};
    p.seccomp = seccomp_of(errno_filter(SYS_getcpu, EPERM), "allow");  // nothing here calls getcpu
    plan::Cgroups limits;
    limits.pids_max = 32;
    limits.parent = "plan-exec";
    limits.v2 = {{"pids.max", "32"}};
    limits.v1 = {{"pids", {{"pids.max", "32"}}}};
    p.cgroups = limits;
    p.cwd = "/tmp";
    p.env = {"PATH=/bin:/home", "HOME=/root", "MARK=instances-test"};
    return p;
  }

  static std::vector<std::string> first_command_reporting() {
    return {"/bin/sh", "-c", "/bin/sh /home/report.sh > /tmp/first; echo ready; exec sleep 100"};
  }
};

// `plan-exec ps --json`, parsed.
nlohmann::json ps_json() {
  const ProcessResult r = run_plan_exec({"ps", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  return nlohmann::json::parse(r.out);
}

// The record of plan-exec `pid` in ps --json, or null.
nlohmann::json record_of(pid_t pid) {
  for (const auto& record : ps_json()) {
    if (record["pid"] == pid) return record;
  }
  return nullptr;
}

// Polls ps until plan-exec `pid` is listed (its command runs) or `timeout_ms` passes.
nlohmann::json wait_for_record(pid_t pid, int timeout_ms = 10000) {
  const long deadline = now_ms() + timeout_ms;
  for (;;) {
    auto record = record_of(pid);
    if (!record.is_null() || now_ms() > deadline) return record;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Ends a run the way that leaves nothing behind: its container's first process is killed, so
// plan-exec sees its command end and removes its record, veth and cgroups itself.
void end_run(Background& run, const nlohmann::json& record) {
  ASSERT_FALSE(record.is_null());
  kill(record["container_pid"].get<pid_t>(), SIGKILL);
  run.finish(10);
  EXPECT_TRUE(record_of(run.pid()).is_null()) << "plan-exec " << run.pid() << " left its record";
}

// The lines between "== NAME" and the next "==" of a report.
std::string section(const std::string& report, const std::string& name) {
  const auto start = report.find("== " + name + "\n");
  if (start == std::string::npos) return "(no section " + name + ")";
  const auto body = start + name.size() + 4;
  return report.substr(body, report.find("\n==", body) + 1 - body);
}

// The status lines that say how the process is confined.
std::string confinement(const std::string& status) {
  std::istringstream in(status);
  std::string out, line;
  for (const char* key : {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:",
                          "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"}) {
    in.clear();
    in.seekg(0);
    while (std::getline(in, line)) {
      if (line.rfind(key, 0) == 0) out += line + "\n";
    }
  }
  return out;
}

TEST_F(LauncherInstances, PsListsARunningContainerAndNotAfterItsExit) {
  const std::string plan = plan_file(full_plan("ps-probe"), "ps");
  auto run = std::make_unique<Background>(std::vector<std::string>{PLAN_EXEC_BIN, plan, "--", "/bin/sleep", "100"});
  const auto record = wait_for_record(run->pid());
  ASSERT_FALSE(record.is_null()) << "plan-exec " << run->pid() << " never appeared in ps --json";
  EXPECT_EQ(record["name"], "ps-probe");
  EXPECT_EQ(record["plan"], std::filesystem::canonical(plan).string());
  EXPECT_EQ(record["command"], (std::vector<std::string>{"/bin/sleep", "100"}));
  EXPECT_EQ(record["namespaces"], (std::vector<std::string>{"mnt", "pid", "net", "ipc", "uts", "cgroup"}));
  ASSERT_FALSE(record["cgroups"].empty());
  for (const auto& dir : record["cgroups"]) EXPECT_TRUE(std::filesystem::is_directory(dir.get<std::string>())) << dir;
  const pid_t container = record["container_pid"].get<pid_t>();
  // The container's pid 1: plan-exec's minimal init (the default), the command its child.
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(container) + "/exe").filename(), "plan-exec");

  const std::string file = std::string(kRegistry) + "/" + std::to_string(run->pid()) + ".json";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat(kRegistry, &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);

  const ProcessResult table = run_plan_exec({"ps"});
  ASSERT_EQ(table.exit_code, 0) << table.summary();
  EXPECT_EQ(table.out.rfind("NAME ", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("ps-probe"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(" " + std::to_string(run->pid()) + " "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("/bin/sleep 100"), std::string::npos) << table.out;

  ASSERT_EQ(kill(container, SIGKILL), 0);  // the command ends: plan-exec removes its record and exits
  const ProcessResult done = run->finish(10);
  EXPECT_EQ(done.exit_code, 128 + SIGKILL) << done.summary();
  EXPECT_TRUE(record_of(run->pid()).is_null()) << "listed after its exit";
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(file))) << file << " outlived its run";
}

TEST_F(LauncherInstances, CleanupRemovesTheRecordOfAKilledRun) {
  const std::string plan = plan_file(full_plan("stale-probe"), "stale");
  auto run = std::make_unique<Background>(std::vector<std::string>{PLAN_EXEC_BIN, plan, "--", "/bin/sleep", "100"});
  ASSERT_FALSE(wait_for_record(run->pid()).is_null());
  const pid_t pid = run->pid();
  const std::string file = std::string(kRegistry) + "/" + std::to_string(pid) + ".json";
  ASSERT_EQ(kill(pid, SIGKILL), 0);  // no chance to remove its record
  run->finish(10);
  ASSERT_TRUE(std::filesystem::exists(file)) << "a SIGKILLed plan-exec cannot remove its record";
  EXPECT_TRUE(record_of(pid).is_null()) << "ps lists only runs whose plan-exec is alive";
  const ProcessResult cleanup = run_plan_exec({"--cleanup"});
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.summary();
  EXPECT_NE(cleanup.out.find("removed " + file + " (record of stale-probe, plan-exec " + std::to_string(pid) +
                             " no longer running)"),
            std::string::npos)
      << cleanup.out;
  EXPECT_FALSE(std::filesystem::exists(file));
}

// The heart of exec: everything /proc/self says about confinement is the first command's.
TEST_F(LauncherInstances, ExecGetsExactlyTheFirstCommandsConfinement) {
  const std::string plan = plan_file(full_plan("exec-probe"), "exec");
  std::vector<std::string> argv = {PLAN_EXEC_BIN, plan, "--"};
  for (const auto& word : first_command_reporting()) argv.push_back(word);
  auto run = std::make_unique<Background>(argv);
  ASSERT_TRUE(run->wait_for_output("ready", 10000));
  const auto record = wait_for_record(run->pid());
  ASSERT_FALSE(record.is_null());

  const ProcessResult first = run_plan_exec({"exec", "exec-probe", "--", "/bin/cat", "/tmp/first"});
  ASSERT_EQ(first.exit_code, 0) << first.summary();
  const ProcessResult exec = run_plan_exec({"exec", "exec-probe", "--", "/bin/sh", "/home/report.sh"});
  ASSERT_EQ(exec.exit_code, 0) << exec.summary();
  ASSERT_NE(section(first.out, "end"), "(no section end)") << first.out;

  const std::string confined = confinement(section(exec.out, "status"));
  EXPECT_EQ(confined, confinement(section(first.out, "status")));
  // The values themselves: not the caller's (root, all capabilities, no filter).
  EXPECT_NE(confined.find("Uid:\t1000\t1000\t1000\t1000"), std::string::npos) << confined;
  EXPECT_NE(confined.find("Groups:\t1000 1234"), std::string::npos) << confined;
  EXPECT_NE(confined.find("CapEff:\t0000000000000420"), std::string::npos) << confined;  // KILL, NET_BIND_SERVICE
  EXPECT_NE(confined.find("NoNewPrivs:\t1"), std::string::npos) << confined;
  EXPECT_NE(confined.find("Seccomp:\t2"), std::string::npos) << confined;
  for (const char* name : {"cgroup", "ns", "env", "cwd", "limits", "hostname"}) {
    EXPECT_EQ(section(exec.out, name), section(first.out, name)) << name;
  }
  EXPECT_NE(section(exec.out, "env").find("MARK=instances-test"), std::string::npos) << exec.out;
  EXPECT_EQ(section(exec.out, "cwd"), "/tmp\n");
  EXPECT_EQ(section(exec.out, "hostname"), "probe-box\n");
  // Its own pid in the container's pid namespace (NSpid has two levels), and the filter works.
  EXPECT_NE(section(exec.out, "status").find("NSpid:\t"), std::string::npos);
  const ProcessResult by_pid =
      run_plan_exec({"exec", std::to_string(run->pid()), "--", "/home/probe", "syscall", std::to_string(SYS_getcpu)});
  EXPECT_EQ(by_pid.exit_code, 0) << by_pid.summary();
  EXPECT_NE(by_pid.out.find("syscall:" + std::to_string(SYS_getcpu) + "=-1 errno=" + std::to_string(EPERM)), std::string::npos)
      << "the plan's filter denies getcpu\n" << by_pid.summary();
  end_run(*run, record);
}

TEST_F(LauncherInstances, ExecReportsAMissingCommandAndAnUnknownContainer) {
  const std::string plan = plan_file(full_plan("exec-errors"), "exec-errors");
  auto run = std::make_unique<Background>(std::vector<std::string>{PLAN_EXEC_BIN, plan, "--", "/bin/sleep", "100"});
  const auto record = wait_for_record(run->pid());
  ASSERT_FALSE(record.is_null());
  ProcessResult r = run_plan_exec({"exec", "exec-errors", "--", "no-such-program"});
  EXPECT_EQ(r.exit_code, 127) << r.summary();
  r = run_plan_exec({"exec", "exec-errors", "--", "/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r.summary();
  r = run_plan_exec({"exec", "no-such-container", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("no running container is named no-such-container"), std::string::npos) << r.err;
  // A directory on stdin would reach the command inside (openat(0, "..") walks out of its root):
  // refused as for a run, before anything is done.
  r = run_plan_exec({"exec", "exec-errors", "--", "/bin/true"}, ProcessOptions{{}, -1, 30, scratch_->path(), O_RDONLY | O_DIRECTORY});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("directory"), std::string::npos) << r.err;
  end_run(*run, record);
}

// exec -t: a pty of the container's own devpts; the command may push bytes into it (its own
// terminal) but nothing reaches the caller's terminal. Without -t it has no terminal at all.
TEST_F(LauncherInstances, ExecWithATerminalCannotTypeIntoTheCallersOne) {
  const std::string plan = plan_file(full_plan("exec-tty"), "exec-tty");
  auto run = std::make_unique<Background>(std::vector<std::string>{PLAN_EXEC_BIN, plan, "--", "/bin/sleep", "100"});
  const auto record = wait_for_record(run->pid());
  ASSERT_FALSE(record.is_null());
  const std::string marker = "exec-injected-marker";
  {
    PtySession session({PLAN_EXEC_BIN, "exec", "exec-tty", "-t", "--", "/bin/sh", "-c", "tty; test -t 0 && echo isatty"}, {}, 30, 90);
    EXPECT_EQ(session.finish(10), 0) << session.output();
    EXPECT_NE(session.output().find("/dev/pts/"), std::string::npos) << session.output();
    EXPECT_NE(session.output().find("isatty"), std::string::npos) << session.output();
    EXPECT_TRUE(same_settings(session.settings(), session.initial_settings())) << "the caller's terminal is restored";
  }
  {
    PtySession session({PLAN_EXEC_BIN, "exec", "exec-tty", "-t", "--", "/home/probe_terminal", marker + "\n"}, {});
    session.finish(10);
    EXPECT_NE(session.output().find("tiocsti /dev/tty: escaped"), std::string::npos)
        << "its own pty takes TIOCSTI\n" << session.output();
    EXPECT_EQ(session.pending_input().find(marker), std::string::npos) << session.output();
  }
  {
    PtySession session({PLAN_EXEC_BIN, "exec", "exec-tty", "--", "/home/probe_terminal", marker + "\n"}, {});
    EXPECT_EQ(session.finish(10), 0) << session.output();
    EXPECT_EQ(session.output().find("escaped"), std::string::npos) << session.output();
    EXPECT_EQ(session.pending_input().find(marker), std::string::npos) << session.output();
  }
  end_run(*run, record);
}

TEST_F(LauncherInstances, StopEndsTheContainerAsCtrlCWould) {
  const std::string plan = plan_file(full_plan("stop-probe"), "stop");
  // --init: sleep as pid 1 would ignore the forwarded SIGTERM.
  auto run = std::make_unique<Background>(std::vector<std::string>{PLAN_EXEC_BIN, "--init", plan, "--", "/bin/sleep", "100"});
  ASSERT_FALSE(wait_for_record(run->pid()).is_null());
  const long start = now_ms();
  const ProcessResult stop = run_plan_exec({"stop", "stop-probe"});
  EXPECT_EQ(stop.exit_code, 0) << stop.summary();
  EXPECT_EQ(stop.out, "stop-probe\n");
  EXPECT_LT(now_ms() - start, 5000);
  const ProcessResult done = run->finish(5);
  EXPECT_EQ(done.exit_code, 128 + SIGTERM) << done.summary();
  EXPECT_TRUE(record_of(run->pid()).is_null());
  const ProcessResult again = run_plan_exec({"stop", "stop-probe"});
  EXPECT_EQ(again.exit_code, 125) << again.summary();
}

plan::Plan veth_plan(const std::string& name, const std::string& subnet, const std::string& host_name) {
  plan::Plan p = container_plan("");
  p.name = name;
  p.namespaces.push_back(plan::Namespace::Net);
  p.network.mode = plan::NetworkMode::Veth;
  p.network.veth = veth_link(subnet + ".1", subnet + ".2");
  p.network.veth->host_ifname = host_name;
  return p;
}

TEST_F(LauncherInstances, AVethRunPrintsItsAddressUnlessQuiet) {
  plan::Plan p = veth_plan("addr-probe", "10.200.141", "");
  p.rootfs->path = rootfs();
  const std::string plan = plan_file(p, "addr");
  ProcessResult r = run_plan_exec({plan, "--", "/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_NE(r.err.find("addr-probe: 10.200.141.2 via pe-"), std::string::npos) << r.err;
  r = run_plan_exec({"-q", plan, "--", "/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.err.find("10.200.141.2"), std::string::npos) << r.err;
  // No veth, no line.
  r = run_plan_exec({plan_file(full_plan("no-veth"), "no-veth"), "--", "/bin/true"});
  EXPECT_EQ(r.err, "") << r.summary();
}

// A pinned host_name is one interface: copy 1 takes "<name>-1", both run, both are listed.
TEST_F(LauncherInstances, InstanceWorksWithAPinnedHostName) {
  plan::Plan p = veth_plan("pinned-probe", "10.200.142", "psv142");
  p.rootfs->path = rootfs();
  const std::string plan = plan_file(p, "pinned");
  auto first = std::make_unique<Background>(std::vector<std::string>{PLAN_EXEC_BIN, "--init", plan, "--", "/bin/sleep", "100"});
  ASSERT_FALSE(wait_for_record(first->pid()).is_null());
  const ProcessResult second = run_plan_exec({"--instance", "1", plan, "--", "/bin/sh", "-c", "ip -o addr show eth0"});
  EXPECT_EQ(second.exit_code, 0) << second.summary();
  EXPECT_NE(second.err.find("pinned-probe-1: 10.200.143.2 via psv142-1"), std::string::npos) << second.err;
  EXPECT_NE(second.out.find("10.200.143.2/24"), std::string::npos) << second.out;
  const auto record = record_of(first->pid());
  ASSERT_FALSE(record.is_null());
  EXPECT_EQ(record["veth"]["host_ifname"], "psv142");
  EXPECT_EQ(record["veth"]["container_address"], "10.200.142.2/24");
  EXPECT_EQ(run_plan_exec({"stop", "pinned-probe"}).exit_code, 0);
  first->finish(10);
}

}  // namespace launcher_instances_test
