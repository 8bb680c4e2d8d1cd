// SPDX-License-Identifier: Apache-2.0
// A system call as a report line shows it: `openat(AT_FDCWD, "/dev/null", O_RDONLY|O_CLOEXEC)`.
// Names for the flags rules usually test (O_*, AF_*/SOCK_*, CLONE_*, ioctl requests, PR_*,
// PROT_*/MAP_*), strings read from the caller's memory through a reader the caller supplies (the
// supervisor reads only after checking the call is still pending). Syscalls without a signature
// here show their six raw registers in hex, trailing zeros left out.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace launcher {

using Args = std::array<std::uint64_t, 6>;
// Reads a NUL-terminated string at an address of the caller; nullopt when it cannot.
using StringReader = std::function<std::optional<std::string>(std::uint64_t address)>;

// x86_64 only: the name comes from syscall_names.h ("syscall_462" when unknown).
std::string format_call(int nr, const Args& args, const StringReader& read_string);

// The pieces, for tests and for --learn's comments.
std::string open_flags_text(std::uint64_t flags);
std::string socket_family_text(std::uint64_t family);
std::string socket_type_text(std::uint64_t type);
std::string clone_flags_text(std::uint64_t flags);
std::string ioctl_request_text(std::uint64_t request);
std::string prctl_option_text(std::uint64_t option);
std::string prot_text(std::uint64_t prot);
std::string quoted_c_string(const std::string& text);  // "a\nb" with C escapes, cut at 256 bytes

// "EPERM" for 1; the number when the C library has no name for it.
std::string errno_text(int err);

}  // namespace launcher
