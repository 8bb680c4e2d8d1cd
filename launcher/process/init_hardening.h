// SPDX-License-Identifier: Apache-2.0
// `plan-exec --init`: pid 1 is no easier a target than the command it runs (as tini under
// runc). Right after it forked the command, the init process
//   - drops every capability: bounding (while it still may), ambient, permitted, effective,
//     inheritable; it only waits, signals its own child and reaps, which need none;
//   - becomes non-dumpable: ptrace, /proc/1/mem, process_vm_readv, pidfd_getfd, /proc/1/environ,
//     /proc/1/fd then need CAP_SYS_PTRACE in the user namespace of its memory, which is the
//     host's (it never execs: its memory is a copy of plan-exec's), so no container process has it;
//   - closes every descriptor but the error channel (stdin/out/err are the command's anyway);
//   - sets no_new_privs and loads a filter of its own (init_filter.h), not the policy's: it
//     allows only what the init loop calls and kills on anything else.
// The command, forked before, keeps the plan's capabilities and gets the plan's no_new_privs
// and filter in the steps after `init`. Test switch: defence "init-hardening" (fault.h).
#pragma once

#include <sys/types.h>

#include "launcher/host/kernel.h"

namespace launcher {

// In the init process, after the fork. Throws StepError("init", ...) before the filter is
// loaded; the filter lets init close `error_fd` (and nothing else) afterwards.
void harden_init(Kernel& kernel, pid_t command, int error_fd);

}  // namespace launcher
