// SPDX-License-Identifier: Apache-2.0
// Everything checked before plan-exec changes anything: the plan's internal consistency, the
// caller (no setuid, rootless limits), the host (namespaces, seccomp), the rootfs and the command.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "launcher/host/error.h"
#include "plan/plan.h"

namespace launcher {

// The command cannot be run: exit 127 (not found) or 126 (not executable), like docker/chroot.
class CommandError : public StepError {
 public:
  CommandError(std::string what, int exit_code, int err)
      : StepError("command", std::move(what), err), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Refuses a setuid/setgid plan-exec (real and effective ids differ). Throws StepError("validate").
void refuse_setuid(uid_t ruid, uid_t euid, gid_t rgid, gid_t egid);

// The plan's namespaces plus the user namespace a rootless run needs.
std::vector<plan::Namespace> effective_namespaces(const plan::Plan& plan, bool rootless);
unsigned long long clone_flags(const std::vector<plan::Namespace>& namespaces);

// The plan's rules (plan/rules.h, again after the command line changed the plan), then what depends
// on this host and caller: rootfs and bind sources exist, capabilities this kernel knows, rootless
// limits, a command. Throws StepError("validate") naming the plan key.
void validate_plan(const plan::Plan& plan, bool rootless);
void check_host_supports(const std::vector<plan::Namespace>& namespaces, bool needs_seccomp, bool rootless);

// "PATH" from the plan's env, or the usual default.
std::string search_path(const std::vector<std::string>& env);
// Finds argv0 in the container tree at `root_dir` ("/" = host root): absolute paths as they
// are, others along `path`. Bind mounts of the plan are looked through. Returns the absolute
// path inside the container; throws CommandError (127 / 126).
std::string resolve_command(const std::string& root_dir, const std::string& argv0, const std::string& path,
                            const std::vector<plan::Mount>& mounts);

// With a Landlock ruleset that handles execute or read_file: the program and every interpreter
// execve opens for it (exec_chain) must lie beneath rules granting both, or the exec would fail
// after the container is set up. Throws CommandError (126) naming the file and the rule to add.
void check_landlock_exec(const plan::Landlock& ruleset, const std::string& root_dir, const std::string& program);

}  // namespace launcher
