// SPDX-License-Identifier: Apache-2.0
// Progress of a long unpack on the caller's terminal, like tar with a progress bar:
//   plan-exec: unpacking rootfs.tar.gz: 45% of the archive, 183.2 MiB in 10234 files
// updated in place (\r) at most 10 times a second, and erased when the unpack ends. Only when
// stderr is a terminal and only once the unpack has taken a second: a quick unpack, a log
// file or a pipe get nothing.
#pragma once

#include <cstdint>
#include <string>

namespace launcher {

// "45% of the archive, 183.2 MiB in 10234 files" (no percentage when the size is unknown).
std::string format_unpack_progress(std::uint64_t archive_read, std::uint64_t archive_size, std::uint64_t bytes_out,
                                   std::uint64_t files);

class UnpackProgress {
 public:
  // `fd`: where to draw (stderr); shown only when it is a terminal.
  UnpackProgress(std::string archive_name, std::uint64_t archive_size, int fd = 2);
  ~UnpackProgress();  // erases the line if one was drawn
  UnpackProgress(const UnpackProgress&) = delete;
  UnpackProgress& operator=(const UnpackProgress&) = delete;

  void update(std::uint64_t archive_read, std::uint64_t bytes_out, std::uint64_t files);

 private:
  std::string name_;
  std::uint64_t size_;
  int fd_;
  bool terminal_;
  bool drawn_ = false;
  std::int64_t start_ms_, last_ms_ = 0, delay_ms_;
};

}  // namespace launcher
