// SPDX-License-Identifier: Apache-2.0
// Every file policyc reads as input (policies, included files, Docker/OCI JSON, plans,
// frequency profiles) is read through read_input_file: at most kMaxInputBytes, so a huge or
// endless input (a 10 MB policy, /dev/zero) is refused up front with a message instead of
// costing minutes and gigabytes. Real inputs are far below: Docker's default profile is 20 KB,
// the largest shipped policy 3 KB.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace policyc {

inline constexpr std::size_t kMaxInputBytes = 1024 * 1024;   // 1 MiB

struct InputFile {
  std::optional<std::string> text;   // nullopt on failure
  std::string error;                 // why, ready to print after "cannot read X: "
  bool too_large = false;            // the error is the size limit (the path itself is fine)
};

// Reads `path` whole (a directory, an unreadable file or more than `limit` bytes is an error;
// pipes and character devices are read up to the limit and refused past it).
InputFile read_input_file(const std::string& path, std::size_t limit = kMaxInputBytes);

// "1 MiB", "20.5 KiB", "812 bytes": sizes as messages print them.
std::string describe_size(std::size_t bytes);

}  // namespace policyc
