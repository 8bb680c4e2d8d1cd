// SPDX-License-Identifier: Apache-2.0
// cgroup v2 backend (unified hosts): one directory, controllers enabled top-down in each
// ancestor's cgroup.subtree_control, a directory fd for clone3(CLONE_INTO_CGROUP), and for
// root runs (limits or not) a BPF_CGROUP_DEVICE program attached to it (device_bpf.h) before
// the container process is cloned into it.
//
// Parent choice: v2 forbids enabling controllers in a non-root cgroup that holds processes, and
// the caller's own cgroup holds plan-exec. So a relative parent ("plan-exec") goes next to the
// caller: under the PARENT of the caller's cgroup (the slice or delegated subtree it was placed
// in; e.g. /user.slice/user-0.slice/plan-exec for a shell in session-1.scope), or under the root
// when the caller sits at the root (containers with a cgroup namespace). An absolute parent
// ("/plan-exec") starts at the mount point.
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "launcher/cgroup/cgroup_backend.h"
#include "launcher/cgroup/device_bpf.h"
#include "launcher/host/error.h"

namespace launcher {
namespace {


std::set<std::string> words(const std::optional<std::string>& text) {
  std::set<std::string> result;
  if (!text) return result;
  std::istringstream in(*text);
  for (std::string w; in >> w;) result.insert(w);
  return result;
}

class V2Cgroup : public CgroupBackend {
 public:
  V2Cgroup(std::string name, std::vector<CgroupDir> dirs, CgroupEnv env, bool best_effort, bool parent_is_ours,
           std::vector<std::string> controllers)
      : CgroupBackend(std::move(name), std::move(dirs), std::move(env), best_effort, parent_is_ours),
        controllers_(std::move(controllers)) {}
  ~V2Cgroup() override { close_fd(); }

  int clone_into_fd() const override { return fd_; }
  bool clone_into_cgroup() const override { return true; }

 protected:
  void on_dir_ready(const CgroupDir& dir, const std::string& path, bool is_leaf) override {
    if (is_leaf) {
      if (device_rules()) attach_device_program(path);
      return;
    }
    if (path == dir.base) {
      // The base's ancestors must pass the controllers down too (usually they already do).
      std::vector<std::string> ancestors;
      for (std::string p = path; p.size() > dir.mount_point.size(); p = p.substr(0, p.rfind('/')))
        ancestors.push_back(p.substr(0, p.rfind('/')));
      for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it) enable_controllers(*it);
    }
    enable_controllers(path);
  }

  void after_create() override {
    const CgroupDir* dir = dirs().empty() || !dirs().front().active ? nullptr : &dirs().front();
    if (!dir) return;  // best effort dropped it: there is no cgroup to clone into
    // The launch shape already counts on CLONE_INTO_CGROUP: no fd is an error, not a fallback.
    fd_ = fs().open_dir(dir->path());
    const int err = errno;
    if (fd_ < 0) throw StepError(kCgroupStep, "open the cgroup " + dir->path() + " for clone3(CLONE_INTO_CGROUP)", err);
  }

  bool skip_write(const plan::CgroupWrite& write) const override {
    return failed_.count(controller_of(write.file)) > 0;
  }

  void before_teardown() override { close_fd(); }

  CgroupReport read_report() const override {
    CgroupReport report;
    if (!limits() || dirs().empty() || !dirs().front().active) return report;
    std::string dir = dirs().front().path();
    // memory.events counts this cgroup and its descendants (unless memory_localevents).
    report.oom_kills = read_keyed_value(fs(), dir + "/memory.events", "oom_kill");
    report.oom_killed = report.oom_kills.value_or(0) > 0;
    if (!usage_report()) return report;  // nobody prints it: spare the reads
    report.memory_peak_bytes = read_number(fs(), dir + "/memory.peak");  // Linux >= 5.19
    report.cpu_usage_us = read_keyed_value(fs(), dir + "/cpu.stat", "usage_usec");
    report.nr_throttled = read_keyed_value(fs(), dir + "/cpu.stat", "nr_throttled");
    report.throttled_us = read_keyed_value(fs(), dir + "/cpu.stat", "throttled_usec");
    report.pids_peak = read_number(fs(), dir + "/pids.peak");
    return report;
  }

 private:
  void attach_device_program(const std::string& path) {
    std::string problem;
    const int err = fs().attach_device_program(path, device_program(*device_rules()), problem);
    if (err != 0)
      throw StepError(kCgroupStep, problem + " for the cgroup " + path + " (the device cgroup, which confines device "
                                       "access: it has no best effort; it needs root and a kernel with "
                                       "CONFIG_CGROUP_BPF)", err);
  }

  void enable_controllers(const std::string& path) {
    if (controllers_.empty()) return;  // the device cgroup alone needs none
    auto enabled = words(fs().read_file(path + "/cgroup.subtree_control"));
    for (const auto& controller : controllers_) {
      if (enabled.count(controller) || failed_.count(controller)) continue;
      int err = fs().write_file(path + "/cgroup.subtree_control", "+" + controller);
      if (err == 0) continue;
      failed_.insert(controller);
      cannot_apply("enable the " + controller + " controller in " + path + "/cgroup.subtree_control", err);
    }
  }

  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::vector<std::string> controllers_;  // those the plan's writes need, in first-use order
  std::set<std::string> failed_;          // best effort: could not be enabled, writes skipped
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<ContainerCgroup> make_v2_backend(const plan::Cgroups& cgroups, const std::string& leaf,
                                                 CgroupEnv env) {
  const CgroupMount& mount = *env.layout.unified;
  const std::string parent = cgroups.parent.empty() ? "plan-exec" : cgroups.parent;
  const bool absolute = parent_is_absolute(parent);

  std::string base = mount.mount_point;
  if (!absolute) {
    auto caller = mount.caller_dir();
    if (!caller)
      throw StepError(kCgroupStep, "plan-exec's own cgroup (\"" + mount.caller_path + "\") is not visible under the cgroup2 mount " +
                                 mount.mount_point + ": give the limits an absolute parent, e.g. parent \"/plan-exec\"");
    if (*caller != mount.mount_point) base = caller->substr(0, caller->rfind('/'));
  }

  auto available = words(env.fs->read_file(mount.mount_point + "/cgroup.controllers"));
  std::string offered;
  for (const auto& c : available) offered += (offered.empty() ? "" : " ") + c;
  std::vector<std::string> controllers;
  std::set<std::string> missing;
  CgroupDir dir;
  dir.label = "cgroup2";
  dir.mount_point = mount.mount_point;
  dir.base = base;
  dir.parent = split_parent(parent);
  dir.leaf = leaf;
  dir.enforced = env.devices.has_value();
  for (const auto& write : cgroups.v2) {
    std::string controller = controller_of(write.file);
    if (!controller.empty() && !available.count(controller)) {
      if (missing.insert(controller).second)
        missing_controller(env, cgroups.best_effort, controller,
                           "cgroup2 at " + mount.mount_point + " offers: " + (offered.empty() ? "none" : offered));
      continue;
    }
    if (!controller.empty() && std::find(controllers.begin(), controllers.end(), controller) == controllers.end())
      controllers.push_back(controller);
    dir.writes.push_back(write);
  }
  std::vector<CgroupDir> dirs{std::move(dir)};
  bool best_effort = cgroups.best_effort;
  return std::make_unique<V2Cgroup>("cgroup v2", std::move(dirs), std::move(env),
                                    best_effort, !absolute, std::move(controllers));
}

}  // namespace launcher
