// SPDX-License-Identifier: Apache-2.0
// Opening paths inside a container root without letting its symlinks lead out of it.
// A rootfs is untrusted input: /proc in it may be a symlink to /etc, so every mount target is
// resolved with openat2(RESOLVE_IN_ROOT) and the mount goes to /proc/self/fd/N (what runc does).
#pragma once

#include <string>

#include "launcher/host/kernel.h"

namespace launcher {

// An owned file descriptor, closed through the Kernel that opened it (a fake's descriptors are
// numbers only: closing them for real would close someone else's).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}  // opened by the real kernel
  Fd(Kernel& kernel, int fd) : kernel_(&kernel), fd_(fd) {}
  Fd(Fd&& other) noexcept : kernel_(other.kernel_), fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() { int fd = fd_; fd_ = -1; return fd; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  Kernel* kernel_ = &real_kernel();
  int fd_ = -1;
};

// "/x" + "/proc" -> "/x/proc"; "" + "/proc" -> "/proc". For messages and for paths we made.
std::string join_root(const std::string& root, const std::string& path);

// O_PATH descriptor of `path` (absolute, inside the container) resolved inside `root`.
// Returns an invalid Fd with errno set when it does not exist.
Fd open_in_root(Kernel& kernel, const std::string& root, const std::string& path, int extra_flags = 0);

// While one is alive, open_in_root(kernel, root, ...) for this same kernel and `root` resolves from one held
// descriptor of it instead of opening `root` anew per call (the child's mount steps make about
// 25 calls: 50 syscalls saved per launch). Make it only once `root` is final (after the rootfs
// bind, which a descriptor taken before would not see) and end it before pivot_root.
class RootFdScope {
 public:
  RootFdScope(Kernel& kernel, const std::string& root);
  ~RootFdScope();
  RootFdScope(const RootFdScope&) = delete;
  RootFdScope& operator=(const RootFdScope&) = delete;
};

// Like open_in_root, but creates what is missing: directories along the way, and the last
// component as a directory (`directory`) or an empty file. Throws StepError(step).
Fd make_in_root(Kernel& kernel, const std::string& root, const std::string& path, bool directory, const char* step);

// "/proc/self/fd/N": a name mount(2) accepts for an O_PATH descriptor.
std::string fd_path(const Fd& fd);

}  // namespace launcher
