// SPDX-License-Identifier: Apache-2.0
// What the v1 and v2 backends share: the directories to make (one per hierarchy), the order of
// create/attach/finish, best-effort handling, rollback and the cleanup watcher. Each backend
// (cgroup_v1.cc, cgroup_v2.cc) adds only what its hierarchy needs: v2 enables controllers in
// cgroup.subtree_control and hands out a CLONE_INTO_CGROUP fd; v1 fills an empty cpuset and
// compares memory counters with their values at creation. Internal to the launcher; tests use
// make_cgroup_backend() with a fake CgroupFs and a layout parsed from sample texts.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "launcher/cgroup/cgroup.h"
#include "launcher/cgroup/cgroup_fs.h"
#include "launcher/cgroup/cgroup_layout.h"
#include "launcher/cgroup/cgroup_reaper.h"
#include "launcher/cgroup/device_rules.h"

namespace launcher {

// The setup step every cgroup error names.
inline constexpr const char* kCgroupStep = "cgroups";

struct CgroupEnv {
  CgroupLayout layout;
  std::shared_ptr<CgroupFs> fs = std::make_shared<CgroupFs>();
  bool spawn_reaper = true;  // unit tests on a fake tree turn the watcher off
  // false (a run without --stats): no hierarchy is joined only to measure usage (v1 cpuacct,
  // pids without a pids limit), and finish() reads only what the OOM check needs.
  bool usage_report = true;
  // false: the plan has no limits; only the device cgroup is made (no hierarchy for usage or
  // OOM counters, nothing read at finish()).
  bool limits = true;
  // The device cgroup of a root run (device_rules.h): v1 writes devices.deny/devices.allow in
  // the devices hierarchy, v2 attaches a BPF_CGROUP_DEVICE program. Never best effort.
  std::optional<std::vector<DeviceRule>> devices;
  // Best-effort warnings; default: "plan-exec: warning: ..." on stderr.
  std::function<void(const std::string&)> warn;
};

// The container's directory in one hierarchy: <base>/<parent...>/<leaf>.
struct CgroupDir {
  std::string label;                    // "memory", "cpu,cpuacct", "cgroup2"
  std::string mount_point;              // the hierarchy's mount point
  std::string base;                     // existing directory the parent path starts from
  std::vector<std::string> parent;      // parent path components below `base`
  std::string leaf;                     // "<name>-<instance pid>"
  std::vector<plan::CgroupWrite> writes;  // in plan order
  bool active = true;                   // false: skipped (best effort) after a failure
  bool enforced = false;                // holds the device cgroup: every failure is an error

  std::string parent_dir() const;
  std::string path() const;
  bool has_controller(const std::string& controller) const;  // by label
};

class CgroupBackend : public ContainerCgroup {
 public:
  CgroupBackend(std::string backend_name, std::vector<CgroupDir> dirs, CgroupEnv env, bool best_effort,
                bool parent_is_ours);
  ~CgroupBackend() override;  // created but not finished: kill and remove (exception paths)

  void create() final;
  int clone_into_fd() const override { return -1; }
  void attach(pid_t child) override;
  CgroupReport finish() final;
  std::string kill_all() final;
  std::vector<std::string> paths() const override;
  std::string describe() const override;

 protected:
  // Called for each directory on the path, top-down, once it exists; `is_leaf` for the last.
  virtual void on_dir_ready(const CgroupDir& dir, const std::string& path, bool is_leaf) {}
  virtual void after_create() {}
  virtual CgroupReport read_report() const = 0;
  virtual void before_teardown() {}
  // A write the backend already knows it cannot make (v2: its controller could not be enabled).
  virtual bool skip_write(const plan::CgroupWrite& write) const { return false; }

  // A limit that cannot be applied: a warning when best effort, else StepError. `enforced`
  // (the device cgroup, a defence and not a limit): always StepError.
  void cannot_apply(const std::string& what, int err, bool enforced = false);
  void warn(const std::string& text) const;
  CgroupFs& fs() const { return *env_.fs; }
  const std::vector<CgroupDir>& dirs() const { return dirs_; }
  const CgroupDir* dir_with(const std::string& controller) const;
  bool best_effort() const { return best_effort_; }
  bool usage_report() const { return env_.usage_report; }
  bool limits() const { return env_.limits; }
  const std::optional<std::vector<DeviceRule>>& device_rules() const { return env_.devices; }

 private:
  void create_dir(CgroupDir& dir);
  void apply_writes(const CgroupDir& dir);
  std::vector<std::string> leaves() const;
  std::vector<std::string> removable_parents(bool include_created) const;
  std::string teardown();

  std::string backend_name_;
  std::vector<CgroupDir> dirs_;
  CgroupEnv env_;
  bool best_effort_;
  bool parent_is_ours_;  // a relative (plan-exec owned) parent is removed when empty
  std::vector<std::string> created_parents_;
  std::vector<std::string> created_leaves_;
  pid_t owner_ = -1;  // the process that ran create(): a cloned child never tears down
  bool created_ = false;
  bool finished_ = false;
  CgroupReport report_;
  CgroupReaper reaper_;
};

// Chooses the backend for env.layout (v2 on a unified host, v1 on hybrid and legacy hosts),
// checks the plan's controllers exist there (and, with env.devices, that devices can be
// confined), and computes every directory; no writes. Without limits (env.limits false)
// `cgroups` is empty and gives only the default parent.
std::unique_ptr<ContainerCgroup> make_cgroup_backend(const plan::Cgroups& cgroups, const std::string& name,
                                                     pid_t instance, CgroupEnv env);

// Per backend (cgroup_v1.cc, cgroup_v2.cc). `parent`: the plan's parent, validated.
std::unique_ptr<ContainerCgroup> make_v1_backend(const plan::Cgroups& cgroups, const std::string& leaf, CgroupEnv env);
std::unique_ptr<ContainerCgroup> make_v2_backend(const plan::Cgroups& cgroups, const std::string& leaf, CgroupEnv env);

// Shared helpers for the factories.
std::vector<std::string> split_parent(const std::string& parent);  // "a/b" -> {"a","b"}
bool parent_is_absolute(const std::string& parent);
// The controller a file belongs to: "memory.max" -> "memory", "cgroup.procs" -> "".
std::string controller_of(const std::string& file);
// StepError: env.devices is set but this host offers no way to confine devices.
[[noreturn]] void no_device_cgroup(const std::string& where);
// v1: devices.deny "a", then one devices.allow line per rule (the kernel takes one per write).
std::vector<plan::CgroupWrite> device_cgroup_writes(const std::vector<DeviceRule>& rules);
// StepError or warning for a controller the host lacks.
void missing_controller(const CgroupEnv& env, bool best_effort, const std::string& controller,
                        const std::string& where);
void emit_warning(const CgroupEnv& env, const std::string& text);

// `plan-exec --cleanup` over a given layout and filesystem: in each hierarchy's default parent
// ("plan-exec" where a relative parent resolves for this caller, and at the mount point), every
// "<name>-<pid>" directory whose instance is not alive is killed and removed. Returns them.
using InstanceAlive = std::function<bool(pid_t pid, const std::string& dir)>;
std::vector<std::string> cleanup_cgroup_leftovers_in(const CgroupLayout& layout, CgroupFs& fs,
                                                     const InstanceAlive& alive);
// The real test: the pid runs and started before the directory was made (not a reused pid).
bool instance_alive(pid_t pid, const std::string& dir);

}  // namespace launcher
