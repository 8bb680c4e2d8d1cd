// SPDX-License-Identifier: Apache-2.0
#include "tests/support/host_state.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace testsupport {

static std::vector<std::string> host_mounts() {
  std::vector<std::string> result;
  std::ifstream in("/proc/1/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    fields >> id >> parent >> devno >> root >> point;
    const auto dash = line.find(" - ");
    std::string fstype, source;
    if (dash != std::string::npos) std::istringstream(line.substr(dash + 3)) >> fstype >> source;
    result.push_back(point + " " + fstype + " " + source);
  }
  return result;
}

static std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> result;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) result.push_back(e.path().filename().string());
  return result;
}

// Every cgroup directory at or below one named plan-exec*, at any depth: the caller's own cgroup
// may sit deep (this host: memory/process_api/<id>/plan-exec/<name>-<pid>).
static void collect_plan_exec_cgroups(const fs::path& dir, bool inside, int depth, std::vector<std::string>& out) {
  if (depth > 8) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_directory(type_ec) || entry.is_symlink(type_ec)) continue;
    const bool ours = inside || entry.path().filename().string().starts_with("plan-exec");
    if (ours) out.push_back(entry.path());
    collect_plan_exec_cgroups(entry.path(), ours, depth + 1, out);
  }
}

static std::vector<std::string> plan_exec_cgroups() {
  std::vector<std::string> result;
  collect_plan_exec_cgroups("/sys/fs/cgroup", false, 0, result);
  return result;
}

HostState snapshot_host() {
  return HostState{host_mounts(), names_in("/sys/class/net"), names_in("/run/netns"), plan_exec_cgroups()};
}

std::vector<std::string> new_entries(const std::vector<std::string>& before, const std::vector<std::string>& after,
                                     const std::string& filter) {
  std::vector<std::string> result;
  for (const auto& entry : after) {
    if (std::find(before.begin(), before.end(), entry) != before.end()) continue;
    if (filter.empty() || entry.find(filter) != std::string::npos) result.push_back(entry);
  }
  return result;
}

std::vector<std::string> entries_containing(const HostState& state, const std::string& needle) {
  std::vector<std::string> result;
  for (const auto* list : {&state.mounts, &state.interfaces, &state.netns, &state.cgroups}) {
    for (const auto& e : *list) {
      if (e.find(needle) != std::string::npos) result.push_back(e);
    }
  }
  return result;
}

}  // namespace testsupport
