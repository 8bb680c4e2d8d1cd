// The isolation steps, one file each. Every function takes only its slice of the plan, so it
// can be read (and tested) on its own; launcher/sequence.cc alone decides the order.
// All of them throw StepError naming the step, the input and the errno. Steps that take a
// Kernel make every system call through it (kernel.h), so unit tests can record their calls.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "launcher/kernel.h"
#include "plan/plan.h"

namespace launcher {

// mounts.cc: stop mount events from leaking back to the host (MS_REC|MS_PRIVATE on /).
void make_mounts_private();
// mounts.cc: the plan's mounts, in order, under `root` ("" = the current root). The Dev kind is
// delegated to mount_minimal_dev (with the plan's granted `devices`). `in_userns`: some file
// systems need a fallback there (sysfs).
void mount_all(const std::vector<plan::Mount>& mounts, const std::string& root, bool in_userns,
               const std::vector<std::string>& devices = {});
void mount_one(const plan::Mount& mount, const std::string& root, bool in_userns,
               const std::vector<std::string>& devices = {});

// devices.cc: tmpfs at target + the default device nodes and the granted `devices` (plan.devices,
// checked by validate_granted_devices) + devpts + /dev/shm + links.
void mount_minimal_dev(const plan::Mount& dev, const std::string& root, bool in_userns,
                       const std::vector<std::string>& devices = {});

// rootfs.cc (child): mount_rootfs() is declared in rootfs_steps.h.
// rootfs.cc (child, after pivot): make "/" read-only (not its submounts).
void remount_root_readonly();

// paths.cc: hide (bind /dev/null on files, empty read-only tmpfs on directories) and make
// read-only the given container paths under `root`. Paths that do not exist are skipped.
void mask_paths(const std::vector<std::string>& paths, const std::string& root);
void make_paths_readonly(const std::vector<std::string>& paths, const std::string& root);

// pivot.cc: make `root` the process's root: pivot_root + detach the old root, or chroot.
void enter_root(Kernel& kernel, const std::string& root, bool use_chroot);

// hostname.cc
void set_hostname(Kernel& kernel, const std::string& hostname);

// rlimits.cc
void apply_rlimits(Kernel& kernel, const std::vector<plan::Rlimit>& rlimits);

// credentials.cc: supplementary groups, gid, uid; capabilities survive for drop_capabilities.
// `setgroups_allowed` is false in a user namespace whose setgroups file says "deny".
void switch_credentials(Kernel& kernel, const plan::User& user, bool setgroups_allowed);

// capabilities.cc: bounding, ambient, inheritable, permitted and effective become `keep`.
void drop_capabilities(Kernel& kernel, const std::vector<int>& keep);
int last_capability();  // /proc/sys/kernel/cap_last_cap (what real_kernel().cap_last_cap() reads)

// fds.cc: close every descriptor but 0, 1, 2 and `keep` (-1: none), which must be O_CLOEXEC.
void close_inherited_fds(Kernel& kernel, int keep);

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
