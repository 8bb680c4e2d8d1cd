// Small mount helpers shared by the mount steps.
#pragma once

#include <string>

namespace launcher {

// Adds the MS_RDONLY/MS_NOSUID/MS_NODEV/MS_NOEXEC bits of `ms_flags` to the mount at `path`
// without touching its other flags (mount_setattr keeps what a user namespace may have locked).
// `recursive`: submounts too.
void add_mount_flags(const std::string& path, unsigned long ms_flags, bool recursive, const char* step,
                     const std::string& what);

inline void set_readonly(const std::string& path, bool recursive, const char* step, const std::string& what);

}  // namespace launcher

#include <sys/mount.h>
inline void launcher::set_readonly(const std::string& path, bool recursive, const char* step,
                                   const std::string& what) {
  add_mount_flags(path, MS_RDONLY, recursive, step, what);
}
