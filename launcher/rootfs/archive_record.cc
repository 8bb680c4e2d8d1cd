// SPDX-License-Identifier: Apache-2.0
#include "launcher/rootfs/archive_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>

#include "launcher/host/safe_path.h"
#include "plan/encoding.h"

namespace launcher {

namespace {

constexpr std::int64_t kNsPerSecond = 1000000000;

std::int64_t ns_of(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * kNsPerSecond + t.tv_nsec; }

std::optional<std::string> read_small_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return std::nullopt;
  std::string text;
  char buffer[1024];
  ssize_t n;
  while ((n = ::read(fd.get(), buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > 64 * 1024) return std::nullopt;  // no record is that long
  }
  if (n < 0) return std::nullopt;
  return text;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

StatKey stat_key_of(const struct stat& st) {
  return StatKey{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                 static_cast<std::uint64_t>(st.st_size), ns_of(st.st_mtim), ns_of(st.st_ctim)};
}

bool racy_key(const StatKey& key, const timespec& now) {
  const std::int64_t trusted_before = ns_of(now) - kNsPerSecond;
  return key.mtime_ns >= trusted_before || key.ctime_ns >= trusted_before;
}

bool is_sha256_hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string format_record(const ArchiveRecord& r) {
  std::string text = "path " + r.path + "\n";
  text += "stat " + std::to_string(r.key.dev) + " " + std::to_string(r.key.ino) + " " + std::to_string(r.key.size) +
          " " + std::to_string(r.key.mtime_ns) + " " + std::to_string(r.key.ctime_ns) + "\n";
  text += "sha256 " + r.sha256 + "\n";
  if (r.recheck) text += "recheck 1\n";
  return text;
}

std::optional<ArchiveRecord> parse_record(const std::string& text) {
  ArchiveRecord record;
  bool has_path = false, has_stat = false;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t space = line.find(' ');
    if (space == std::string::npos) return std::nullopt;
    const std::string key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "path") {
      if (value.empty() || value.front() != '/') return std::nullopt;
      record.path = value;
      has_path = true;
    } else if (key == "stat") {
      std::istringstream fields(value);
      StatKey& k = record.key;
      if (!(fields >> k.dev >> k.ino >> k.size >> k.mtime_ns >> k.ctime_ns)) return std::nullopt;
      std::string rest;
      if (fields >> rest) return std::nullopt;
      has_stat = true;
    } else if (key == "sha256") {
      if (!is_sha256_hex(value)) return std::nullopt;
      record.sha256 = value;
    } else if (key == "recheck") {
      record.recheck = value != "0";
    } else {
      return std::nullopt;
    }
  }
  if (!has_path || !has_stat || record.sha256.empty()) return std::nullopt;
  return record;
}

std::string record_path(const std::string& cache, const std::string& archive_path) {
  return cache + "/.archives/" + plan::sha256_hex(archive_path.data(), archive_path.size());
}

std::optional<ArchiveRecord> read_record(const std::string& file) {
  const auto text = read_small_file(file);
  if (!text) return std::nullopt;
  return parse_record(*text);
}

bool write_record(const std::string& cache, const ArchiveRecord& record) {
  const std::string dir = cache + "/.archives";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  const std::string file = record_path(cache, record.path);
  const std::string tmp = file + ".tmp-" + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return false;
  const bool written = write_all(fd.get(), format_record(record));
  fd = Fd();
  if (!written || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace launcher
