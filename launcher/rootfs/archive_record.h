// SPDX-License-Identifier: Apache-2.0
// The archive cache's index: which unpacked tree an archive path stands for, checked cheaply.
// Hashing a 400 MiB archive costs seconds; stat() costs microseconds. So each archive path has
// a record, written after its content was hashed:
//   <cache>/.archives/<sha256 of the archive's absolute path>
//     path /srv/images/rootfs.tar.gz
//     stat <dev> <ino> <size> <mtime ns> <ctime ns>
//     sha256 <64 hex>       the content hash: the tree is <cache>/<hex>
//     recheck 1             (only when the key was too fresh to trust, see racy_key)
// A later run whose stat() of the archive gives the same key uses the tree without hashing.
// Any write to the archive changes its ctime (which no one can set back), so a changed
// content with an unchanged key needs two writes within one timestamp tick around our hash:
// a key less than a second old when hashed is therefore only trusted after the next hash.
#pragma once

#include <sys/stat.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <string>

namespace launcher {

struct StatKey {
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const StatKey&) const = default;
};

StatKey stat_key_of(const struct stat& st);

// True when the key's mtime or ctime lies less than a second before `now` (or after it):
// a write in the same timestamp tick as our hash would leave the key unchanged.
bool racy_key(const StatKey& key, const timespec& now);

struct ArchiveRecord {
  std::string path;    // the archive's absolute path
  StatKey key;
  std::string sha256;  // 64 lowercase hex digits
  bool recheck = false;
};

std::string format_record(const ArchiveRecord& record);
// nullopt when the text is not a complete record (a torn or foreign file: hash again).
std::optional<ArchiveRecord> parse_record(const std::string& text);

bool is_sha256_hex(const std::string& text);

// "<cache>/.archives/<sha256 of path>"
std::string record_path(const std::string& cache, const std::string& archive_path);
std::optional<ArchiveRecord> read_record(const std::string& file);
// Atomic (temp file + rename): a reader sees the old record or the new one. Best effort: a
// cache that cannot keep records only costs the next run a hash. Returns false on failure.
bool write_record(const std::string& cache, const ArchiveRecord& record);

}  // namespace launcher
