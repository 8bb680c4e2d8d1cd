#include "launcher/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace launcher {

void fault_point(const char* step) {
#ifdef PLAN_EXEC_FAULT_INJECTION
  static const char* target = std::getenv("PLAN_EXEC_FAULT_AFTER");
  if (target && std::strcmp(target, step) == 0) ::kill(::getpid(), SIGKILL);
#else
  (void)step;
#endif
}

}  // namespace launcher
