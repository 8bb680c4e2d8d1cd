// SPDX-License-Identifier: Apache-2.0
// Cleaning up after container engines the export tests start (podman, containerd): they leave
// state in fixed host places whatever their flags say (/run/runc, /run/containerd/s,
// /var/lib/containers/cache, cgroups under the parent they are given). A HostTraces object
// records which of those paths exist when a test starts and, when it goes away, removes the
// ones that did not: so a test removes what it made and never what was there before.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace testsupport {

class HostTraces {
 public:
  // `paths`: host paths an engine may create; `cgroup`: a cgroup path ("/name") the test owns,
  // removed (with its children, deepest first) from every hierarchy under /sys/fs/cgroup.
  HostTraces(std::vector<std::string> paths, std::string cgroup);
  ~HostTraces();
  HostTraces(const HostTraces&) = delete;
  HostTraces& operator=(const HostTraces&) = delete;

 private:
  std::vector<std::string> created_later_;  // paths that did not exist at construction
  std::string cgroup_;
};

// Processes whose command line contains `marker` (a path unique to one test), for helpers an
// engine spawns that outlive it (containerd's shims).
std::vector<pid_t> processes_mentioning(const std::string& marker);

// Mount points at or below `dir` in this mount namespace (a test's scratch directory).
std::vector<std::string> mounts_under(const std::string& dir);

}  // namespace testsupport
