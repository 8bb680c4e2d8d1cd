// SPDX-License-Identifier: Apache-2.0
#include "compiler/diag/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace policyc {
namespace {

std::string too_large(std::size_t size, bool at_least, std::size_t limit) {
  return std::string("it holds ") + (at_least ? "more than " : "") + describe_size(size) +
         ", over policyc's input limit of " + describe_size(limit) +
         " (inputs are policies and seccomp profiles; split the file or check that it is the right one)";
}

// Reads up to limit+1 bytes, so "exactly at the limit" and "over it" are told apart.
bool read_bounded(int fd, std::size_t limit, std::string& out, std::string& error, bool& over_limit) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::strerror(errno);
      return false;
    }
    if (n == 0) return true;
    out.append(buffer, static_cast<std::size_t>(n));
    if (out.size() > limit) {
      error = too_large(limit, true, limit);
      over_limit = true;
      return false;
    }
  }
}

}  // namespace

std::string describe_size(std::size_t bytes) {
  char buffer[64];
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
    std::snprintf(buffer, sizeof buffer, "%zu MiB", bytes / (1024 * 1024));
  } else if (bytes >= 1024 * 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  } else if (bytes >= 1024) {
    std::snprintf(buffer, sizeof buffer, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  } else {
    std::snprintf(buffer, sizeof buffer, "%zu bytes", bytes);
  }
  return buffer;
}

InputFile read_input_file(const std::string& path, std::size_t limit) {
  InputFile result;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    result.error = std::strerror(errno);
    return result;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    result.error = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    result.error = "it is a directory";
  } else if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > limit) {
    result.error = too_large(static_cast<std::size_t>(st.st_size), false, limit);
    result.too_large = true;
  } else {
    std::string text;
    if (S_ISREG(st.st_mode)) text.reserve(static_cast<std::size_t>(st.st_size));
    if (read_bounded(fd, limit, text, result.error, result.too_large)) result.text = std::move(text);
  }
  close(fd);
  return result;
}

}  // namespace policyc
