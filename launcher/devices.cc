// The minimal /dev: a tmpfs holding only the harmless device nodes, bound from the host's /dev
// (mknod is refused in a user namespace; a bind of the host node works everywhere), a private
// devpts instance with its ptmx, /dev/shm, and the usual /proc/self/fd links.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "launcher/error.h"
#include "launcher/safe_path.h"
#include "launcher/steps.h"

namespace launcher {

namespace {

constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

struct Link {
  const char* name;
  const char* target;
};
constexpr Link kLinks[] = {{"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
                           {"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
                           {"stderr", "/proc/self/fd/2"}};

// `dev` is /proc/self/fd/N of our fresh tmpfs (no symlink in it we did not make); `shown` is
// the path for messages.
struct DevDir {
  std::string dev;
  std::string shown;
};

void bind_device(const DevDir& d, const char* name) {
  const std::string host = std::string("/dev/") + name;
  const std::string node = d.dev + "/" + name;
  const std::string shown = d.shown + "/" + name;
  int fd = ::open(node.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0) throw StepError("dev", "create " + shown + " to bind " + host + " onto", errno);
  ::close(fd);
  check(::mount(host.c_str(), node.c_str(), nullptr, MS_BIND, nullptr), "dev", "bind " + host + " at " + shown);
}

// Without a user namespace we may make the nodes (CAP_MKNOD): a copy of the host's node (its
// device number, mode and owner, as the bind showed them) instead of a file, a bind mount and
// that mount's share of the namespace teardown at exit (six mounts fewer per container).
// False when the kernel refuses the first one (EPERM: plan-exec itself runs without CAP_MKNOD,
// or a devices cgroup denies it): then the caller binds, as in a user namespace.
bool make_device_nodes(const DevDir& d, int dev_fd) {
  const mode_t old_umask = ::umask(0);  // the host's mode bits exactly; restored below
  auto fail = [&](const std::string& what, int err) {
    ::umask(old_umask);
    throw StepError("dev", what, err);
  };
  for (const char* name : kDevices) {
    const std::string host = std::string("/dev/") + name;
    struct stat st {};
    if (::stat(host.c_str(), &st) != 0) fail("stat " + host + " to make " + d.shown + "/" + name, errno);
    if (!S_ISCHR(st.st_mode)) fail(host + " on this host is not a character device; fix the host's /dev", ENODEV);
    if (::mknodat(dev_fd, name, S_IFCHR | (st.st_mode & 07777), st.st_rdev) != 0) {
      const int err = errno;
      if (name == kDevices[0] && (err == EPERM || err == EACCES)) {
        ::umask(old_umask);
        return false;
      }
      fail("create device node " + d.shown + "/" + name + " (a copy of " + host + ")", err);
    }
    if ((st.st_uid != 0 || st.st_gid != 0) && ::fchownat(dev_fd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
      fail("give " + d.shown + "/" + name + " the owner of " + host, errno);
    }
  }
  ::umask(old_umask);
  return true;
}

void mount_devpts(const DevDir& d, bool in_userns) {
  const std::string pts = d.dev + "/pts";
  check(::mkdir(pts.c_str(), 0755), "dev", "create " + d.shown + "/pts");
  // gid=5 (tty) only where group 5 is surely mapped; a user namespace may not map it (EINVAL).
  const char* data = in_userns ? "newinstance,ptmxmode=0666,mode=0620"
                               : "newinstance,ptmxmode=0666,mode=0620,gid=5";
  check(::mount("devpts", pts.c_str(), "devpts", MS_NOSUID | MS_NOEXEC, data), "dev",
        "mount devpts at " + d.shown + "/pts (options \"" + data + "\")");
}

void mount_shm(const DevDir& d) {
  const std::string shm = d.dev + "/shm";
  check(::mkdir(shm.c_str(), 01777), "dev", "create " + d.shown + "/shm");
  check(::mount("shm", shm.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"), "dev",
        "mount tmpfs at " + d.shown + "/shm");
}

}  // namespace

void mount_minimal_dev(const plan::Mount& m, const std::string& root, bool in_userns) {
  Fd target = make_in_root(root, m.target, true, "dev");
  const std::string shown = join_root(root, m.target);
  const unsigned long flags = m.flags ? m.flags : (MS_NOSUID | MS_STRICTATIME);
  const std::string data = m.data.empty() ? "mode=755,size=65536k" : m.data;
  check(::mount("tmpfs", fd_path(target).c_str(), "tmpfs", flags, data.c_str()), "dev",
        "mount tmpfs at " + shown + " (options \"" + data + "\")");
  Fd mounted = open_in_root(root, m.target, O_DIRECTORY);  // the tmpfs, not the directory below
  if (!mounted) throw StepError("dev", "open " + shown + " after mounting it", errno);
  const DevDir d{fd_path(mounted), shown};
  // Nodes need a /dev without nodev; in a user namespace (or without CAP_MKNOD) only a bind of
  // the host's node works.
  const bool nodes = !in_userns && !(flags & MS_NODEV) && make_device_nodes(d, mounted.get());
  if (!nodes) {
    for (const char* name : kDevices) bind_device(d, name);
  }
  mount_devpts(d, in_userns);
  mount_shm(d);
  for (const auto& link : kLinks) {
    const std::string path = d.dev + "/" + link.name;
    check(::symlink(link.target, path.c_str()), "dev",
          "create symlink " + shown + "/" + link.name + " -> " + link.target);
  }
}

}  // namespace launcher
