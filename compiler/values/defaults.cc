// SPDX-License-Identifier: Apache-2.0
#include "compiler/values/defaults.h"

#include <linux/capability.h>

#include <algorithm>

namespace policyc::lower {

const std::vector<std::string>& minimal_dev_nodes() {
  static const std::vector<std::string> names = {"null", "zero", "full", "random", "urandom", "tty"};
  return names;
}

// Docker's set without mknod: a device node made in the container (on a mount without nodev,
// or one the device cgroup allows) would reach host hardware. `capabilities keep mknod` adds it.
const std::vector<int>& default_capabilities() {
  static const std::vector<int> caps = [] {
    std::vector<int> v = {CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER,  CAP_NET_RAW,
                          CAP_SETGID,  CAP_SETUID,       CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
                          CAP_SYS_CHROOT, CAP_KILL,      CAP_AUDIT_WRITE};
    std::sort(v.begin(), v.end());
    return v;
  }();
  return caps;
}

}  // namespace policyc::lower
