// SPDX-License-Identifier: Apache-2.0
// Plan <-> JSON. Loading is strict: unknown or duplicate keys, wrong types, a wrong version or
// arch, a malformed filter, a file over 16 MiB and any broken rule of plan/rules.h are errors that
// name the key, so a plan is either wholly valid or rejected before plan-exec has done anything.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "plan/plan.h"

namespace plan {

// Thrown for any invalid plan. what() is a complete sentence naming the key path, e.g.
// "plan.seccomp.bpf: length 12 is not a multiple of 8 (struct sock_filter)".
class PlanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The host arch name plans are compiled for ("x86_64"); plans for another arch are refused.
std::string host_arch();

std::string to_json(const Plan& plan);                 // pretty-printed, stable key order
Plan from_json(std::string_view text);                 // throws PlanError
Plan load_file(const std::string& path);               // throws PlanError (also for I/O errors)
// The two halves of load_file, for a caller that also needs the file's bytes (to hash them):
// the whole file (at most 16 MiB), and the plan in `text` with errors naming `path`.
std::string read_plan_text(const std::string& path);    // throws PlanError
Plan load_text(const std::string& path, std::string_view text);

// Writes `text` to `path` atomically: a temporary file in the same directory, fsync, rename.
// Throws std::runtime_error naming the path on failure; never leaves a partial file.
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace plan
