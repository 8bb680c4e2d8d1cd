// SPDX-License-Identifier: Apache-2.0
#include "launcher/validate.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "launcher/process/exec_diagnosis.h"
#include "launcher/process/landlock.h"
#include "launcher/rootfs/devices.h"
#include "launcher/host/safe_path.h"
#include "launcher/process/process_steps.h"
#include "launcher/rootfs/mount_steps.h"
#include "plan/landlock.h"
#include "plan/rules.h"

namespace launcher {

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw StepError("validate", key + ": " + what);
}

// The plan's own rules (plan/rules.h) are checked by the loader and again by validate_plan();
// what follows depends on this host or on the caller only.

void validate_rootfs(const plan::Plan& plan) {
  if (!plan.rootfs) return;
  const auto& r = *plan.rootfs;
  struct stat st {};
  if (::stat(r.path.c_str(), &st) != 0) {
    fail("plan.rootfs.path", r.path + " does not exist on this host (" + std::string(std::strerror(errno)) +
                                 "); create it or point the policy's rootfs elsewhere");
  }
  if (r.kind == plan::RootfsKind::Directory && !S_ISDIR(st.st_mode)) {
    fail("plan.rootfs.path", r.path + " is not a directory (for a .tar/.tar.gz use `rootfs archive`)");
  }
  if (r.kind == plan::RootfsKind::Archive && !S_ISREG(st.st_mode)) {
    fail("plan.rootfs.path", r.path + " is not a regular file (an archive rootfs is a .tar or .tar.gz)");
  }
  // A symlink (or bind) to the host's root would give the container the whole host.
  struct stat host_root {};
  if (r.kind == plan::RootfsKind::Directory && ::stat("/", &host_root) == 0 && st.st_dev == host_root.st_dev &&
      st.st_ino == host_root.st_ino) {
    fail("plan.rootfs.path", r.path + " is this host's root directory; point the rootfs at a container's tree");
  }
}

void validate_bind_sources(const plan::Plan& plan) {
  for (std::size_t i = 0; i < plan.mounts.size(); ++i) {
    const auto& m = plan.mounts[i];
    if (m.kind != plan::MountKind::Bind) continue;
    struct stat st {};
    if (::stat(m.source.c_str(), &st) != 0) {
      fail("plan.mounts[" + std::to_string(i) + "].source", "bind source " + m.source + " does not exist on this host");
    }
  }
}

void validate_caller(const plan::Plan& plan, bool rootless) {
  if (rootless && !plan.user.groups.empty()) {
    fail("plan.user.groups", "supplementary groups cannot be set in a rootless run (setgroups is denied in an "
                             "unprivileged user namespace); remove `groups` or run as root");
  }
  if (rootless && plan.network.mode == plan::NetworkMode::Veth) {
    fail("plan.network", "a veth pair needs root on the host; run as root, or use `network user { ... }` (pasta) or `network loopback` for a rootless run");
  }
  if (rootless && plan.cgroups && !plan.cgroups->best_effort) {
    fail("plan.cgroups", "limits need root on the host (cgroup directories); run as root, mark them `best_effort` "
                         "(a rootless run then goes without them, with a warning), or remove `limits` from the "
                         "policy for a rootless run");
  }
  if (plan.command.empty()) {
    fail("plan.command", "no command: give one in the policy (`command ...`) or after `--` on the command line");
  }
}

void validate_kernel_capabilities(const plan::Plan& plan) {
  const int last = last_capability();
  for (std::size_t i = 0; i < plan.capabilities.size(); ++i) {
    if (plan.capabilities[i] < 0 || plan.capabilities[i] > last) {
      fail("plan.capabilities[" + std::to_string(i) + "]",
           "capability " + std::to_string(plan.capabilities[i]) + " is unknown to this kernel (last is " +
               std::to_string(last) + ")");
    }
  }
}

const char* proc_ns_name(plan::Namespace ns) {
  switch (ns) {
    case plan::Namespace::Mount: return "mnt";
    case plan::Namespace::Pid: return "pid";
    case plan::Namespace::Ipc: return "ipc";
    case plan::Namespace::Uts: return "uts";
    case plan::Namespace::Net: return "net";
    case plan::Namespace::User: return "user";
    case plan::Namespace::Cgroup: return "cgroup";
    case plan::Namespace::Time: return "time";
  }
  return "?";
}

bool is_executable_file(const std::string& root, const std::string& path, int* err) {
  Fd fd = open_in_root(real_kernel(), root, path);
  if (!fd) {
    *err = errno;
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
    *err = EACCES;
    return false;
  }
  return true;
}

}  // namespace

void refuse_setuid(uid_t ruid, uid_t euid, gid_t rgid, gid_t egid) {
  if (ruid != euid || rgid != egid) {
    throw StepError("validate", "plan-exec is running setuid/setgid (real uid " + std::to_string(ruid) +
                                    ", effective " + std::to_string(euid) +
                                    "): it is never installed that way; run it as root or rootless");
  }
}

std::vector<plan::Namespace> effective_namespaces(const plan::Plan& plan, bool rootless) {
  std::vector<plan::Namespace> result = plan.namespaces;
  if (rootless && !plan.has_namespace(plan::Namespace::User)) result.push_back(plan::Namespace::User);
  return result;
}

unsigned long long clone_flags(const std::vector<plan::Namespace>& namespaces) {
  unsigned long long flags = 0;
  for (auto ns : namespaces) {
    switch (ns) {
      case plan::Namespace::Mount: flags |= CLONE_NEWNS; break;
      case plan::Namespace::Pid: flags |= CLONE_NEWPID; break;
      case plan::Namespace::Ipc: flags |= CLONE_NEWIPC; break;
      case plan::Namespace::Uts: flags |= CLONE_NEWUTS; break;
      case plan::Namespace::Net: flags |= CLONE_NEWNET; break;
      case plan::Namespace::User: flags |= CLONE_NEWUSER; break;
      case plan::Namespace::Cgroup: flags |= CLONE_NEWCGROUP; break;
      case plan::Namespace::Time: flags |= CLONE_NEWTIME; break;
    }
  }
  return flags;
}

void validate_plan(const plan::Plan& plan, bool rootless) {
  // The rules again: since loading, `-- cmd` may have replaced the command and --instance moved
  // the veth to another subnet.
  if (const auto broken = plan::check_plan(plan); !broken.empty()) fail(broken.front().key, broken.front().what);
  validate_rootfs(plan);
  validate_bind_sources(plan);
  validate_granted_devices(plan);
  validate_kernel_capabilities(plan);
  validate_caller(plan, rootless);
}

void check_host_supports(const std::vector<plan::Namespace>& namespaces, bool needs_seccomp, bool rootless) {
  // The kernel lists a link in /proc/self/ns for each namespace type it has. Looked up from one
  // descriptor of that directory and without following the links: following one makes the
  // kernel build an nsfs inode per namespace (measured: 5 access() calls cost ~60 us per start).
  const int ns_dir = namespaces.empty() ? -1 : ::open("/proc/self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (auto ns : namespaces) {
    const std::string path = std::string("/proc/self/ns/") + proc_ns_name(ns);
    struct stat st {};
    const bool listed = ns_dir >= 0 ? ::fstatat(ns_dir, proc_ns_name(ns), &st, AT_SYMLINK_NOFOLLOW) == 0
                                    : ::access(path.c_str(), F_OK) == 0;
    if (!listed) {
      if (ns_dir >= 0) ::close(ns_dir);
      throw StepError("validate", "this kernel has no " + plan::to_string(ns) + " namespace (" + path +
                                      " is missing); remove it from the policy's namespaces");
    }
  }
  if (ns_dir >= 0) ::close(ns_dir);
  if (rootless) {
    std::ifstream max("/proc/sys/user/max_user_namespaces");
    long n = -1;
    if (max >> n; n == 0) {
      throw StepError("validate", "rootless runs need user namespaces, and /proc/sys/user/max_user_namespaces is 0 "
                                  "on this host; ask the administrator to raise it, or run as root");
    }
  }
  if (needs_seccomp && ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
    throw StepError("validate", "this kernel lacks seccomp, which the plan's filter needs", errno);
  }
}

std::string search_path(const std::vector<std::string>& env) {
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) return e.substr(5);
  }
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// The tree that holds `path`: the host source of the deepest bind mount covering it, or the rootfs.
static std::pair<std::string, std::string> locate(const std::string& root_dir, const std::string& path,
                                                  const std::vector<plan::Mount>& mounts) {
  std::pair<std::string, std::string> where{root_dir, path};
  std::size_t best = 0;
  for (const auto& m : mounts) {
    if (m.kind != plan::MountKind::Bind) continue;
    if (path.rfind(m.target + "/", 0) == 0 && m.target.size() > best) {
      best = m.target.size();
      where = {m.source, path.substr(m.target.size())};
    }
  }
  return where;
}

std::string resolve_command(const std::string& root_dir, const std::string& argv0, const std::string& path,
                            const std::vector<plan::Mount>& mounts) {
  int err = ENOENT;
  if (argv0.find('/') != std::string::npos) {
    if (argv0.front() != '/') {
      throw CommandError("command " + argv0 + ": give an absolute path or a bare name found in PATH", 127, ENOENT);
    }
    auto [tree, inside] = locate(root_dir, argv0, mounts);
    if (is_executable_file(tree, inside, &err)) return argv0;
  } else {
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      std::string dir = path.substr(start, end - start);
      start = end + 1;
      if (dir.empty() || dir.front() != '/') continue;
      const std::string candidate = dir + "/" + argv0;
      auto [tree, inside] = locate(root_dir, candidate, mounts);
      int this_err = ENOENT;
      if (is_executable_file(tree, inside, &this_err)) return candidate;
      if (this_err == EACCES) err = EACCES;  // found but not executable: report 126 if nothing better
    }
  }
  const std::string where = root_dir == "/" || root_dir.empty() ? "on this host" : "in the rootfs " + root_dir;
  if (err == EACCES) {
    throw CommandError("command " + argv0 + " " + where + " is not an executable file", 126, EACCES);
  }
  throw CommandError("command " + argv0 + " not found " + where +
                         (argv0.find('/') == std::string::npos ? " (searched PATH=" + path + ")" : ""),
                     127, ENOENT);
}

void check_landlock_exec(const plan::Landlock& ruleset, const std::string& root_dir, const std::string& program) {
  if ((ruleset.handled_fs & (plan::kLandlockFsExecute | plan::kLandlockFsReadFile)) == 0) return;
  const auto chain = exec_chain(root_dir, program);
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (landlock_allows_exec(ruleset, chain[i])) continue;
    const std::string what = i == 0 ? "the command " + chain[i] : chain[i] + " (the interpreter execve loads for " + program + ")";
    throw CommandError("plan.landlock: " + what + " would not start: execve needs `execute` and `read` (read_file) "
                       "beneath it, and the landlock section grants them on no path above it; add `execute " + chain[i] +
                       "` and `read " + chain[i] + "` (shared libraries need `read` on their directories too)",
                       126, EACCES);
  }
}

}  // namespace launcher
