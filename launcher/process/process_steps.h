// SPDX-License-Identifier: Apache-2.0
// The steps that shape the container's process (hostname, rlimits, credentials, capabilities,
// descriptors, no_new_privs and the filter, the user namespace's maps), one file each. Each takes
// only its slice of the plan and makes every system call through the Kernel (host/kernel.h), so
// unit tests record its calls; all throw StepError naming the step, the input and the errno.
// launcher/sequence.cc alone decides the order.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "launcher/host/kernel.h"
#include "plan/plan.h"

namespace launcher {

// hostname.cc
void set_hostname(Kernel& kernel, const std::string& hostname);

// rlimits.cc
void apply_rlimits(Kernel& kernel, const std::vector<plan::Rlimit>& rlimits);

// credentials.cc: supplementary groups, gid, uid; capabilities survive for drop_capabilities.
// `setgroups_allowed` is false in a user namespace whose setgroups file says "deny".
void switch_credentials(Kernel& kernel, const plan::User& user, bool setgroups_allowed);

// capabilities.cc: bounding, ambient, inheritable, permitted and effective become `keep`.
void drop_capabilities(Kernel& kernel, const std::vector<int>& keep);

// fds.cc: close every descriptor but 0, 1, 2, `keep` and `keep_too` (-1: none), which must be
// O_CLOEXEC.
void close_inherited_fds(Kernel& kernel, int keep, int keep_too = -1);

// seccomp.cc: no_new_privs, then the filter. Must be the last step before execve.
void set_no_new_privs(Kernel& kernel);
void load_seccomp_filter(Kernel& kernel, const std::vector<std::uint8_t>& bpf);

// hostname/uts etc. need nothing from the parent; these do:
// userns.cc: the text of uid_map/gid_map and whether setgroups is denied.
struct IdMaps {
  std::string uid_map;   // "0 1000 1\n"
  std::string gid_map;
  bool deny_setgroups = true;
};
IdMaps choose_id_maps(const plan::User& user, bool rootless, uid_t caller_uid, gid_t caller_gid);
void write_id_maps(Kernel& kernel, pid_t child, const IdMaps& maps);
// Child, first step in a new user namespace: uid/gid 0 when mapped (else unchanged).
void become_namespace_root(Kernel& kernel);

}  // namespace launcher
