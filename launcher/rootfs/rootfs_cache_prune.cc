// SPDX-License-Identifier: Apache-2.0
// plan-exec --prune-cache (rootfs_cache.h): the archive records brought up to date, then every
// tree no record names removed unless a running container holds its lock (cache_tree.h).
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>

#include "launcher/host/error.h"
#include "launcher/rootfs/archive_record.h"
#include "launcher/rootfs/cache_tree.h"
#include "launcher/rootfs/rootfs_cache.h"

namespace launcher {

namespace {

// The trees the archive records still point at, after bringing each record up to date;
// `gone` says why a dropped record's tree lost its archive.
std::set<std::string> referenced_trees(const std::string& cache, std::map<std::string, std::string>& gone) {
  std::set<std::string> referenced;
  const std::string dir_path = cache + "/.archives";
  DIR* dir = ::opendir(dir_path.c_str());
  if (!dir) return referenced;
  while (dirent* e = ::readdir(dir)) {
    const std::string file = dir_path + "/" + e->d_name;
    if (!is_sha256_hex(e->d_name)) continue;
    std::optional<ArchiveRecord> record = read_record(file);
    if (!record) {
      ::unlink(file.c_str());
      continue;
    }
    struct stat st {};
    if (::stat(record->path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      gone.emplace(record->sha256, "its archive " + record->path + " is gone");
      ::unlink(file.c_str());
      continue;
    }
    const StatKey key = stat_key_of(st);
    if (key != record->key || record->recheck) {
      timespec now{};
      ::clock_gettime(CLOCK_REALTIME, &now);
      std::string sha;
      try {
        sha = file_sha256(record->path);
      } catch (const StepError&) {
        referenced.insert(record->sha256);  // unreadable now: keep its tree rather than guess
        continue;
      }
      if (sha != record->sha256) gone.emplace(record->sha256, "its archive " + record->path + " changed");
      write_record(cache, ArchiveRecord{record->path, key, sha, racy_key(key, now)});
      record->sha256 = sha;
    }
    referenced.insert(record->sha256);
  }
  ::closedir(dir);
  return referenced;
}

}  // namespace

std::vector<std::string> prune_rootfs_cache(bool rootless) {
  const std::string cache = rootfs_cache_root(rootless);
  std::vector<std::string> lines;
  struct stat st {};
  if (::lstat(cache.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return lines;
  std::map<std::string, std::string> gone;
  const std::set<std::string> referenced = referenced_trees(cache, gone);
  std::vector<std::string> trees;
  if (DIR* dir = ::opendir(cache.c_str())) {
    while (dirent* e = ::readdir(dir)) {
      if (is_sha256_hex(e->d_name) && !referenced.count(e->d_name)) trees.emplace_back(e->d_name);
    }
    ::closedir(dir);
  }
  for (const auto& sha : trees) {
    const std::string dir = cache + "/" + sha;
    const auto why = gone.find(sha);
    switch (remove_tree_unless_in_use(cache, sha)) {
      case RemoveResult::Removed:
        lines.push_back("removed " + dir + " (" + (why != gone.end() ? why->second : "no archive points at it") + ")");
        break;
      case RemoveResult::InUse:
        lines.push_back("kept " + dir + ": in use by a running container");
        break;
      case RemoveResult::Missing:
        break;
    }
  }
  remove_abandoned_work(cache);
  return lines;
}

}  // namespace launcher
