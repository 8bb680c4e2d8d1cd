// SPDX-License-Identifier: Apache-2.0
#include "launcher/cgroup/cgroup_backend.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>

#include "launcher/host/error.h"

namespace launcher {
namespace {


// Why a cgroup operation failed, and what the user can do about it.
std::string advice_for(int err) {
  switch (err) {
    case ENOENT:
      return "the kernel has no such control file here (controller not enabled, or a feature that is off: "
             "memory.memsw.* needs swap accounting, boot with swapaccount=1)";
    case EACCES:
    case EPERM:
      return "not permitted: run plan-exec as root or delegate this cgroup subtree to the caller";
    case EBUSY:
      return "the cgroup is busy (cgroup v2 forbids enabling controllers in a cgroup that holds processes: "
             "choose another parent)";
    case EINVAL:
      return "the kernel refused the value";
    default:
      return std::strerror(err);
  }
}

bool valid_component(const std::string& part) {
  if (part.empty() || part == "." || part == ".." || part.size() > 200) return false;
  return std::all_of(part.begin(), part.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '@' || c == ':';
  });
}

// Files that would move or kill processes, or change the tree's shape, are the launcher's own
// business, never a limit from the plan.
bool forbidden_limit_file(const std::string& file) {
  static const std::set<std::string> kForbidden = {"cgroup.procs", "cgroup.threads", "tasks", "cgroup.kill",
                                                   "cgroup.subtree_control", "cgroup.type", "release_agent",
                                                   "notify_on_release", "cgroup.clone_children",
                                                   // the device cgroup is a defence, not a limit
                                                   "devices.allow", "devices.deny"};
  return kForbidden.count(file) > 0;
}

void validate_write(const plan::CgroupWrite& write) {
  bool file_ok = !write.file.empty() && write.file.find('/') == std::string::npos && write.file != "." &&
                 write.file != ".." && !forbidden_limit_file(write.file);
  if (!file_ok)
    throw StepError(kCgroupStep, "the plan's cgroup write to \"" + write.file +
                               "\" is not a limit file plan-exec may set: recompile the policy with policyc");
  if (write.value.find('\n') != std::string::npos)
    throw StepError(kCgroupStep, "the plan's value for cgroup file " + write.file +
                               " holds a newline: recompile the policy with policyc");
}

void validate_plan(const plan::Cgroups& cgroups, const std::string& name) {
  if (!valid_component(name))
    throw StepError(kCgroupStep, "container name \"" + name +
                               "\" cannot name a cgroup (use letters, digits, '-', '_', '.'): rename the container");
  const std::string parent = cgroups.parent.empty() ? "plan-exec" : cgroups.parent;
  for (const auto& part : split_parent(parent))
    if (!valid_component(part))
      throw StepError(kCgroupStep, "cgroup parent \"" + parent + "\" has an invalid component \"" + part +
                                 "\": use names of letters, digits, '-', '_', '.', separated by '/'");
  for (const auto& write : cgroups.v2) validate_write(write);
  for (const auto& controller : cgroups.v1)
    for (const auto& write : controller.writes) validate_write(write);
}

// Best effort with nothing to apply (no cgroup filesystem, every controller missing).
class NullCgroup : public ContainerCgroup {
 public:
  explicit NullCgroup(std::string why) : why_(std::move(why)) {}
  void create() override {}
  int clone_into_fd() const override { return -1; }
  void attach(pid_t) override {}
  CgroupReport finish() override { return {}; }
  std::vector<std::string> paths() const override { return {}; }
  std::string describe() const override { return "no cgroups (" + why_ + ")"; }

 private:
  std::string why_;
};

}  // namespace

// ---- helpers -------------------------------------------------------------------------------

std::vector<std::string> split_parent(const std::string& parent) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < parent.size()) {
    std::size_t end = parent.find('/', start);
    if (end == std::string::npos) end = parent.size();
    if (end > start) parts.push_back(parent.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool parent_is_absolute(const std::string& parent) { return !parent.empty() && parent[0] == '/'; }

std::string controller_of(const std::string& file) {
  auto dot = file.find('.');
  if (dot == std::string::npos) return "";
  std::string prefix = file.substr(0, dot);
  return prefix == "cgroup" ? "" : prefix;
}

void emit_warning(const CgroupEnv& env, const std::string& text) {
  if (env.warn)
    env.warn(text);
  else
    std::cerr << "plan-exec: warning: " << text << " (step: cgroups)\n";
}

void no_device_cgroup(const std::string& where) {
  throw StepError(kCgroupStep, "a root run confines device access in a cgroup, but this host has no device controller (" +
                             where + "): mount the v1 devices hierarchy or cgroup2, or run plan-exec rootless");
}

std::vector<plan::CgroupWrite> device_cgroup_writes(const std::vector<DeviceRule>& rules) {
  std::vector<plan::CgroupWrite> writes = {{"devices.deny", "a"}};
  for (const auto& rule : rules) writes.push_back({"devices.allow", v1_line(rule)});
  return writes;
}

void missing_controller(const CgroupEnv& env, bool best_effort, const std::string& controller,
                        const std::string& where) {
  if (best_effort) {
    emit_warning(env, "no " + controller + " controller (" + where + "): its limits are not applied (best effort)");
    return;
  }
  throw StepError(kCgroupStep, "the plan sets " + controller + " limits, but this host has no " + controller +
                             " controller (" + where +
                             "): enable or mount it, or mark the limits best_effort to run without them");
}

// ---- CgroupDir -----------------------------------------------------------------------------

std::string CgroupDir::parent_dir() const {
  std::string path = base;
  for (const auto& part : parent) path += "/" + part;
  return path;
}

std::string CgroupDir::path() const { return parent_dir() + "/" + leaf; }

bool CgroupDir::has_controller(const std::string& controller) const {
  std::size_t start = 0;
  while (start <= label.size()) {
    std::size_t end = label.find(',', start);
    if (end == std::string::npos) end = label.size();
    if (label.compare(start, end - start, controller) == 0 && end - start == controller.size()) return true;
    start = end + 1;
  }
  return false;
}

// ---- CgroupBackend -------------------------------------------------------------------------

CgroupBackend::CgroupBackend(std::string backend_name, std::vector<CgroupDir> dirs, CgroupEnv env,
                             bool best_effort, bool parent_is_ours)
    : backend_name_(std::move(backend_name)),
      dirs_(std::move(dirs)),
      env_(std::move(env)),
      best_effort_(best_effort),
      parent_is_ours_(parent_is_ours) {}

CgroupBackend::~CgroupBackend() {
  // A container child that unwinds (it is a copy of plan-exec) must not destroy its own cgroup.
  if (!created_ || finished_ || ::getpid() != owner_) return;
  // Exception path in the launcher: never leave the directories behind.
  std::string problem = teardown();
  if (problem.empty())
    reaper_.dismiss();
  else
    reaper_.release();
}

void CgroupBackend::warn(const std::string& text) const { emit_warning(env_, text); }

void CgroupBackend::cannot_apply(const std::string& what, int err, bool enforced) {
  if (enforced)
    throw StepError(kCgroupStep, what + ": " + advice_for(err) +
                               " (this is the device cgroup, which confines device access: it has no best effort)");
  if (best_effort_) {
    warn("could not " + what + ": " + advice_for(err) + " (best effort: continuing without it)");
    return;
  }
  throw StepError(kCgroupStep, what + ": " + advice_for(err) + "; mark the limits best_effort to run without it");
}

const CgroupDir* CgroupBackend::dir_with(const std::string& controller) const {
  for (const auto& dir : dirs_)
    if (dir.active && dir.has_controller(controller)) return &dir;
  return nullptr;
}

std::vector<std::string> CgroupBackend::leaves() const {
  std::vector<std::string> result;
  for (const auto& dir : dirs_) result.push_back(dir.path());
  return result;
}

// Deepest first. Parents named relative to the caller's cgroup belong to plan-exec and go when
// empty; an absolute parent is the user's, so only what this run made is removed.
std::vector<std::string> CgroupBackend::removable_parents(bool include_created) const {
  std::vector<std::string> result;
  if (parent_is_ours_) {
    for (const auto& dir : dirs_) {
      std::string path = dir.parent_dir();
      for (std::size_t i = 0; i < dir.parent.size(); ++i) {
        result.push_back(path);
        path = path.substr(0, path.rfind('/'));
      }
    }
  }
  if (include_created) result.insert(result.end(), created_parents_.rbegin(), created_parents_.rend());
  return result;
}

void CgroupBackend::create_dir(CgroupDir& dir) {
  if (!fs().exists(dir.base))
    throw StepError(kCgroupStep, "cgroup directory " + dir.base + " (" + dir.label +
                               ") does not exist: the cgroup layout changed since plan-exec read it");
  on_dir_ready(dir, dir.base, false);
  int err = 0;
  // The parent is shared: a concurrent instance's teardown may remove it (empty) between our
  // mkdirs; the leaf's ENOENT then means "make the parent again".
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string path = dir.base;
    for (const auto& part : dir.parent) {
      path += "/" + part;
      int parent_err = fs().make_dir(path);
      if (parent_err == 0) created_parents_.push_back(path);
      if (parent_err != 0 && parent_err != EEXIST) {
        cannot_apply("make the cgroup parent " + path, parent_err, dir.enforced);
        dir.active = false;
        return;
      }
      on_dir_ready(dir, path, false);
    }
    err = fs().make_dir(dir.path());
    if (err != ENOENT || dir.parent.empty()) break;
  }
  const std::string path = dir.path();
  if (err == EEXIST)
    throw StepError(kCgroupStep, "cgroup " + path +
                               " already exists: a leftover of an earlier run with the same pid; remove it with "
                               "`plan-exec --cleanup`");
  if (err != 0) {
    cannot_apply("make the cgroup " + path, err, dir.enforced);
    dir.active = false;
    return;
  }
  created_leaves_.push_back(path);
  on_dir_ready(dir, path, true);
}

void CgroupBackend::apply_writes(const CgroupDir& dir) {
  // Consecutive writes to one file share a descriptor (the device cgroup's allow lines).
  for (std::size_t i = 0; i < dir.writes.size();) {
    const auto& write = dir.writes[i];
    if (skip_write(write)) {
      ++i;
      continue;
    }
    std::vector<std::string> values;
    for (; i < dir.writes.size() && dir.writes[i].file == write.file; ++i) values.push_back(dir.writes[i].value);
    const std::string path = dir.path() + "/" + write.file;
    while (!values.empty()) {
      std::size_t failed = 0;
      const int err = values.size() == 1 ? fs().write_file(path, values[0]) : fs().write_values(path, values, &failed);
      if (err == 0) break;
      failed = std::min(failed, values.size() - 1);
      cannot_apply("set " + write.file + " to " + values[failed] + " in " + dir.path(), err, dir.enforced);
      values.erase(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(failed) + 1);  // best effort: the rest
    }
  }
}

void CgroupBackend::create() {
  if (created_) throw StepError(kCgroupStep, "cgroups created twice for one container (launcher bug)");
  // The watcher first: if plan-exec dies half-way through, it removes what was made.
  if (env_.spawn_reaper) reaper_.start(leaves(), removable_parents(false));
  owner_ = ::getpid();
  created_ = true;
  try {
    for (auto& dir : dirs_) {
      create_dir(dir);
      if (dir.active) apply_writes(dir);
    }
    after_create();
  } catch (...) {
    finished_ = true;
    if (teardown().empty())
      reaper_.dismiss();
    else
      reaper_.release();
    throw;
  }
}

void CgroupBackend::attach(pid_t child) {
  for (const auto& dir : dirs_) {
    if (!dir.active) continue;
    int err = fs().write_file(dir.path() + "/cgroup.procs", std::to_string(child));
    if (err != 0) cannot_apply("move pid " + std::to_string(child) + " into " + dir.path(), err, dir.enforced);
  }
}

std::string CgroupBackend::teardown() {
  before_teardown();
  std::string problem;
  for (const auto& leaf : created_leaves_) {
    std::string p = kill_and_remove_cgroup(fs(), leaf);
    if (problem.empty()) problem = p;
  }
  created_leaves_.clear();
  std::vector<std::string> removed;  // a parent can be both computed and created: rmdir it once
  for (const auto& parent : removable_parents(true)) {
    if (std::find(removed.begin(), removed.end(), parent) != removed.end()) continue;
    fs().remove_dir(parent);  // busy: still shared
    removed.push_back(parent);
  }
  return problem;
}

std::string CgroupBackend::kill_all() {
  std::string problem;
  for (const auto& leaf : created_leaves_) {
    std::string p = kill_cgroup_tree(fs(), leaf);
    if (problem.empty()) problem = p;
  }
  return problem;
}

CgroupReport CgroupBackend::finish() {
  if (finished_ || (created_ && ::getpid() != owner_)) return report_;
  finished_ = true;
  if (!created_) return report_;
  report_ = read_report();
  std::string problem = teardown();
  if (problem.empty()) {
    reaper_.dismiss();
  } else {
    warn(problem + "; the cleanup watcher retries");
    reaper_.release();
  }
  return report_;
}

std::vector<std::string> CgroupBackend::paths() const {
  std::vector<std::string> result;
  for (const auto& dir : dirs_)
    if (dir.active) result.push_back(dir.path());
  return result;
}

std::string CgroupBackend::describe() const {
  std::string text = backend_name_ + ":";
  for (const auto& dir : dirs_)
    if (dir.active) text += " " + dir.label + "=" + dir.path();
  if (env_.devices) text += "; device cgroup: " + describe_device_rules(*env_.devices);
  return text;
}

// ---- factory -------------------------------------------------------------------------------

std::unique_ptr<ContainerCgroup> make_cgroup_backend(const plan::Cgroups& cgroups, const std::string& name,
                                                     pid_t instance, CgroupEnv env) {
  validate_plan(cgroups, name);
  const std::string leaf = name + "-" + std::to_string(instance);
  switch (env.layout.kind) {
    case CgroupLayoutKind::Unified:
      return make_v2_backend(cgroups, leaf, std::move(env));
    case CgroupLayoutKind::Hybrid:
    case CgroupLayoutKind::Legacy:
      return make_v1_backend(cgroups, leaf, std::move(env));
    case CgroupLayoutKind::None:
      break;
  }
  if (env.devices) no_device_cgroup("no cgroup filesystem in /proc/self/mountinfo");
  if (!cgroups.best_effort)
    throw StepError(kCgroupStep, "the plan sets limits, but no cgroup filesystem is mounted (none in /proc/self/mountinfo): "
                           "mount cgroup2 at /sys/fs/cgroup, or mark the limits best_effort");
  emit_warning(env, "no cgroup filesystem is mounted: no limits are applied (best effort)");
  return std::make_unique<NullCgroup>("no cgroup filesystem; best effort");
}

}  // namespace launcher
