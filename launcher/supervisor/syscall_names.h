// x86_64 syscall names by number, for denial reports and --learn. The table is generated at
// build time from the kernel header <asm/unistd_64.h> (gen-syscall-names), not typed by hand.
#pragma once

#include <optional>
#include <string>

namespace launcher {

// nullptr for a number the header does not name (newer than the header, or no syscall).
const char* syscall_name(int nr);
// The number of `name`, if the header has it.
std::optional<int> syscall_number(const std::string& name);

}  // namespace launcher
