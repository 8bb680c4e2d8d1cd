// SPDX-License-Identifier: Apache-2.0
// x86_64 syscall names by number, for denial reports and --learn: plan/syscall_table.h's table,
// generated at build time from the newest kernel headers on the machine (not typed by hand).
#pragma once

#include <optional>
#include <string>

namespace launcher {

// nullptr for a number the table does not name (newer than the headers, or no syscall).
const char* syscall_name(int nr);
// The number of `name`, if the table has it.
std::optional<int> syscall_number(const std::string& name);

}  // namespace launcher
