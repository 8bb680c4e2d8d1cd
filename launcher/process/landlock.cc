// SPDX-License-Identifier: Apache-2.0
// Landlock with the raw system calls (the launcher links no liblandlock): the kernel's ABI
// decides which of the plan's rights can be enforced, the ruleset is built from the container's
// own paths after pivot_root, and landlock_restrict_self binds it to this process and
// everything it executes. See landlock.h and docs/language.md, "landlock".
#include "launcher/process/landlock.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "plan/landlock.h"

namespace launcher {
namespace {

// The rights a rule on a file (not a directory) may hold: the kernel refuses the others (EINVAL).
constexpr std::uint64_t kFileRights = (1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14) | (1ULL << 15);

// "ioctl_dev (ABI 5), bind_tcp, connect_tcp (ABI 4)": the lost rights, newest first.
std::string lost_rights(const plan::Landlock& wanted, const plan::Landlock& kept) {
  std::string out;
  for (int abi = plan::kLandlockNewestRightsAbi; abi >= 1; --abi) {
    std::string names;
    for (const auto& right : plan::landlock_rights()) {
      if (right.abi != abi) continue;
      const std::uint64_t want = right.klass == plan::LandlockClass::Fs    ? wanted.handled_fs
                                 : right.klass == plan::LandlockClass::Net ? wanted.handled_net
                                                                           : wanted.scoped;
      const std::uint64_t keep = right.klass == plan::LandlockClass::Fs    ? kept.handled_fs
                                 : right.klass == plan::LandlockClass::Net ? kept.handled_net
                                                                           : kept.scoped;
      if ((want & right.bit) && !(keep & right.bit)) names += (names.empty() ? "" : ", ") + std::string(right.name);
    }
    if (!names.empty()) out += (out.empty() ? "" : ", ") + names + " (ABI " + std::to_string(abi) + ")";
  }
  return out;
}

std::uint64_t fs_rights_of_file(std::uint64_t access) { return access & kFileRights; }

// False when the path does not exist in the container: nothing beneath it can be reached, so
// its rule would grant nothing (the caller warns).
bool add_path_rule(Kernel& kernel, int ruleset, const plan::LandlockPath& rule) {
  const int fd = kernel.openat(AT_FDCWD, rule.path.c_str(), O_PATH | O_CLOEXEC, 0);
  if (fd < 0 && errno == ENOENT) return false;
  check(fd, "landlock", "open " + rule.path + " (O_PATH) in the container for its Landlock rule; the path must exist "
                        "in the container and be reachable by its user, or be removed from the landlock section");
  struct stat st {};
  std::uint64_t access = rule.access;
  if (kernel.fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && !S_ISDIR(st.st_mode)) access = fs_rights_of_file(access);
  if (access != 0) {
    LandlockPathBeneathAttr attr;
    attr.allowed_access = access;
    attr.parent_fd = fd;
    const int result = kernel.landlock_add_rule(ruleset, kLandlockRulePathBeneath, &attr, 0);
    const int err = errno;
    kernel.close(fd);
    errno = err;
    check(result, "landlock", "add the rule for " + rule.path + " (" +
                                  plan::landlock_right_names(plan::LandlockClass::Fs, access) + ")");
    return true;
  }
  kernel.close(fd);
  return true;
}

bool beneath(const std::string& path, const std::string& base) {
  return base == "/" || path == base || (path.size() > base.size() && path.starts_with(base) && path[base.size()] == '/');
}

}  // namespace

int landlock_abi(Kernel& kernel) {
  int abi = kernel.landlock_create_ruleset(nullptr, 0, kLandlockCreateRulesetVersion);
  if (abi < 0) abi = 0;  // ENOSYS: no Landlock in this kernel; EOPNOTSUPP: disabled at boot
  const int limit = test_landlock_abi_limit();
  return limit >= 0 && limit < abi ? limit : abi;
}

FittedLandlock fit_landlock(const plan::Landlock& landlock, int abi) {
  FittedLandlock fitted;
  fitted.abi = abi;
  plan::Landlock& r = fitted.ruleset;
  r.best_effort = landlock.best_effort;
  r.handled_fs = landlock.handled_fs & plan::landlock_rights_up_to(plan::LandlockClass::Fs, abi);
  r.handled_net = landlock.handled_net & plan::landlock_rights_up_to(plan::LandlockClass::Net, abi);
  r.scoped = landlock.scoped & plan::landlock_rights_up_to(plan::LandlockClass::Scope, abi);
  for (const auto& path : landlock.paths) {
    if (const std::uint64_t access = path.access & r.handled_fs) r.paths.push_back({path.path, access});
  }
  for (const auto& port : landlock.ports) {
    if (const std::uint64_t access = port.access & r.handled_net) r.ports.push_back({port.port, access});
  }
  fitted.not_enforced = lost_rights(landlock, r);
  return fitted;
}

std::string require_enforceable(const FittedLandlock& fitted, bool best_effort) {
  if (fitted.not_enforced.empty()) return "";
  const std::string kernel = fitted.abi == 0 ? "this kernel has no Landlock (or it is disabled)"
                                             : "this kernel's Landlock ABI is " + std::to_string(fitted.abi);
  // Landlock before ABI 2 always refuses renames and links across directories.
  const std::string refer = fitted.ruleset.handled_fs != 0 && fitted.abi == 1
                                ? "; refer is not handled, so every rename or link across directories is denied"
                                : "";
  if (!best_effort) {
    throw StepError("validate", "plan.landlock: " + kernel + ", which cannot enforce " + fitted.not_enforced +
                                    "; run on a newer kernel, or add `best_effort` to the landlock section to run "
                                    "without those restrictions");
  }
  return "warning: landlock: " + kernel + "; not enforced in this run (best_effort): " + fitted.not_enforced + refer;
}

std::vector<std::string> apply_landlock(Kernel& kernel, const FittedLandlock& fitted) {
  const plan::Landlock& r = fitted.ruleset;
  std::vector<std::string> missing;
  if (fitted.enforces_nothing()) return missing;
  LandlockRulesetAttr attr;
  attr.handled_access_fs = r.handled_fs;
  attr.handled_access_net = r.handled_net;
  attr.scoped = r.scoped;
  const int ruleset = kernel.landlock_create_ruleset(&attr, sizeof attr, 0);
  check(ruleset, "landlock", "create the Landlock ruleset (fs " + plan::landlock_right_names(plan::LandlockClass::Fs, r.handled_fs) + ")");
  try {
    for (const auto& path : r.paths) {
      if (!add_path_rule(kernel, ruleset, path)) missing.push_back(path.path);
    }
    for (const auto& port : r.ports) {
      LandlockNetPortAttr net;
      net.allowed_access = port.access;
      net.port = port.port;
      check(kernel.landlock_add_rule(ruleset, kLandlockRuleNetPort, &net, 0), "landlock",
            "add the rule for TCP port " + std::to_string(port.port));
    }
    check(kernel.landlock_restrict_self(ruleset, 0), "landlock", "restrict this process with the ruleset (landlock_restrict_self)");
  } catch (const StepError&) {
    kernel.close(ruleset);
    throw;
  }
  kernel.close(ruleset);
  return missing;
}

std::string describe_landlock(const FittedLandlock& fitted) {
  const plan::Landlock& r = fitted.ruleset;
  if (fitted.enforces_nothing()) return "nothing this kernel can enforce (not enforced: " + fitted.not_enforced + ")";
  std::vector<std::string> parts;
  if (r.handled_fs) parts.push_back("every filesystem right handled, granted beneath " + std::to_string(r.paths.size()) + " path(s)");
  if (r.handled_net) {
    parts.push_back(plan::landlock_right_names(plan::LandlockClass::Net, r.handled_net) + " handled, granted on " +
                    std::to_string(r.ports.size()) + " port(s)");
  }
  if (r.scoped) parts.push_back("scoped " + plan::landlock_right_names(plan::LandlockClass::Scope, r.scoped));
  if (!fitted.not_enforced.empty()) parts.push_back("not enforced: " + fitted.not_enforced);
  std::string text = "ABI " + std::to_string(fitted.abi) + ": ";
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? "; " : "") + parts[i];
  return text;
}

bool landlock_allows_exec(const plan::Landlock& ruleset, const std::string& program) {
  const std::uint64_t needed = (plan::kLandlockFsExecute | plan::kLandlockFsReadFile) & ruleset.handled_fs;
  std::uint64_t have = 0;
  for (const auto& rule : ruleset.paths) {
    if (beneath(program, rule.path)) have |= rule.access;
  }
  return (have & needed) == needed;
}

}  // namespace launcher
