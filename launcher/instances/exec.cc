// SPDX-License-Identifier: Apache-2.0
// `plan-exec exec`: see exec.h for the three processes and what each does.
#include "launcher/instances/exec.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "launcher/host/kernel.h"
#include "launcher/host/signals.h"
#include "launcher/instances/exec_target.h"
#include "launcher/process/process_steps.h"
#include "launcher/process/spawn.h"
#include "launcher/process/terminal.h"
#include "plan/plan_json.h"

namespace launcher {

namespace {

// argv/envp for execve and the paths to try, built before seccomp so nothing allocates after it.
struct ExecLine {
  std::vector<std::string> words, env, candidates;
  std::vector<char*> argv, envp;
  ExecLine(const std::vector<std::string>& command, const std::vector<std::string>& plan_env)
      : words(command), env(plan_env), candidates(exec_candidates(command.front(), plan_env)) {
    for (auto& a : words) argv.push_back(a.data());
    for (auto& e : env) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);
  }
};

// Like execvp: the first candidate that runs; otherwise EACCES if any was refused, else the last error.
[[noreturn]] void exec_first(ExecLine& line, int error_fd) {
  int err = ENOENT;
  bool refused = false;
  for (const auto& path : line.candidates) {
    ::execve(path.c_str(), line.argv.data(), line.envp.data());
    err = errno;
    if (err == EACCES) refused = true;
    if (err != ENOENT && err != ENOTDIR && err != EACCES) break;
  }
  if (refused && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  send_child_error_raw(error_fd, err, "exec", "execute", line.words.front().c_str());
  _exit(err == ENOENT || err == ENOTDIR || err == ELOOP ? 127 : 126);
}

// The command process: in the container's pid (and time) namespace since it was forked after
// setns. The same steps, in the same order, as the first command's (sequence.cc).
[[noreturn]] void command_process(const ExecTarget& t, const std::optional<ContainerTerminal>& terminal, ExecLine& line,
                                  int error_fd) {
  Kernel& kernel = real_kernel();
  const plan::Plan& p = t.plan;
  try {
    if (t.root_fd >= 0) {
      check(kernel.fchdir(t.root_fd), "exec", "enter the container's root directory");
      check(kernel.chroot("."), "exec", "make the container's root directory the root (chroot)");
    }
    switch_credentials(kernel, p.user, t.setgroups_allowed);
    drop_capabilities(kernel, p.capabilities);
    check(kernel.setsid(), "setsid", "start a new session (setsid)");
    if (terminal) terminal->attach_in_child();
    close_inherited_fds(kernel, error_fd);
    check(kernel.chdir(p.cwd.c_str()), "cwd", "chdir to " + p.cwd);
    if (p.no_new_privs) set_no_new_privs(kernel);
    fault_pause("exec-before-filter");
    if (p.seccomp) load_seccomp_filter(kernel, p.seccomp->bpf);
  } catch (const StepError& e) {
    send_child_error(error_fd, e);
    _exit(125);
  } catch (const std::exception& e) {
    send_child_error(error_fd, StepError("exec", e.what()));
    _exit(125);
  }
  exec_first(line, error_fd);
}

// The helper: rlimits, the namespaces, then the command process; tells plan-exec its pid.
[[noreturn]] void helper_process(const ExecTarget& t, const std::optional<ContainerTerminal>& terminal, ExecLine& line,
                                 Pipe& sync, Pipe& errors, Pipe& pids, const sigset_t& mask) {
  ::close(errors.read_fd);
  ::close(pids.read_fd);
  if (sync.write_fd >= 0) ::close(sync.write_fd);
  restore_signal_mask(mask);
  try {
    if (sync.read_fd >= 0 && !wait_for_release(sync.read_fd)) _exit(125);
    apply_rlimits(real_kernel(), t.plan.rlimits);
    // Non-dumpable until execve resets it: from setns on, this process and the command process
    // it forks are visible inside the container while they still hold plan-exec's memory, its
    // host binary (/proc/PID/exe) and descriptors; no container process may ptrace them or open
    // their /proc files (runc CVE-2016-9962). Changing uid would reset the flag only for plans
    // whose user differs from the caller's.
    if (!defence_disabled("exec-nondumpable")) {
      check(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "exec", "make the exec helper non-dumpable");
    }
    if (t.join_flags != 0 && ::setns(t.pidfd, static_cast<int>(t.join_flags)) != 0) {
      throw StepError("namespaces", "join the namespaces of " + t.record.name + " (setns through a pidfd)", errno);
    }
    const pid_t command = ::fork();
    if (command < 0) throw StepError("namespaces", "fork the command process inside " + t.record.name, errno);
    if (command == 0) {
      ::close(pids.write_fd);
      command_process(t, terminal, line, errors.write_fd);
    }
    while (::write(pids.write_fd, &command, sizeof command) < 0 && errno == EINTR) {
    }
  } catch (const StepError& e) {
    send_child_error(errors.write_fd, e);
    _exit(125);
  }
  _exit(0);
}

int exit_code_of(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

void print_failure(const StepError& failure) { std::fprintf(stderr, "plan-exec: exec: %s\n", failure.describe().c_str()); }

int code_for_failure(const StepError& failure) {
  if (failure.step() != "exec") return 125;
  const int err = failure.error_number();
  return err == ENOENT || err == ENOTDIR || err == ELOOP ? 127 : 126;
}

// v1 hierarchies: the helper joins before it is released (v2: clone placed it).
void join_v1_cgroups(const ExecTarget& t, pid_t helper) {
  const std::string pid = std::to_string(helper);
  for (const auto& dir : t.v1_cgroups) {
    const std::string file = dir + "/cgroup.procs";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
    const int err = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) throw StepError("cgroups", "move the exec helper " + pid + " into " + file, err);
  }
}

int run(const ExecTarget& t, const ExecRequest& request) {
  std::optional<ContainerTerminal> terminal;
  if (request.terminal) terminal = ContainerTerminal::prepare(t.plan.mounts, false);
  ExecLine line(request.command, t.plan.env);
  // The command process is re-parented to us when the helper exits.
  check(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "exec", "become a child subreaper");
  Pipe errors = make_pipe("error"), pids = make_pipe("pid");
  Pipe sync;
  if (!t.v1_cgroups.empty()) sync = make_pipe("sync");
  if (terminal) terminal->open_channel();
  const sigset_t previous = block_forwarded_signals();
  const pid_t helper = clone_child(0, t.cgroup2_fd);
  if (helper == 0) helper_process(t, terminal, line, sync, errors, pids, previous);
  ::close(std::exchange(errors.write_fd, -1));
  ::close(std::exchange(pids.write_fd, -1));
  if (sync.read_fd >= 0) ::close(std::exchange(sync.read_fd, -1));
  if (terminal) terminal->close_child_side();
  ::signal(SIGPIPE, SIG_IGN);
  try {
    join_v1_cgroups(t, helper);
    if (sync.write_fd >= 0) release_child(std::exchange(sync.write_fd, -1));
  } catch (...) {
    ::kill(helper, SIGKILL);
    reap(helper);
    throw;
  }
  const int helper_status = reap(helper);
  pid_t command = -1;
  if (::read(pids.read_fd, &command, sizeof command) != static_cast<ssize_t>(sizeof command)) command = -1;
  ::close(pids.read_fd);
  if (command <= 0) {
    const auto failure = receive_child_error(errors.read_fd);
    if (failure) throw *failure;
    throw StepError("exec", "the exec helper ended with status " + std::to_string(exit_code_of(helper_status)) +
                                " before it started the command");
  }
  forward_terminal_signals(true);  // the command has a session of its own, like the first command
  forward_signals_to(command, previous);
  if (terminal) terminal->relay_until_exit(command);
  const auto failure = receive_child_error(errors.read_fd);
  ::close(errors.read_fd);
  const int status = reap(command);
  if (failure) {
    print_failure(*failure);
    return code_for_failure(*failure);
  }
  return exit_code_of(status);
}

}  // namespace

int exec_in_instance(const ExecRequest& request) {
  try {
    const ExecTarget target = resolve_exec_target(request.target);
    return run(target, request);
  } catch (const StepError& e) {
    print_failure(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plan-exec: exec: %s\n", e.what());
  }
  return 125;
}

}  // namespace launcher
