// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/process_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace launcher {

std::optional<std::uint64_t> start_time_of_stat_line(std::string_view line) {
  // "pid (comm) state ppid ...": comm may hold spaces and ')', so count fields after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::size_t at = close + 1;
  for (int number = 3;; ++number) {
    while (at < line.size() && line[at] == ' ') ++at;
    const std::size_t end = std::min(line.find(' ', at), line.size());
    if (at >= end) return std::nullopt;
    if (number == 22) {
      std::uint64_t value = 0;
      const auto [ptr, ec] = std::from_chars(line.data() + at, line.data() + end, value);
      if (ec != std::errc() || ptr != line.data() + end) return std::nullopt;
      return value;
    }
    at = end;
  }
}

char state_of_stat_line(std::string_view line) {
  const auto close = line.rfind(')');
  return close != std::string_view::npos && close + 2 < line.size() ? line[close + 2] : '\0';
}

namespace {

// The first line of /proc/<pid>/stat, or "" when there is no such process.
std::string stat_line(pid_t pid) {
  if (pid <= 0) return "";
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return "";
  std::string_view line(buf, static_cast<std::size_t>(n));
  if (const auto newline = line.find('\n'); newline != std::string_view::npos) line = line.substr(0, newline);
  return std::string(line);
}

}  // namespace

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  const std::string line = stat_line(pid);
  if (line.empty()) return std::nullopt;
  return start_time_of_stat_line(line);
}

std::optional<std::uint64_t> live_process_start_time(pid_t pid) {
  const std::string line = stat_line(pid);
  const char state = state_of_stat_line(line);
  if (line.empty() || state == 'Z' || state == 'X') return std::nullopt;
  return start_time_of_stat_line(line);
}

}  // namespace launcher
