// SPDX-License-Identifier: Apache-2.0
// Which device nodes a container may use, as rules both device-cgroup backends apply: v1
// writes them to devices.deny/devices.allow, v2 compiles them into a BPF_CGROUP_DEVICE program
// (device_bpf.h). Everything not allowed by a rule is denied, whatever the container's
// capabilities and mounts: a node it makes with mknod, or finds on a mount, cannot be opened.
//
// The default list is Docker's (and runc's, crun's): the /dev a container gets, the pty pair,
// and mknod (not open) of anything, so images that create nodes at build time still work.
// Granted devices (plan.devices, the policy's `device /dev/fuse`) add one rule each.
// Rootless runs get no device cgroup: they cannot make one (no write access to the devices
// hierarchy, and loading a BPF_PROG_TYPE_CGROUP_DEVICE program needs CAP_BPF/CAP_SYS_ADMIN in
// the initial user namespace); the kernel already refuses them every device a user could not
// open outside, and their mounts carry nodev.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace launcher {

// Access bits, as the kernel's BPF_DEVCG_ACC_* (and v1's 'm' 'r' 'w').
enum DeviceAccess : std::uint32_t { kDeviceMknod = 1, kDeviceRead = 2, kDeviceWrite = 4, kDeviceAll = 7 };

struct DeviceRule {
  char type = 'a';               // 'c' char, 'b' block, 'a' both
  std::int64_t major = -1;       // -1: any
  std::int64_t minor = -1;       // -1: any
  std::uint32_t access = kDeviceAll;
  bool operator==(const DeviceRule&) const = default;
};

// Docker's default allow-list: c 1:3 1:5 1:7 1:8 1:9 5:0 5:2 136:* rwm, c *:* m, b *:* m.
const std::vector<DeviceRule>& default_device_rules();

// The default list plus one "rwm" rule per granted node (absolute host paths), each stat()ed
// now for its type and number. Throws StepError("validate") naming plan.devices[i] when a path
// is missing or not a device node. No side effects.
std::vector<DeviceRule> device_rules_for(const std::vector<std::string>& granted);

// "c 1:3 rwm", "b *:* m": one line of v1 devices.allow.
std::string v1_line(const DeviceRule& rule);

// Whether `rules` allow `access` to a device of `type` ('c' or 'b') major:minor. One rule must
// allow every requested bit (as the kernel's v1 controller decides). For tests and docs.
bool device_allowed(const std::vector<DeviceRule>& rules, char type, std::uint32_t major, std::uint32_t minor,
                    std::uint32_t access);

// For --dry-run: "deny all but c 1:3 rwm, c 1:5 rwm, ..."
std::string describe_device_rules(const std::vector<DeviceRule>& rules);

}  // namespace launcher
