// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/safe_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <cerrno>

#include "launcher/host/error.h"

namespace launcher {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) kernel_->close(fd_);
    kernel_ = other.kernel_;
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) kernel_->close(fd_);
}

std::string join_root(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  if (path == "/") return root;
  return root + path;
}

static int openat2_in(Kernel& kernel, int dirfd, const std::string& path, int flags, unsigned long long resolve) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  return kernel.openat2(dirfd, path.c_str(), how);
}

static int open_root_dir(Kernel& kernel, const std::string& root) {
  return kernel.openat(AT_FDCWD, root.empty() ? "/" : root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

namespace {
// The descriptor a RootFdScope holds (one scope at a time: the child's mount steps).
struct HeldRoot {
  Kernel* kernel = nullptr;
  std::string root;
  int fd = -1;
};
HeldRoot g_held_root;
}  // namespace

RootFdScope::RootFdScope(Kernel& kernel, const std::string& root) {
  if (g_held_root.fd >= 0) g_held_root.kernel->close(g_held_root.fd);
  g_held_root = HeldRoot{&kernel, root, open_root_dir(kernel, root)};
  // An open failure leaves fd -1: open_in_root then opens per call and reports the error.
}

RootFdScope::~RootFdScope() {
  if (g_held_root.fd >= 0) g_held_root.kernel->close(g_held_root.fd);
  g_held_root = HeldRoot{};
}

Fd open_in_root(Kernel& kernel, const std::string& root, const std::string& path, int extra_flags) {
  const bool held = g_held_root.fd >= 0 && g_held_root.kernel == &kernel && g_held_root.root == root;
  Fd opened(kernel, held ? -1 : open_root_dir(kernel, root));
  if (!held && !opened) return Fd();
  const int rootfd = held ? g_held_root.fd : opened.get();
  // Relative to the root descriptor; RESOLVE_IN_ROOT clamps ".." and absolute symlinks to it.
  std::string relative = path;
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  if (relative.empty()) relative = ".";
  return Fd(kernel, openat2_in(kernel, rootfd, relative, O_PATH | extra_flags,
                       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
}

static std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

static std::string last_component(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Fd make_in_root(Kernel& kernel, const std::string& root, const std::string& path, bool directory,
                const char* step) {
  Fd existing = open_in_root(kernel, root, path);
  if (existing) return existing;
  if (errno != ENOENT || path == "/" || path.empty()) {
    throw StepError(step, "open " + join_root(root, path) + " inside the rootfs", errno);
  }
  Fd parent = make_in_root(kernel, root, parent_of(path), true, step);
  // The parent is an O_PATH fd: create through its /proc/self/fd name, which stays inside it.
  Fd dir(kernel, kernel.openat(AT_FDCWD, fd_path(parent).c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0));
  if (!dir) throw StepError(step, "open directory " + join_root(root, parent_of(path)), errno);
  const std::string name = last_component(path);
  int rc = directory ? kernel.mkdirat(dir.get(), name.c_str(), 0755)
                     : kernel.openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (rc < 0 && errno != EEXIST) {
    throw StepError(step, std::string("create mount point ") + join_root(root, path) +
                              " (the rootfs must be writable for missing mount points, or create it in the image)",
                    errno);
  }
  if (!directory && rc >= 0) kernel.close(rc);
  Fd made = open_in_root(kernel, root, path);
  if (!made) throw StepError(step, "open " + join_root(root, path) + " after creating it", errno);
  return made;
}

std::string fd_path(const Fd& fd) { return "/proc/self/fd/" + std::to_string(fd.get()); }

}  // namespace launcher
