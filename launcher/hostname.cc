// The container's hostname, in its own UTS namespace (validation refuses it without one).
#include <unistd.h>

#include "launcher/error.h"
#include "launcher/steps.h"

namespace launcher {

void set_hostname(const std::string& hostname) {
  check(::sethostname(hostname.data(), hostname.size()), "hostname", "set hostname \"" + hostname + "\"");
}

}  // namespace launcher
