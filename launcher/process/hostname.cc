// SPDX-License-Identifier: Apache-2.0
// The container's hostname, in its own UTS namespace (validation refuses it without one).
#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

void set_hostname(Kernel& kernel, const std::string& hostname) {
  check(kernel.sethostname(hostname.data(), hostname.size()), "hostname", "set hostname \"" + hostname + "\"");
}

}  // namespace launcher
