// SPDX-License-Identifier: Apache-2.0
// cgroup v1 backend (legacy and hybrid hosts): one directory per mounted hierarchy the plan
// uses, plus the memory, cpuacct and pids hierarchies for the --stats report, plus (root runs,
// limits or not) the devices hierarchy: "a" into devices.deny, then the allow-list, one
// devices.allow line per write, before the container joins.
//
// Parent choice: a relative parent ("plan-exec") goes under the caller's own cgroup in each
// hierarchy (from /proc/self/cgroup), so a container never escapes the limits its caller runs
// under and a caller given a subtree keeps to it. v1 has no "no internal processes" rule, so
// this works for every hierarchy. An absolute parent ("/plan-exec") starts at the mount point.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "launcher/cgroup/cgroup_backend.h"
#include "launcher/host/error.h"

namespace launcher {
namespace {


// Hierarchies joined only to report usage; a host without them just reports less. memory is
// joined even without --stats: its counters tell an OOM kill (exit 137 and its message).
const std::vector<std::string> kStatsControllers = {"memory", "cpuacct", "pids"};
const std::vector<std::string> kOomControllers = {"memory"};

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

class V1Cgroup : public CgroupBackend {
 public:
  using CgroupBackend::CgroupBackend;
  ~V1Cgroup() override { close_join_files(); }

  // See ContainerCgroup::joins_from_child: "0" into `tasks` moves the writer itself, without
  // the RCU grace period a pid written into cgroup.procs waits for.
  bool joins_from_child() const override { return true; }

  void join_from_child() override {
    // Our copy of the backend predates create() when the parent made the cgroups after clone
    // (while we mounted): open the files now, by path (as root, before pivot_root).
    if (join_files_.empty()) open_join_files();
    for (auto& file : join_files_) {
      if (file.fd < 0) {
        cannot_apply("open " + file.path + " for the container to join its cgroup", file.open_errno, file.enforced);
        continue;
      }
      const ssize_t n = ::write(file.fd, "0", 1);
      const int err = n == 1 ? 0 : (n < 0 ? errno : EIO);
      ::close(file.fd);
      file.fd = -1;
      if (err != 0) cannot_apply("join the cgroup " + file.path + " (write 0: this process)", err, file.enforced);
    }
  }

 protected:
  // A new v1 cpuset cgroup starts with empty cpus and mems, and no task can join it until both
  // are set: copy them from the parent, top-down, before the plan's own values (a subset).
  void on_dir_ready(const CgroupDir& dir, const std::string& path, bool) override {
    if (!dir.has_controller("cpuset") || path == dir.mount_point) return;
    std::string parent = path.substr(0, path.rfind('/'));
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      auto own = fs().read_file(path + "/" + file);
      if (own && !trim(*own).empty()) continue;
      auto inherited = fs().read_file(parent + "/" + file);
      if (!inherited || trim(*inherited).empty()) continue;
      int err = fs().write_file(path + "/" + file, trim(*inherited));
      if (err != 0) cannot_apply(std::string("copy ") + file + " from " + parent + " into " + path, err);
    }
  }

  // The counters of a new cgroup start at 0, but compare with creation anyway: cheap and safe.
  void after_create() override {
    open_join_files();
    const CgroupDir* memory = dir_with("memory");
    if (!memory) return;
    failcnt_at_start_ = read_number(fs(), memory->path() + "/memory.failcnt").value_or(0);
    oom_kills_at_start_ = read_keyed_value(fs(), memory->path() + "/memory.oom_control", "oom_kill").value_or(0);
  }

  CgroupReport read_report() const override {
    CgroupReport report;
    if (const CgroupDir* memory = dir_with("memory")) {
      std::string dir = memory->path();
      auto oom_kills = read_keyed_value(fs(), dir + "/memory.oom_control", "oom_kill");  // Linux >= 4.13
      if (oom_kills) {
        report.oom_killed = *oom_kills > oom_kills_at_start_;
        report.oom_kills = report.oom_killed ? *oom_kills - oom_kills_at_start_ : 0;
      } else {
        // Older kernels: the cgroup is still under OOM, or it hit its limit since creation.
        bool under_oom = read_keyed_value(fs(), dir + "/memory.oom_control", "under_oom").value_or(0) != 0;
        bool hit_limit = read_number(fs(), dir + "/memory.failcnt").value_or(0) > failcnt_at_start_;
        report.oom_killed = under_oom || hit_limit;
      }
      if (usage_report()) report.memory_peak_bytes = read_number(fs(), dir + "/memory.max_usage_in_bytes");
    }
    if (!usage_report()) return report;  // nobody prints it: spare the reads
    if (const CgroupDir* cpuacct = dir_with("cpuacct")) {
      if (auto ns = read_number(fs(), cpuacct->path() + "/cpuacct.usage")) report.cpu_usage_us = *ns / 1000;
    }
    if (const CgroupDir* cpu = dir_with("cpu")) {
      std::string stat = cpu->path() + "/cpu.stat";
      report.nr_throttled = read_keyed_value(fs(), stat, "nr_throttled");
      if (auto ns = read_keyed_value(fs(), stat, "throttled_time")) report.throttled_us = *ns / 1000;
    }
    if (const CgroupDir* pids = dir_with("pids")) report.pids_peak = read_number(fs(), pids->path() + "/pids.peak");
    return report;
  }

  void before_teardown() override { close_join_files(); }

 private:
  // `tasks` of every active hierarchy, opened by plan-exec (root) at create(): when that is
  // before clone the child inherits them, and as the kernel checks the opener's credentials, a
  // child in a new user namespace may write them too. An open that failed is reported by the
  // child, where best effort decides.
  struct JoinFile {
    std::string path;
    int fd = -1;
    int open_errno = 0;
    bool enforced = false;
  };
  void open_join_files() {
    for (const auto& dir : dirs()) {
      if (!dir.active) continue;
      JoinFile file{dir.path() + "/tasks"};
      file.enforced = dir.enforced;
      file.fd = fs().open_for_write(file.path);
      if (file.fd < 0) file.open_errno = errno;
      join_files_.push_back(std::move(file));
    }
  }
  void close_join_files() {
    for (auto& file : join_files_)
      if (file.fd >= 0) ::close(file.fd);
    join_files_.clear();
  }

  std::vector<JoinFile> join_files_;
  std::uint64_t failcnt_at_start_ = 0;
  std::uint64_t oom_kills_at_start_ = 0;
};

std::string hierarchies(const CgroupLayout& layout) {
  std::string text;
  for (const auto& m : layout.v1) text += (text.empty() ? "" : " ") + m.label();
  return "v1 hierarchies mounted: " + (text.empty() ? std::string("none") : text);
}

}  // namespace

std::unique_ptr<ContainerCgroup> make_v1_backend(const plan::Cgroups& cgroups, const std::string& leaf,
                                                 CgroupEnv env) {
  const std::string parent = cgroups.parent.empty() ? "plan-exec" : cgroups.parent;
  const bool absolute = parent_is_absolute(parent);
  std::vector<CgroupDir> dirs;

  auto dir_for = [&](const CgroupMount& mount) -> CgroupDir& {
    for (auto& dir : dirs)
      if (dir.label == mount.label()) return dir;
    auto base = absolute ? std::optional<std::string>(mount.mount_point) : mount.caller_dir();
    if (!base)
      throw StepError(kCgroupStep, "plan-exec's own cgroup in the v1 " + mount.label() + " hierarchy (\"" +
                                 mount.caller_path + "\") is not visible under its mount " + mount.mount_point +
                                 ": give the limits an absolute parent, e.g. parent \"/plan-exec\"");
    CgroupDir dir;
    dir.label = mount.label();
    dir.mount_point = mount.mount_point;
    dir.base = *base;
    dir.parent = split_parent(parent);
    dir.leaf = leaf;
    dirs.push_back(std::move(dir));
    return dirs.back();
  };

  for (const auto& controller : cgroups.v1) {
    const CgroupMount* mount = env.layout.v1_for(controller.controller);
    if (!mount) {
      missing_controller(env, cgroups.best_effort, controller.controller, hierarchies(env.layout));
      continue;
    }
    auto& dir = dir_for(*mount);
    dir.writes.insert(dir.writes.end(), controller.writes.begin(), controller.writes.end());
  }
  if (env.limits)
    for (const auto& controller : env.usage_report ? kStatsControllers : kOomControllers)
      if (const CgroupMount* mount = env.layout.v1_for(controller)) dir_for(*mount);
  if (env.devices) {
    const CgroupMount* mount = env.layout.v1_for("devices");
    if (!mount) no_device_cgroup(hierarchies(env.layout));
    auto& dir = dir_for(*mount);
    auto writes = device_cgroup_writes(*env.devices);
    dir.writes.insert(dir.writes.begin(), writes.begin(), writes.end());
    dir.enforced = true;
  }

  if (dirs.empty() && env.limits) {
    missing_controller(env, cgroups.best_effort, "memory, cpu or pids", hierarchies(env.layout));
  }
  std::string name = env.layout.kind == CgroupLayoutKind::Hybrid ? "cgroup v1 (hybrid host)" : "cgroup v1";
  bool best_effort = cgroups.best_effort;
  return std::make_unique<V1Cgroup>(name, std::move(dirs), std::move(env), best_effort, !absolute);
}

}  // namespace launcher
