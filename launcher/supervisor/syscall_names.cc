#include "launcher/supervisor/syscall_names.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace launcher {

namespace {

struct NamedSyscall {
  int nr;
  const char* name;
};

constexpr NamedSyscall kSyscalls[] = {
#include "syscall_names_x86_64.inc"
};

}  // namespace

const char* syscall_name(int nr) {
  auto it = std::lower_bound(std::begin(kSyscalls), std::end(kSyscalls), nr,
                             [](const NamedSyscall& s, int n) { return s.nr < n; });
  return it != std::end(kSyscalls) && it->nr == nr ? it->name : nullptr;
}

std::optional<int> syscall_number(const std::string& name) {
  for (const auto& s : kSyscalls) {
    if (name == s.name) return s.nr;
  }
  return std::nullopt;
}

}  // namespace launcher
