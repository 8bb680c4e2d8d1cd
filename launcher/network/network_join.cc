// SPDX-License-Identifier: Apache-2.0
// Joining works from the parent: its thread enters the target namespace just for clone() and
// returns right after, so the child is born inside it. The child cannot do it itself: once in
// its own user namespace (rootless, or `namespaces user`) it holds no capability over a
// namespace the host's user namespace owns, and setns() would fail with EPERM.
#include "launcher/network/network_join.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "launcher/host/error.h"
#include "launcher/host/safe_path.h"

namespace launcher {

namespace {

std::string describe_target(const plan::NetworkJoin& join) {
  return join.path.empty() ? "the net namespace of pid " + std::to_string(join.pid) : join.path;
}

Fd open_target(const plan::NetworkJoin& join, const std::string& what) {
  const std::string path = join.path.empty() ? "/proc/" + std::to_string(join.pid) + "/ns/net" : join.path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return Fd(fd);
  const int err = errno;
  if (err == ENOENT && !join.path.empty()) {
    throw StepError("network", "network join: " + what + " does not exist; create the namespace first (e.g. `ip netns add NAME`)", err);
  }
  if (err == ENOENT) {
    throw StepError("network", "network join: there is no process " + std::to_string(join.pid) + "; give the pid of a running process", err);
  }
  throw StepError("network", "network join: open " + path + " (" + what + ")", err);
}

void require_net_namespace(int fd, const std::string& what) {
  const int type = ::ioctl(fd, NS_GET_NSTYPE);
  if (type < 0) {
    throw StepError("network", "network join: " + what + " is not a namespace file (a bind mount of /proc/PID/ns/net, "
                               "as `ip netns add` makes); was the namespace deleted?", errno);
  }
  if (type != CLONE_NEWNET) {
    throw StepError("network", "network join: " + what + " is a namespace, but not a net namespace; give a net namespace");
  }
}

// The inode of a namespace file identifies the namespace.
ino_t inode_of(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw StepError("network", "network join: stat " + what, errno);
  return st.st_ino;
}

Fd own_namespace() {
  const int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StepError("network", "network join: open /proc/thread-self/ns/net (our own net namespace)", errno);
  return Fd(fd);
}

void enter(int fd, const std::string& what) {
  if (::setns(fd, CLONE_NEWNET) == 0) return;
  const int err = errno;
  std::string hint;
  if (err == EPERM) {
    hint = " (entering a net namespace needs CAP_SYS_ADMIN over it: run plan-exec as root; a rootless run can join "
           "none)";
  }
  throw StepError("network", "network join: enter " + what + hint, err);
}

class JoinNetwork final : public ContainerNetwork {
 public:
  JoinNetwork(Fd target, Fd own, std::string what) : target_(std::move(target)), own_(std::move(own)), what_(std::move(what)) {}

  bool makes_namespace() const override { return false; }
  void enter_for_clone() override { enter(target_.get(), what_); }
  void leave_after_clone() override {
    // Failing here would leave plan-exec in the container's namespace: it cannot go on.
    if (::setns(own_.get(), CLONE_NEWNET) != 0) {
      throw StepError("network", "network join: return to plan-exec's own net namespace after clone", errno);
    }
  }
  void setup_host(pid_t) override {}
  void setup_inside() override {}  // the namespace is someone else's: we change nothing in it
  void teardown() override {}      // and leave it as it was
  std::string describe() const override {
    return "network join: the container is born in " + what_ + " (entered for clone only); nothing is torn down at exit";
  }

 private:
  Fd target_, own_;
  std::string what_;
};

}  // namespace

std::unique_ptr<ContainerNetwork> prepare_join(const plan::NetworkJoin& join) {
  const std::string what = describe_target(join);
  Fd target = open_target(join, what);
  require_net_namespace(target.get(), what);
  Fd own = own_namespace();
  if (inode_of(target.get(), what) == inode_of(own.get(), "/proc/thread-self/ns/net")) {
    throw StepError("network", "network join: " + what + " is plan-exec's own net namespace (the host's network); "
                               "write `network host` (and drop `net` from the namespaces) if that is what you want");
  }
  // Enter and leave at once: a namespace we may not enter fails now, before any side effect.
  enter(target.get(), what);
  if (::setns(own.get(), CLONE_NEWNET) != 0) {
    throw StepError("network", "network join: return to plan-exec's own net namespace", errno);
  }
  return std::make_unique<JoinNetwork>(std::move(target), std::move(own), what);
}

}  // namespace launcher
