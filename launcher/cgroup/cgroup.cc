// SPDX-License-Identifier: Apache-2.0
// Entry points of the cgroup step: backend choice, `--cleanup`, and the OOM and --stats texts.
#include "launcher/cgroup/cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "launcher/cgroup/cgroup_backend.h"
#include "launcher/host/error.h"

namespace launcher {

std::unique_ptr<ContainerCgroup> prepare_cgroups(const plan::Cgroups& cgroups, const std::string& name,
                                                 pid_t instance) {
  return prepare_cgroups(cgroups, name, instance, true);
}

std::unique_ptr<ContainerCgroup> prepare_cgroups(const plan::Cgroups& cgroups, const std::string& name, pid_t instance,
                                                 bool usage_report) {
  CgroupEnv env;
  env.layout = detect_cgroup_layout();
  env.usage_report = usage_report;
  return make_cgroup_backend(cgroups, name, instance, std::move(env));
}

std::unique_ptr<ContainerCgroup> prepare_container_cgroup(const std::optional<plan::Cgroups>& limits,
                                                          const std::optional<std::vector<DeviceRule>>& devices,
                                                          const std::string& name, pid_t instance, bool usage_report,
                                                          std::function<void(const std::string&)> warn) {
  if (!limits && !devices) return nullptr;
  CgroupEnv env;
  env.warn = std::move(warn);
  env.layout = detect_cgroup_layout();
  env.usage_report = usage_report;
  env.limits = limits.has_value();
  env.devices = devices;
  return make_cgroup_backend(limits.value_or(plan::Cgroups{}), name, instance, std::move(env));
}

// ---- leftovers -----------------------------------------------------------------------------

namespace {

// "<name>-<pid>" -> pid, or -1.
pid_t instance_of(const std::string& dir) {
  std::string base = dir.substr(dir.rfind('/') + 1);
  auto dash = base.rfind('-');
  if (dash == std::string::npos || dash + 1 >= base.size()) return -1;
  std::string digits = base.substr(dash + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) || digits.size() > 9)
    return -1;
  return static_cast<pid_t>(std::stol(digits));
}

// Seconds since the epoch at which `pid` started, from /proc/PID/stat field 22 and btime.
std::optional<double> process_start_time(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close_paren + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) {
      std::ifstream proc_stat("/proc/stat");
      for (std::string key; proc_stat >> key;)
        if (key == "btime") {
          double boot = 0;
          proc_stat >> boot;
          return boot + std::stod(field) / static_cast<double>(::sysconf(_SC_CLK_TCK));
        }
    }
  return std::nullopt;
}

std::vector<std::string> candidate_parents(const CgroupLayout& layout) {
  std::vector<std::string> parents;
  auto add = [&](const std::string& dir) {
    if (std::find(parents.begin(), parents.end(), dir) == parents.end()) parents.push_back(dir);
  };
  for (const auto& mount : layout.v1) {
    if (auto caller = mount.caller_dir()) add(*caller + "/plan-exec");
    add(mount.mount_point + "/plan-exec");
  }
  if (layout.unified) {
    const auto& mount = *layout.unified;
    if (auto caller = mount.caller_dir())
      add((*caller == mount.mount_point ? *caller : caller->substr(0, caller->rfind('/'))) + "/plan-exec");
    add(mount.mount_point + "/plan-exec");
  }
  return parents;
}

}  // namespace

bool instance_alive(pid_t pid, const std::string& dir) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return true;  // gone already: nothing to do either way
  auto started = process_start_time(pid);
  if (!started) return true;  // cannot tell: leave it
  // A pid that started after its directory was made is a reused pid, not the owner.
  return *started <= static_cast<double>(st.st_ctim.tv_sec) + 2.0;
}

std::vector<std::string> cleanup_cgroup_leftovers_in(const CgroupLayout& layout, CgroupFs& fs,
                                                     const InstanceAlive& alive) {
  std::vector<std::string> removed;
  for (const auto& parent : candidate_parents(layout)) {
    if (!fs.exists(parent)) continue;
    for (const auto& dir : fs.subdirectories(parent)) {
      pid_t pid = instance_of(dir);
      if (pid <= 0 || alive(pid, dir)) continue;
      std::string problem = kill_and_remove_cgroup(fs, dir);
      if (!problem.empty()) throw StepError("cgroups", "clean up leftover cgroup " + dir + ": " + problem);
      removed.push_back(dir);
    }
    fs.remove_dir(parent);  // fails while a running instance still uses it: fine
  }
  return removed;
}

std::vector<std::string> cleanup_cgroup_leftovers() {
  CgroupFs fs;
  return cleanup_cgroup_leftovers_in(detect_cgroup_layout(), fs, instance_alive);
}

// ---- texts ---------------------------------------------------------------------------------

namespace {

std::string format_bytes(std::uint64_t bytes) {
  constexpr std::uint64_t kMiB = 1024 * 1024, kGiB = kMiB * 1024;
  char text[64];
  if (bytes >= kGiB && bytes % kGiB == 0)
    std::snprintf(text, sizeof text, "%llu GiB", static_cast<unsigned long long>(bytes / kGiB));
  else if (bytes % kMiB == 0)
    std::snprintf(text, sizeof text, "%llu MiB", static_cast<unsigned long long>(bytes / kMiB));
  else if (bytes >= kMiB)
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / kMiB);
  else if (bytes >= 1024)
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  return text;
}

std::string format_seconds(std::uint64_t us) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", static_cast<double>(us) / 1e6);
  return text;
}

}  // namespace

std::string oom_message(const plan::Cgroups& cgroups) {
  if (!cgroups.memory_max_bytes) return "killed: out of memory";
  return "killed: out of memory (limit " + format_bytes(*cgroups.memory_max_bytes) + ")";
}

std::string oom_report(const CgroupReport& report, const plan::Cgroups& cgroups, int command_exit_code) {
  if (command_exit_code == 128 + SIGKILL) return oom_message(cgroups);
  std::string text = "warning: out of memory";
  if (cgroups.memory_max_bytes) text += " (limit " + format_bytes(*cgroups.memory_max_bytes) + ")";
  if (report.oom_kills) {
    text += ": the kernel killed " + std::to_string(*report.oom_kills) +
            (*report.oom_kills == 1 ? " process" : " processes") + " in the container";
  } else {
    text += ": the kernel killed a process in the container";
  }
  return text + ", not the command, which exited " + std::to_string(command_exit_code);
}

std::string format_cgroup_stats(const CgroupReport& report) {
  std::string text;
  if (report.memory_peak_bytes) text += "memory peak: " + format_bytes(*report.memory_peak_bytes) + "\n";
  if (report.cpu_usage_us) text += "cpu time: " + format_seconds(*report.cpu_usage_us) + "\n";
  if (report.throttled_us || report.nr_throttled) {
    text += "throttled: " + format_seconds(report.throttled_us.value_or(0));
    if (report.nr_throttled) text += " (" + std::to_string(*report.nr_throttled) + " periods)";
    text += "\n";
  }
  if (report.pids_peak) text += "pids peak: " + std::to_string(*report.pids_peak) + "\n";
  if (report.oom_killed) text += "oom killed: yes\n";
  return text;
}

}  // namespace launcher
