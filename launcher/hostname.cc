// The container's hostname, in its own UTS namespace (validation refuses it without one).
#include "launcher/error.h"
#include "launcher/kernel.h"
#include "launcher/steps.h"

namespace launcher {

void set_hostname(Kernel& kernel, const std::string& hostname) {
  check(kernel.sethostname(hostname.data(), hostname.size()), "hostname", "set hostname \"" + hostname + "\"");
}

}  // namespace launcher
