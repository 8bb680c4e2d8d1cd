// SPDX-License-Identifier: Apache-2.0
// The registry of running instances: one file per run, "<plan-exec pid>.json", in
//   /run/plan-exec/              (root)
//   $XDG_RUNTIME_DIR/plan-exec/  (rootless; no registry when XDG_RUNTIME_DIR is unset)
// Both are tmpfs, so nothing outlives a reboot.
//
// Nobody else may plant or redirect anything there: the directory is made 0700 and must be
// owned by the caller and be no symlink (O_NOFOLLOW); every file is opened relative to the
// directory's descriptor with O_NOFOLLOW, written as a new file (O_CREAT|O_EXCL, 0600) and
// renamed into place (readers never see half a record; a symlink in its place is replaced, not
// followed), and read only when it is a regular file of the caller's.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace launcher {

// "/run/plan-exec" or "$XDG_RUNTIME_DIR/plan-exec"; "" for a rootless caller without
// XDG_RUNTIME_DIR (`why` then says so).
std::string registry_location(bool rootless, std::string* why);

std::string record_file_name(pid_t pid);  // "4081.json"
// The pid of "4081.json" or of its temporary ".4081.tmp"; nullopt for any other name.
std::optional<pid_t> pid_of_record_file(std::string_view name);

class RegistryDir {
 public:
  // Opens `path` (its parent must exist), creating it 0700 when `create`. Throws RegistryError
  // when it is a symlink, not a directory, or not the caller's. Without `create`, a missing
  // directory gives an empty registry (!is_open()).
  static RegistryDir open(const std::string& path, bool create);
  RegistryDir() = default;
  RegistryDir(RegistryDir&& other) noexcept;
  RegistryDir& operator=(RegistryDir&& other) noexcept;
  RegistryDir(const RegistryDir&) = delete;
  RegistryDir& operator=(const RegistryDir&) = delete;
  ~RegistryDir();

  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Atomically replaces `name` with `text` (mode 0600). Throws RegistryError.
  void write(const std::string& name, std::string_view text) const;
  // The content of `name`. Throws RegistryError when it is missing, a symlink, not a regular
  // file, not the caller's, or over 64 KiB.
  std::string read(const std::string& name) const;
  // false when it was already gone. Never follows a symlink (unlinkat removes the link).
  bool remove(const std::string& name) const;
  // Whether `name` is a symlink (lstat: never followed).
  bool is_symlink(const std::string& name) const;
  // Every "<pid>.json" and ".<pid>.tmp" in the directory, sorted.
  std::vector<std::string> files() const;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace launcher
