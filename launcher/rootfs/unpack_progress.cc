// SPDX-License-Identifier: Apache-2.0
#include "launcher/rootfs/unpack_progress.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <utility>

namespace launcher {

namespace {

std::int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void write_text(int fd, const std::string& text) {
  if (::write(fd, text.data(), text.size()) < 0) {
    // A progress line that cannot be drawn is not worth failing the unpack for.
  }
}

// A second, as the user sees it. Tests (built with fault injection) set it to 0 to see
// progress without unpacking for a whole second.
std::int64_t progress_delay_ms() {
#ifdef PLAN_EXEC_FAULT_INJECTION
  if (const char* text = std::getenv("PLAN_EXEC_TEST_PROGRESS_AFTER_MS")) return std::atoll(text);
#endif
  return 1000;
}

}  // namespace

std::string format_unpack_progress(std::uint64_t archive_read, std::uint64_t archive_size, std::uint64_t bytes_out,
                                   std::uint64_t files) {
  char text[128];
  const double mib = static_cast<double>(bytes_out) / (1024.0 * 1024.0);
  const char* plural = files == 1 ? "" : "s";
  if (archive_size > 0) {
    const std::uint64_t percent = std::min<std::uint64_t>(100, archive_read * 100 / archive_size);
    std::snprintf(text, sizeof text, "%llu%% of the archive, %.1f MiB in %llu file%s",
                  static_cast<unsigned long long>(percent), mib, static_cast<unsigned long long>(files), plural);
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB in %llu file%s", mib, static_cast<unsigned long long>(files), plural);
  }
  return text;
}

UnpackProgress::UnpackProgress(std::string archive_name, std::uint64_t archive_size, int fd)
    : name_(std::move(archive_name)), size_(archive_size), fd_(fd), terminal_(::isatty(fd) == 1),
      start_ms_(now_ms()), delay_ms_(progress_delay_ms()) {}

UnpackProgress::~UnpackProgress() {
  if (drawn_) write_text(fd_, "\r\033[K");
}

void UnpackProgress::update(std::uint64_t archive_read, std::uint64_t bytes_out, std::uint64_t files) {
  if (!terminal_) return;
  const std::int64_t now = now_ms();
  if (now - start_ms_ < delay_ms_ || (drawn_ && now - last_ms_ < 100)) return;
  last_ms_ = now;
  drawn_ = true;
  write_text(fd_, "\r\033[Kplan-exec: unpacking " + name_ + ": " +
                      format_unpack_progress(archive_read, size_, bytes_out, files));
}

}  // namespace launcher
