// SPDX-License-Identifier: Apache-2.0
#include "launcher/cgroup/cgroup_layout.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "launcher/host/error.h"

namespace launcher {
namespace {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  for (auto& line : split(text, '\n'))
    if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string unescape_octal(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        std::all_of(field.begin() + static_cast<std::ptrdiff_t>(i + 1), field.begin() + static_cast<std::ptrdiff_t>(i + 4), [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

// One mountinfo line: "36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory".
std::optional<CgroupMount> parse_mount_line(const std::string& line) {
  // Most lines are not cgroup mounts: skip them before splitting (this runs before clone, on
  // every start; a stream per line cost more than the rest of the parse).
  if (line.find(" cgroup") == std::string::npos) return std::nullopt;
  std::vector<std::string> fields;
  for (auto& f : split(line, ' '))  // fields are single-space separated; spaces inside are \040
    if (!f.empty()) fields.push_back(std::move(f));
  auto dash = std::find(fields.begin(), fields.end(), "-");
  if (dash == fields.end() || fields.size() < 5 || fields.end() - dash < 4) return std::nullopt;
  const std::string& fstype = *(dash + 1);
  if (fstype != "cgroup" && fstype != "cgroup2") return std::nullopt;
  CgroupMount mount;
  mount.v2 = fstype == "cgroup2";
  mount.root = unescape_octal(fields[3]);
  mount.mount_point = unescape_octal(fields[4]);
  if (!mount.v2) {
    // Super options hold the controllers: "rw,cpu,cpuacct" or "rw,name=systemd".
    static const std::vector<std::string> kNotControllers = {
        "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "favordynmods", "nsdelegate"};
    for (auto& opt : split(*(dash + 3), ',')) {
      if (opt.empty() || opt.starts_with("release_agent=")) continue;
      if (std::find(kNotControllers.begin(), kNotControllers.end(), opt) != kNotControllers.end()) continue;
      mount.controllers.push_back(opt);
    }
    std::sort(mount.controllers.begin(), mount.controllers.end());
  }
  return mount;
}

bool has_real_controller(const CgroupMount& m) {
  return std::any_of(m.controllers.begin(), m.controllers.end(),
                     [](const std::string& c) { return !c.starts_with("name="); });
}

// Fills caller_path from /proc/self/cgroup: "4:memory:/a/b", "1:cpu,cpuacct:/", "0::/x".
void assign_caller_paths(CgroupLayout& layout, std::string_view proc_self_cgroup) {
  for (const auto& line : split_lines(proc_self_cgroup)) {
    auto first = line.find(':');
    auto second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (controllers.empty()) {
      if (line.substr(0, first) == "0" && layout.unified) layout.unified->caller_path = path;
      continue;
    }
    auto wanted = split(controllers, ',');
    std::sort(wanted.begin(), wanted.end());
    for (auto& mount : layout.v1)
      if (mount.controllers == wanted) mount.caller_path = path;
  }
}

}  // namespace

std::string to_string(CgroupLayoutKind kind) {
  switch (kind) {
    case CgroupLayoutKind::None: return "none";
    case CgroupLayoutKind::Unified: return "unified (cgroup v2)";
    case CgroupLayoutKind::Hybrid: return "hybrid (cgroup v1 controllers + cgroup2)";
    case CgroupLayoutKind::Legacy: return "legacy (cgroup v1)";
  }
  return "unknown";
}

bool CgroupMount::has_controller(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::optional<std::string> CgroupMount::caller_dir() const {
  if (caller_path.empty() || caller_path[0] != '/') return std::nullopt;
  std::string relative;
  if (root == "/") {
    relative = caller_path;
  } else if (caller_path == root) {
    relative = "/";
  } else if (caller_path.starts_with(root + "/")) {
    relative = caller_path.substr(root.size());
  } else {
    return std::nullopt;
  }
  if (relative == "/") return mount_point;
  return mount_point + relative;
}

std::string CgroupMount::label() const {
  if (v2) return "cgroup2";
  std::string text;
  for (const auto& c : controllers) text += (text.empty() ? "" : ",") + c;
  return text;
}

const CgroupMount* CgroupLayout::v1_for(std::string_view controller) const {
  for (const auto& mount : v1)
    if (mount.has_controller(controller)) return &mount;
  return nullptr;
}

std::string CgroupLayout::describe() const {
  std::string text = to_string(kind);
  for (const auto& m : v1) text += "; v1 " + m.label() + " at " + m.mount_point;
  if (unified) text += "; cgroup2 at " + unified->mount_point;
  return text;
}

CgroupLayout parse_cgroup_layout(std::string_view mountinfo, std::string_view proc_self_cgroup) {
  CgroupLayout layout;
  for (const auto& line : split_lines(mountinfo)) {
    auto mount = parse_mount_line(line);
    if (!mount) continue;
    if (mount->v2) {
      if (!layout.unified) layout.unified = *mount;  // bind mounts of it repeat: keep the first
      continue;
    }
    bool seen = std::any_of(layout.v1.begin(), layout.v1.end(),
                            [&](const CgroupMount& m) { return m.controllers == mount->controllers; });
    if (!seen && !mount->controllers.empty()) layout.v1.push_back(*mount);
  }
  assign_caller_paths(layout, proc_self_cgroup);
  bool any_v1 = std::any_of(layout.v1.begin(), layout.v1.end(), has_real_controller);
  if (any_v1)
    layout.kind = layout.unified ? CgroupLayoutKind::Hybrid : CgroupLayoutKind::Legacy;
  else
    layout.kind = layout.unified ? CgroupLayoutKind::Unified : CgroupLayoutKind::None;
  return layout;
}

namespace {
// Plain read(2)s: no stream or locale set-up on the start path.
std::string read_proc_file(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StepError("cgroups", std::string("read ") + path + " to detect the cgroup layout (is /proc mounted?)", errno);
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw StepError("cgroups", std::string("read ") + path + " to detect the cgroup layout", err);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}
}  // namespace

CgroupLayout detect_cgroup_layout() {
  return parse_cgroup_layout(read_proc_file("/proc/self/mountinfo"), read_proc_file("/proc/self/cgroup"));
}

}  // namespace launcher
