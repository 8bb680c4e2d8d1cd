// SPDX-License-Identifier: Apache-2.0
// What a test may leave behind on the host, to assert it left nothing: mounts in the host's
// mount namespace (/proc/1/mountinfo), network interfaces, named netns, and cgroup
// directories named plan-exec* (two levels deep in each hierarchy). Other tests
// may run at the same time, so compare with new_entries() filtered by something of yours
// (your scratch path, plan-exec's pid).
#pragma once

#include <string>
#include <vector>

namespace testsupport {

struct HostState {
  std::vector<std::string> mounts;      // "<mount point> <fstype> <source>"
  std::vector<std::string> interfaces;  // /sys/class/net
  std::vector<std::string> netns;       // /run/netns
  std::vector<std::string> cgroups;     // paths containing "plan-exec"
};

HostState snapshot_host();

// Entries of `after` that are not in `before` and contain `filter` ("" = all), for messages.
std::vector<std::string> new_entries(const std::vector<std::string>& before, const std::vector<std::string>& after,
                                     const std::string& filter = "");

// All of `state`'s entries that contain `needle` (e.g. a rootfs path in the mounts).
std::vector<std::string> entries_containing(const HostState& state, const std::string& needle);

}  // namespace testsupport
