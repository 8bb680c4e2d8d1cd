// SPDX-License-Identifier: Apache-2.0
// The denials one run saw: each different one printed when it first happens, repeats counted
// (one key: syscall + verdict + deciding rule), a summary at exit. Text lines for people,
// JSON lines (one object per line) for tools.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace launcher {

struct Denial {
  int nr = 0;
  std::string syscall;   // "openat", or "i386 syscall 5" for a call of another arch
  std::string call;      // formatted with arguments: openat(AT_FDCWD, "/x", O_RDONLY)
  std::string verdict;   // "EPERM", "kill_process", "kill_thread", "log", ...
  std::string rule;      // "app.pol:23: default errno(EPERM)", or "" when the plan has no source map
  pid_t pid = 0;         // as the container sees it
  std::string program;   // argv[0] of the caller
  bool kill = false;     // the verdict kills: always printed, whatever the mode
};

enum class DenialFormat { Text, Json };

class DenialLog {
 public:
  // `each`: print every different denial as it first happens (else only kills).
  DenialLog(std::FILE* out, DenialFormat format, bool each) : out_(out), format_(format), each_(each) {}
  void record(const Denial& denial);
  // At exit: the counts (nothing when nothing was denied, or when only kills were watched).
  void print_summary() const;
  std::size_t total() const { return total_; }

  // The lines, for tests.
  static std::string text_line(const Denial& denial);
  static std::string json_line(const Denial& denial);

 private:
  struct Seen {
    Denial first;
    std::size_t count = 0;
    std::size_t order = 0;
  };
  std::FILE* out_;
  DenialFormat format_;
  bool each_;
  std::size_t total_ = 0;
  std::map<std::tuple<std::string, std::string, std::string>, Seen> seen_;
};

std::string json_string(const std::string& text);  // "..." with JSON escapes

}  // namespace launcher
