// SPDX-License-Identifier: Apache-2.0
#include "launcher/host/fault.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace launcher {

void fault_point(const char* step) {
#ifdef PLAN_EXEC_FAULT_INJECTION
  static const char* target = std::getenv("PLAN_EXEC_FAULT_AFTER");
  if (target && std::strcmp(target, step) == 0) ::kill(::getpid(), SIGKILL);
#else
  (void)step;
#endif
}

void fault_pause(const char* point) {
#ifdef PLAN_EXEC_FAULT_INJECTION
  static const char* target = std::getenv("PLAN_EXEC_TEST_PAUSE");
  if (!target || std::strcmp(target, point) != 0) return;
  timespec left{3, 0};
  while (::nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
#else
  (void)point;
#endif
}

bool defence_disabled(const char* defence) {
#ifdef PLAN_EXEC_FAULT_INJECTION
  static const char* list = std::getenv("PLAN_EXEC_TEST_DISABLE_DEFENCES");
  if (!list) return false;
  const std::string_view wanted(defence);
  std::string_view rest(list);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (rest.substr(0, comma) == wanted) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
#else
  (void)defence;
  return false;
#endif
}

int test_landlock_abi_limit() {
#ifdef PLAN_EXEC_FAULT_INJECTION
  static const char* value = std::getenv("PLAN_EXEC_TEST_LANDLOCK_ABI");
  if (!value || *value < '0' || *value > '9') return -1;
  return std::atoi(value);
#else
  return -1;
#endif
}

}  // namespace launcher
