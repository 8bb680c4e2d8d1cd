// SPDX-License-Identifier: Apache-2.0
#include "tests/support/host_traces.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace testsupport {

namespace fs = std::filesystem;

HostTraces::HostTraces(std::vector<std::string> paths, std::string cgroup) : cgroup_(std::move(cgroup)) {
  for (auto& path : paths) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) created_later_.push_back(std::move(path));
  }
}

HostTraces::~HostTraces() {
  std::error_code ec;
  for (const auto& path : created_later_) fs::remove_all(path, ec);  // never follows symlinks
  if (cgroup_.empty()) return;
  for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    const fs::path top = hierarchy.path().string() + cgroup_;
    if (!fs::is_directory(top, ec)) continue;
    // cgroup directories are removed with rmdir only, children first (they hold no files).
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::recursive_directory_iterator(top, ec)) {
      if (entry.is_directory(ec) && !entry.is_symlink(ec)) dirs.push_back(entry.path());
    }
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) fs::remove(*it, ec);
    fs::remove(top, ec);
  }
}

std::vector<pid_t> processes_mentioning(const std::string& marker) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find(marker) != std::string::npos) found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mount_point;
    fields >> id >> parent >> devices >> root >> mount_point;
    if (mount_point == dir || mount_point.rfind(dir + "/", 0) == 0) found.push_back(mount_point);
  }
  return found;
}

}  // namespace testsupport
