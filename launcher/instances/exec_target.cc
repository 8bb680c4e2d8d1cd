// SPDX-License-Identifier: Apache-2.0
#include "launcher/instances/exec_target.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "launcher/instances/lookup.h"
#include "launcher/instances/pidfd.h"
#include "launcher/instances/registration.h"
#include "plan/encoding.h"
#include "plan/plan_json.h"

namespace launcher {

namespace {

std::string proc_path(pid_t pid, const char* leaf) { return "/proc/" + std::to_string(pid) + "/" + leaf; }

// "allow" or "deny" from /proc/PID/setgroups; unreadable (a non-dumpable init, rootless):
// rootless maps always deny it, root's allow it when the plan sets groups.
bool setgroups_allowed_in(pid_t pid) {
  const int fd = ::open(proc_path(pid, "setgroups").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ::geteuid() == 0;
  char text[8] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  return n > 0 && std::strncmp(text, "allow", 5) == 0;
}

void add_cgroups(ExecTarget& t) {
  for (const auto& dir : t.record.cgroups) {
    struct statfs fs {};
    if (::statfs(dir.c_str(), &fs) != 0) {
      throw RegistryError("the container's cgroup " + dir + " is gone (" + std::strerror(errno) + "): is " +
                          t.record.name + " still running?");
    }
    if (fs.f_type == CGROUP2_SUPER_MAGIC && t.cgroup2_fd < 0) {
      t.cgroup2_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (t.cgroup2_fd < 0) throw RegistryError("open the container's cgroup " + dir + ": " + std::strerror(errno));
    } else {
      t.v1_cgroups.push_back(dir);
    }
  }
}

// The first pid in /proc/PID/task/PID/children; 0 when there is none.
pid_t first_child_of(pid_t pid) {
  const int fd = ::open(("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children").c_str(),
                        O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[32] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  return n > 0 ? static_cast<pid_t>(std::strtol(text, nullptr, 10)) : 0;
}

pid_t parent_of(pid_t pid) {
  const int fd = ::open(proc_path(pid, "status").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[4096] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  const char* at = n > 0 ? std::strstr(text, "\nPPid:") : nullptr;
  return at ? static_cast<pid_t>(std::strtol(at + 7, nullptr, 10)) : 0;
}

// A rootless caller cannot enter through a non-dumpable pid 1 (--init's hardened init: setns
// through its pidfd and its /proc/PID/root need ptrace access, which it refuses to anyone but
// the host's root). Its command, its child, sits in the same namespaces and root: enter through
// it. Its pidfd is opened before its parent is checked, so it surely is init's child.
void enter_through_the_command(ExecTarget& t) {
  const pid_t init = t.record.container_pid;
  const pid_t command = first_child_of(init);
  if (command <= 0) return;
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, command, 0));
  if (fd < 0) return;
  if (parent_of(command) != init || ::syscall(SYS_pidfd_send_signal, fd, 0, nullptr, 0) != 0) {
    ::close(fd);
    return;
  }
  ::close(t.pidfd);
  t.pidfd = fd;
  t.entry_pid = command;
  t.root_fd = ::open(proc_path(command, "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

}  // namespace

ExecTarget::ExecTarget(ExecTarget&& other) noexcept
    : record(std::move(other.record)),
      plan(std::move(other.plan)),
      join_flags(other.join_flags),
      setgroups_allowed(other.setgroups_allowed),
      entry_pid(other.entry_pid),
      pidfd(std::exchange(other.pidfd, -1)),
      root_fd(std::exchange(other.root_fd, -1)),
      cgroup2_fd(std::exchange(other.cgroup2_fd, -1)),
      v1_cgroups(std::move(other.v1_cgroups)) {}

ExecTarget::~ExecTarget() {
  for (int fd : {pidfd, root_fd, cgroup2_fd}) {
    if (fd >= 0) ::close(fd);
  }
}

ExecTarget resolve_exec_target(const std::string& name_or_pid) {
  ExecTarget t;
  t.record = pick_instance(running_instances_of_caller(), name_or_pid);
  const InstanceRecord& r = t.record;
  // The settings the first command got are the plan's as it was then: a changed plan file
  // would give this command others.
  const std::string text = plan::read_plan_text(r.plan_path);
  if (plan::sha256_hex(text.data(), text.size()) != r.plan_sha256) {
    throw RegistryError("the plan " + r.plan_path + " changed since " + r.name +
                        " started (its sha256 differs), so exec cannot give the command the container's settings; "
                        "restore that plan or restart the container");
  }
  t.plan = plan::load_text(r.plan_path, text);
  t.join_flags = namespace_flags(r.namespaces);
  t.pidfd = open_recorded_pidfd(r.container_pid, r.container_start,
                                "the container process " + std::to_string(r.container_pid) + " of " + r.name);
  t.entry_pid = r.container_pid;
  t.root_fd = ::open(proc_path(r.container_pid, "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (t.root_fd < 0 && errno == EACCES) enter_through_the_command(t);
  if (t.root_fd < 0) {
    throw RegistryError("open the root of " + r.name + " (" + proc_path(t.entry_pid, "root") + "): " +
                        std::strerror(errno));
  }
  if (t.join_flags & CLONE_NEWUSER) t.setgroups_allowed = setgroups_allowed_in(t.entry_pid);
  add_cgroups(t);
  return t;
}

std::vector<std::string> exec_candidates(const std::string& argv0, const std::vector<std::string>& env) {
  if (argv0.find('/') != std::string::npos) return {argv0};
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(path.find(':', start), path.size());
    const std::string dir = path.substr(start, end - start);
    out.push_back((dir.empty() ? "." : dir) + "/" + argv0);
    if (end == path.size()) break;
    start = end + 1;
  }
  return out;
}

}  // namespace launcher
