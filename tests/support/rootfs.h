// SPDX-License-Identifier: Apache-2.0
// A test rootfs built from what the machine has, no downloads: Debian's busybox-static at
// /bin/busybox with applet symlinks, the project's static test programs (TEST_PROGRAMS_DIR)
// in /home, a minimal /etc, and empty mount points. Plus a .tar.gz of it (libarchive).
#pragma once

#include <string>
#include <vector>

namespace testsupport {

// Applets linked to /bin/busybox in the test rootfs.
extern const std::vector<std::string> kBusyboxApplets;

// Fills `dir` (created if missing). Throws std::runtime_error naming the file on failure.
void build_rootfs(const std::string& dir);

// Writes a gzip-compressed tar of `dir` (paths relative to it, "./..." style) to `archive`.
void make_tarball(const std::string& dir, const std::string& archive);

// A fresh directory TEST_SCRATCH_DIR/<name>-<pid>, removed (recursively, never following
// symlinks) when the object goes away. Mode 0755 so a rootless test user can read it.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& child) const { return path_ + "/" + child; }

 private:
  std::string path_;
};

void write_text(const std::string& path, const std::string& text, int mode = 0644);
std::string read_text(const std::string& path);

}  // namespace testsupport
