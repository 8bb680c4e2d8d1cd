// SPDX-License-Identifier: Apache-2.0
#include "launcher/caller.h"

#include <linux/capability.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"

namespace launcher {

namespace {

std::string hex(std::uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// For the message: the binary to run `setcap -r` on.
std::string own_path() {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : "PATH-OF-plan-exec";
}

}  // namespace

CallerPrivileges current_privileges() {
  // capget directly: two 32-bit halves per set (version 3), no libcap allocation.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  check(::syscall(SYS_capget, &header, data), "validate", "read plan-exec's own capabilities (capget)");
  CallerPrivileges p;
  p.real_uid = ::getuid();
  p.permitted = data[0].permitted | (static_cast<std::uint64_t>(data[1].permitted) << 32);
  p.effective = data[0].effective | (static_cast<std::uint64_t>(data[1].effective) << 32);
  p.secure_exec = ::getauxval(AT_SECURE) != 0;
  return p;
}

void refuse_elevated_privileges(const CallerPrivileges& p) {
  // Root's capabilities are its own; anyone else's came with the exec (file capabilities) or
  // from an ambient set, and plan-exec would use them on the host before any namespace exists.
  if (p.real_uid != 0 && (p.permitted != 0 || p.effective != 0)) {
    throw StepError("validate", "refusing to run with capabilities (permitted " + hex(p.permitted) + ", effective " +
                                    hex(p.effective) + ") under uid " + std::to_string(p.real_uid) +
                                    ": plan-exec needs no privilege of its own and takes none that root did not "
                                    "give it; remove the binary's file capabilities (setcap -r " + own_path() +
                                    ") or the caller's ambient set, and run it as root or rootless");
  }
  if (p.secure_exec) {
    throw StepError("validate", "plan-exec was started by a privilege-changing exec (AT_SECURE: setuid, "
                                "setgid, file capabilities or a security module's transition); it refuses "
                                "privileges it was not started with by root: run it as root or rootless");
  }
}

void refuse_directory_descriptor(int fd, const char* name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return;  // closed (EBADF): nothing is inherited
  if (!S_ISDIR(st.st_mode)) return;
  throw StepError("validate", std::string(name) + " (descriptor " + std::to_string(fd) +
                                  ") is a directory: the command would inherit it and could leave its "
                                  "root through openat(" + std::to_string(fd) +
                                  ", \"..\"); redirect it from a file, a pipe, a terminal or /dev/null");
}

void check_caller() {
  if (!defence_disabled("privilege-check")) refuse_elevated_privileges(current_privileges());
  if (!defence_disabled("stdio-check")) {
    refuse_directory_descriptor(0, "stdin");
    refuse_directory_descriptor(1, "stdout");
    refuse_directory_descriptor(2, "stderr");
  }
}

}  // namespace launcher
