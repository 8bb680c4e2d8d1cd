// SPDX-License-Identifier: Apache-2.0
// Hostile tar archives for the archive-unpacking tests, written byte by byte (ustar headers):
// a real tar writer would refuse or clean up exactly the names these tests need ("../x",
// "/abs", hard links behind a symlinked directory).
#pragma once

#include <string>
#include <vector>

namespace testsupport {

struct TarMember {
  enum class Kind { File, Directory, Symlink, Hardlink, CharDevice };
  Kind kind = Kind::File;
  std::string name;
  std::string data;      // File only (tar readers take a hard link's size as 0)
  std::string link;      // Symlink / Hardlink target, as written
  unsigned mode = 0644;  // permission bits, setuid/setgid included
  unsigned major = 0, minor = 0;
  unsigned uid = 0, gid = 0;  // owner as the archive states it
};

// Writes an uncompressed ustar archive of `members`, in order. Throws std::runtime_error.
void write_crafted_tar(const std::string& path, const std::vector<TarMember>& members);

}  // namespace testsupport
