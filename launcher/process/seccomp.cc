// SPDX-License-Identifier: Apache-2.0
// The plan's filter, compiled by policyc, loaded as is with seccomp(2): the launcher links no
// libseccomp. It is the very last step before execve so it never judges the launcher's own
// syscalls; execve must be allowed by it (policyc checks that).
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include <cstring>

#include "launcher/host/error.h"
#include "launcher/host/kernel.h"
#include "launcher/process/process_steps.h"

namespace launcher {

void set_no_new_privs(Kernel& kernel) {
  check(kernel.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "seccomp", "set no_new_privs");
}

void load_seccomp_filter(Kernel& kernel, const std::vector<std::uint8_t>& bpf) {
  // The plan holds little-endian struct sock_filter[]; copy into aligned storage.
  std::vector<sock_filter> program(bpf.size() / sizeof(sock_filter));
  std::memcpy(program.data(), bpf.data(), program.size() * sizeof(sock_filter));
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  check(kernel.seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), "seccomp",
        "load the seccomp filter (" + std::to_string(program.size()) + " instructions)");
}

}  // namespace launcher
