// SPDX-License-Identifier: Apache-2.0
// Which cgroup hierarchies this host mounts, and where the caller sits in each.
//
// Read from /proc/self/mountinfo (the mounts: cgroup2 and each v1 hierarchy with its
// controllers) and /proc/self/cgroup (the caller's path in each hierarchy), never from assumed
// paths: hosts mount cgroups at /sys/fs/cgroup, /sys/fs/cgroup/unified, /cgroup, ..., and a
// caller may sit deep inside a hierarchy (this project's CI: memory:/process_api/<id>).
// The parser is pure so unit tests feed it sample texts whose mount points are temp dirs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace launcher {

enum class CgroupLayoutKind {
  None,     // no cgroup filesystem mounted
  Unified,  // pure v2: cgroup2 only (no v1 hierarchy with a controller)
  Hybrid,   // v1 controller hierarchies plus a cgroup2 mount (systemd "hybrid")
  Legacy,   // pure v1
};

std::string to_string(CgroupLayoutKind kind);

struct CgroupMount {
  bool v2 = false;
  std::string mount_point;               // "/sys/fs/cgroup/memory"
  std::string root;                      // the hierarchy path mounted there, usually "/"
  std::vector<std::string> controllers;  // v1: {"cpu","cpuacct"} or {"name=systemd"}; v2: empty
  std::string caller_path;               // the caller's cgroup in this hierarchy ("/process_api/x")

  bool has_controller(std::string_view controller) const;
  // The directory of the caller's cgroup, or nullopt when it is not visible under this mount
  // (e.g. the mount shows a subtree the caller is outside of).
  std::optional<std::string> caller_dir() const;
  std::string label() const;  // "cpu,cpuacct" or "cgroup2"
};

struct CgroupLayout {
  CgroupLayoutKind kind = CgroupLayoutKind::None;
  std::optional<CgroupMount> unified;  // the cgroup2 mount, if any
  std::vector<CgroupMount> v1;         // one per v1 hierarchy (first mount of each)

  // The v1 hierarchy carrying `controller`, or nullptr.
  const CgroupMount* v1_for(std::string_view controller) const;
  std::string describe() const;  // "hybrid: v1 cpu memory pids ..., cgroup2 at /sys/fs/cgroup/unified"
};

// Pure: builds the layout from the texts of /proc/self/mountinfo and /proc/self/cgroup.
CgroupLayout parse_cgroup_layout(std::string_view mountinfo, std::string_view proc_self_cgroup);

// Reads /proc/self/mountinfo and /proc/self/cgroup. Throws StepError (step "cgroups").
CgroupLayout detect_cgroup_layout();

}  // namespace launcher
