// cgroup v1 backend (legacy and hybrid hosts): one directory per mounted hierarchy the plan
// uses, plus the memory, cpuacct and pids hierarchies for the --stats report.
//
// Parent choice: a relative parent ("plan-exec") goes under the caller's own cgroup in each
// hierarchy (from /proc/self/cgroup), so a container never escapes the limits its caller runs
// under and a caller given a subtree keeps to it. v1 has no "no internal processes" rule, so
// this works for every hierarchy. An absolute parent ("/plan-exec") starts at the mount point.
#include <algorithm>
#include <cctype>

#include "launcher/cgroup_backend.h"
#include "launcher/error.h"

namespace launcher {
namespace {

constexpr const char* kStep = "cgroups";

// Hierarchies joined only to report usage; a host without them just reports less.
const std::vector<std::string> kStatsControllers = {"memory", "cpuacct", "pids"};

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

class V1Cgroup : public CgroupBackend {
 public:
  using CgroupBackend::CgroupBackend;

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
      } else {
        // Older kernels: the cgroup is still under OOM, or it hit its limit since creation.
        bool under_oom = read_keyed_value(fs(), dir + "/memory.oom_control", "under_oom").value_or(0) != 0;
        bool hit_limit = read_number(fs(), dir + "/memory.failcnt").value_or(0) > failcnt_at_start_;
        report.oom_killed = under_oom || hit_limit;
      }
      report.memory_peak_bytes = read_number(fs(), dir + "/memory.max_usage_in_bytes");
    }
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

 private:
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
      throw StepError(kStep, "plan-exec's own cgroup in the v1 " + mount.label() + " hierarchy (\"" +
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
  for (const auto& controller : kStatsControllers)
    if (const CgroupMount* mount = env.layout.v1_for(controller)) dir_for(*mount);

  if (dirs.empty()) {
    missing_controller(env, cgroups.best_effort, "memory, cpu or pids", hierarchies(env.layout));
  }
  std::string name = env.layout.kind == CgroupLayoutKind::Hybrid ? "cgroup v1 (hybrid host)" : "cgroup v1";
  bool best_effort = cgroups.best_effort;
  return std::make_unique<V1Cgroup>(name, std::move(dirs), std::move(env), best_effort, !absolute);
}

}  // namespace launcher
