// SPDX-License-Identifier: Apache-2.0
// The minimal /dev: a tmpfs holding only the harmless device nodes and those the plan grants by
// name (plan.devices), copied from the host's /dev (mknod as root without a user namespace) or
// bound from it (mknod is refused in a user namespace; a bind of the host node works
// everywhere), a private devpts instance with its ptmx, /dev/shm, and the usual /proc/self/fd
// links. The only mount of the container without nodev, besides devpts.
#include "launcher/rootfs/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "launcher/host/error.h"
#include "launcher/host/safe_path.h"
#include "launcher/rootfs/mount_steps.h"

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
  Kernel& kernel;
  std::string dev;
  std::string shown;
};

// Binds the host's node `host` onto an empty file at `name` (relative to the tmpfs, which
// holds no symlink we did not make: "net/tun" goes into the directory "net" we made).
void bind_device(const DevDir& d, const std::string& host, const std::string& name) {
  const std::string node = d.dev + "/" + name;
  const std::string shown = d.shown + "/" + name;
  int fd = d.kernel.openat(AT_FDCWD, node.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0) throw StepError("dev", "create " + shown + " to bind " + host + " onto", errno);
  d.kernel.close(fd);
  check(d.kernel.mount(host.c_str(), node.c_str(), nullptr, MS_BIND, nullptr), "dev", "bind " + host + " at " + shown);
}

void bind_device(const DevDir& d, const char* name) { bind_device(d, std::string("/dev/") + name, name); }

// Sets the umask to 0 while alive, so a copied node gets the host's mode bits exactly.
struct ZeroUmask {
  explicit ZeroUmask(Kernel& k) : kernel(k), previous(k.umask(0)) {}
  ~ZeroUmask() { kernel.umask(previous); }
  Kernel& kernel;
  mode_t previous;
};

// A copy of the host's node `host` at `name` (its type, device number, mode and owner; the
// caller holds a ZeroUmask). False when the kernel refuses mknod (EPERM/EACCES: no CAP_MKNOD,
// or a device cgroup says no).
bool copy_device(const DevDir& d, int dev_fd, const std::string& host, const std::string& name) {
  struct stat st {};
  if (d.kernel.fstatat(AT_FDCWD, host.c_str(), &st, 0) != 0) throw StepError("dev", "stat " + host + " to make " + d.shown + "/" + name, errno);
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    throw StepError("dev", host + " on this host is not a device node; fix the host's /dev", ENODEV);
  }
  if (d.kernel.mknodat(dev_fd, name.c_str(), (st.st_mode & S_IFMT) | (st.st_mode & 07777), st.st_rdev) != 0) {
    if (errno == EPERM || errno == EACCES) return false;
    throw StepError("dev", "create device node " + d.shown + "/" + name + " (a copy of " + host + ")", errno);
  }
  if ((st.st_uid != 0 || st.st_gid != 0) && d.kernel.fchownat(dev_fd, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    throw StepError("dev", "give " + d.shown + "/" + name + " the owner of " + host, errno);
  }
  return true;
}

// The directories above a granted node ("net" for net/tun), made in the fresh tmpfs.
void make_parent_directories(const DevDir& d, int dev_fd, const std::string& name) {
  for (std::size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
    const std::string dir = name.substr(0, slash);
    if (d.kernel.mkdirat(dev_fd, dir.c_str(), 0755) != 0 && errno != EEXIST) {
      throw StepError("dev", "create directory " + d.shown + "/" + dir + " for a granted device", errno);
    }
  }
}

// The plan's granted nodes (`device /dev/fuse`), made the way the default ones were: copies
// when `copy`, else binds; one the kernel refuses to copy is bound instead.
void add_granted_devices(const DevDir& d, int dev_fd, const std::vector<std::string>& devices, bool copy) {
  if (devices.empty()) return;
  const ZeroUmask exact_mode(d.kernel);
  for (const auto& host : devices) {
    const std::string name = host.substr(std::strlen("/dev/"));
    make_parent_directories(d, dev_fd, name);
    if (!copy || !copy_device(d, dev_fd, host, name)) bind_device(d, host, name);
  }
}

// Without a user namespace we may make the nodes (CAP_MKNOD): a copy of the host's node (its
// device number, mode and owner, as the bind showed them) instead of a file, a bind mount and
// that mount's share of the namespace teardown at exit (six mounts fewer per container).
// False when the kernel refuses the first one (EPERM: plan-exec itself runs without CAP_MKNOD,
// or a devices cgroup denies it): then the caller binds, as in a user namespace.
bool make_device_nodes(const DevDir& d, int dev_fd) {
  const ZeroUmask exact_mode(d.kernel);
  for (const char* name : kDevices) {
    const std::string host = std::string("/dev/") + name;
    if (copy_device(d, dev_fd, host, name)) continue;
    if (name == kDevices[0]) return false;
    throw StepError("dev", "create device node " + d.shown + "/" + name + " (a copy of " + host + ")", EPERM);
  }
  return true;
}

void mount_devpts(const DevDir& d, bool in_userns) {
  const std::string pts = d.dev + "/pts";
  check(d.kernel.mkdirat(AT_FDCWD, pts.c_str(), 0755), "dev", "create " + d.shown + "/pts");
  // gid=5 (tty) only where group 5 is surely mapped; a user namespace may not map it (EINVAL).
  const char* data = in_userns ? "newinstance,ptmxmode=0666,mode=0620"
                               : "newinstance,ptmxmode=0666,mode=0620,gid=5";
  check(d.kernel.mount("devpts", pts.c_str(), "devpts", MS_NOSUID | MS_NOEXEC, data), "dev",
        "mount devpts at " + d.shown + "/pts (options \"" + data + "\")");
}

void mount_shm(const DevDir& d) {
  const std::string shm = d.dev + "/shm";
  check(d.kernel.mkdirat(AT_FDCWD, shm.c_str(), 01777), "dev", "create " + d.shown + "/shm");
  check(d.kernel.mount("shm", shm.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"), "dev",
        "mount tmpfs at " + d.shown + "/shm");
}

}  // namespace

void mount_minimal_dev(Kernel& kernel, const plan::Mount& m, const std::string& root, bool in_userns,
                       const std::vector<std::string>& devices) {
  Fd target = make_in_root(kernel, root, m.target, true, "dev");
  const std::string shown = join_root(root, m.target);
  const unsigned long flags = m.flags ? m.flags : (MS_NOSUID | MS_STRICTATIME);
  const std::string data = m.data.empty() ? "mode=755,size=65536k" : m.data;
  check(kernel.mount("tmpfs", fd_path(target).c_str(), "tmpfs", flags, data.c_str()), "dev",
        "mount tmpfs at " + shown + " (options \"" + data + "\")");
  Fd mounted = open_in_root(kernel, root, m.target, O_DIRECTORY);  // the tmpfs, not the directory below
  if (!mounted) throw StepError("dev", "open " + shown + " after mounting it", errno);
  const DevDir d{kernel, fd_path(mounted), shown};
  // Nodes need a /dev without nodev; in a user namespace (or without CAP_MKNOD) only a bind of
  // the host's node works.
  const bool nodes = !in_userns && !(flags & MS_NODEV) && make_device_nodes(d, mounted.get());
  if (!nodes) {
    for (const char* name : kDevices) bind_device(d, name);
  }
  // Before anything else can sit in this tmpfs (a later plan mount at /dev/net, say).
  add_granted_devices(d, mounted.get(), devices, nodes);
  mount_devpts(d, in_userns);
  mount_shm(d);
  for (const auto& link : kLinks) {
    const std::string path = d.dev + "/" + link.name;
    check(kernel.symlinkat(link.target, AT_FDCWD, path.c_str()), "dev",
          "create symlink " + shown + "/" + link.name + " -> " + link.target);
  }
}

bool made_by_minimal_dev(const std::string& name) {
  static const std::set<std::string> names = [] {
    std::set<std::string> all(std::begin(kDevices), std::end(kDevices));
    for (const auto& link : kLinks) all.insert(link.name);
    all.insert({"pts", "shm"});
    return all;
  }();
  return names.count(name) > 0;
}

namespace {

[[noreturn]] void refuse(std::size_t i, const std::string& what) {
  throw StepError("validate", "plan.devices[" + std::to_string(i) + "]: " + what);
}

// "/dev/net/tun" -> "net/tun" when it is a plain path below /dev (no "", "." or ".." part).
std::string name_below_dev(std::size_t i, const std::string& path) {
  if (!path.starts_with("/dev/")) refuse(i, "\"" + path + "\" is not a path under /dev");
  const std::string name = path.substr(std::strlen("/dev/"));
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") refuse(i, "\"" + path + "\" is not a plain path under /dev");
    start = end + 1;
  }
  return name;
}

}  // namespace

void validate_granted_devices(const plan::Plan& plan) {
  if (plan.devices.empty()) return;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < plan.devices.size(); ++i) {
    const std::string& path = plan.devices[i];
    const std::string name = name_below_dev(i, path);
    if (made_by_minimal_dev(name.substr(0, name.find('/')))) {
      refuse(i, path + " is made by the minimal /dev itself; remove it from the plan's devices");
    }
    if (!seen.insert(path).second) refuse(i, path + " is listed twice");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      refuse(i, path + " does not exist on this host (" + std::strerror(errno) +
                    "); load its driver, or remove the `device` line from the policy");
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
      refuse(i, path + " on this host is not a device node; grant character or block devices only");
    }
  }
  const bool minimal_dev = std::any_of(plan.mounts.begin(), plan.mounts.end(), [](const plan::Mount& m) {
    return m.kind == plan::MountKind::Dev && m.target == "/dev";
  });
  if (!minimal_dev) {
    throw StepError("validate", "plan.devices: granted devices go into the minimal /dev, and plan.mounts has no "
                                "mount of kind dev at /dev; add `mount dev at /dev` to the policy");
  }
}

}  // namespace launcher
