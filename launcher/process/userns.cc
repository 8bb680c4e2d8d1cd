// SPDX-License-Identifier: Apache-2.0
// User namespace id maps, written by the parent while the child waits on the sync pipe.
// setgroups is denied before gid_map (required when unprivileged: otherwise dropping groups
// could bypass negative group permissions). Root keeps setgroups allowed when the plan has
// supplementary groups to set.
#include <fcntl.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

static std::string map_text(const std::vector<plan::IdMapping>& maps) {
  std::string text;
  for (const auto& m : maps) {
    text += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " + std::to_string(m.count) + "\n";
  }
  return text;
}

IdMaps choose_id_maps(const plan::User& user, bool rootless, uid_t caller_uid, gid_t caller_gid) {
  IdMaps maps;
  if (rootless || user.uid_map.empty()) {
    maps.uid_map = std::to_string(user.uid) + " " + std::to_string(caller_uid) + " 1\n";
  } else {
    maps.uid_map = map_text(user.uid_map);
  }
  if (rootless || user.gid_map.empty()) {
    maps.gid_map = std::to_string(user.gid) + " " + std::to_string(caller_gid) + " 1\n";
  } else {
    maps.gid_map = map_text(user.gid_map);
  }
  maps.deny_setgroups = rootless || user.groups.empty();
  return maps;
}

static void write_proc_file(Kernel& kernel, pid_t child, const char* name, const std::string& text) {
  const std::string path = "/proc/" + std::to_string(child) + "/" + name;
  int fd = kernel.openat(AT_FDCWD, path.c_str(), O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0) throw StepError("userns", "open " + path, errno);
  const ssize_t n = kernel.write(fd, text.data(), text.size());
  const int err = errno;
  kernel.close(fd);
  std::string shown = text;
  while (!shown.empty() && shown.back() == '\n') shown.pop_back();
  for (auto& c : shown) if (c == '\n') c = ',';
  if (n != static_cast<ssize_t>(text.size())) {
    throw StepError("userns", "write \"" + shown + "\" to " + path, n < 0 ? err : EIO);
  }
}

void become_namespace_root(Kernel& kernel) {
  // EINVAL: 0 is not mapped (rootless with a non-root plan user); the mapped caller id is then
  // already ours, which is enough.
  if (kernel.setresgid(0, 0, 0) != 0 && errno != EINVAL) throw StepError("userns", "become gid 0 in the user namespace", errno);
  if (kernel.setresuid(0, 0, 0) != 0 && errno != EINVAL) throw StepError("userns", "become uid 0 in the user namespace", errno);
}

void write_id_maps(Kernel& kernel, pid_t child, const IdMaps& maps) {
  if (maps.deny_setgroups) write_proc_file(kernel, child, "setgroups", "deny");
  write_proc_file(kernel, child, "gid_map", maps.gid_map);
  write_proc_file(kernel, child, "uid_map", maps.uid_map);
}

}  // namespace launcher
