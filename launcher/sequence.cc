// SPDX-License-Identifier: Apache-2.0
// THE order of plan-exec, and the only place that knows it. Everything is validated and
// resolved first (prepare_launch: no side effects), then parent steps, then the child's steps,
// each a call into its own file with only its slice of the plan. --dry-run walks the very same
// code and prints each step instead of doing it.
#include "launcher/sequence.h"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "launcher/caller.h"
#include "launcher/cgroup/cgroup.h"
#include "launcher/dry_run.h"
#include "launcher/launch_shape.h"
#include "launcher/stopping.h"
#include "launcher/supervision.h"
#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "launcher/process/exec_diagnosis.h"
#include "launcher/process/init.h"
#include "launcher/process/landlock.h"
#include "launcher/network/network.h"
#include "launcher/network/network_dns.h"
#include "launcher/rootfs/rootfs_cache.h"
#include "launcher/rootfs/rootfs_steps.h"
#include "launcher/host/safe_path.h"
#include "launcher/host/signals.h"
#include "launcher/instances/registration.h"
#include "launcher/process/spawn.h"
#include "launcher/process/process_steps.h"
#include "launcher/rootfs/mount_steps.h"
#include "launcher/process/terminal.h"
#include "launcher/validate.h"
#include "plan/plan_json.h"

namespace launcher {

namespace {

// Everything the steps need, resolved before the first side effect.
struct Prepared {
  plan::Plan plan;
  std::string plan_path;
  std::string plan_text;  // the file's bytes, which the registry record hashes once the command runs
  bool rootless = false;
  bool userns = false;
  bool init = false;
  bool new_session = true;  // the container leaves our session (setsid): no controlling terminal
  std::optional<ContainerTerminal> terminal;  // -t
  unsigned long long clone_flags = 0;  // the plan's namespaces; shape.clone_flags is what clone gets
  IdMaps maps;
  std::optional<RootfsSource> rootfs;
  std::string rootfs_key_check;  // archive rootfs: how the cache found its tree (rootfs_cache.h)
  Fd rootfs_lock;                // archive rootfs: keeps the tree from being pruned while we run
  std::string exec_path;  // resolved inside the container
  std::unique_ptr<ContainerNetwork> network;
  std::unique_ptr<ContainerCgroup> cgroup;
  std::unique_ptr<Supervision> supervision;  // null: the filter is loaded as the plan has it
  std::optional<FittedLandlock> landlock;    // plan.landlock as this kernel's ABI takes it
  Supervisor* supervisor() const { return supervision ? supervision->supervisor.get() : nullptr; }
};

// The prepared run and its start-up variant, decided once from it (launch_shape.h): launch()
// and the child steps read the variant only from `shape`, in a dry run as in a real one.
struct Launch : Prepared {
  explicit Launch(Prepared&& p)
      : Prepared(std::move(p)), shape(decide_launch_shape(plan, clone_flags, cgroup.get())) {}
  const LaunchShape shape;
};

// Runs a step, or in dry-run mode prints it (an empty description = nothing to do: not printed).
// Parent steps are fault-injection points.
// With -v, each parent step that did something is named on stderr with its time, as it ends.
class Steps {
 public:
  Steps(bool dry_run, bool parent, int depth, bool verbose = false)
      : dry_(dry_run), parent_(parent), verbose_(verbose && parent), depth_(depth) {}
  template <class Describe, class Act>
  void operator()(const char* name, Describe&& describe, Act&& act) {
    if (dry_) {
      const std::string text = describe();
      if (!text.empty()) print_step(stdout, depth_, name, text);
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    act();
    if (verbose_) report(name, describe(), start);
    if (parent_) fault_point(name);
  }
  bool dry() const { return dry_; }

 private:
  static void report(const char* name, const std::string& text, std::chrono::steady_clock::time_point start) {
    if (text.empty()) return;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "plan-exec: %s (%.1f ms): %s\n", name, ms, text.c_str());
  }
  bool dry_, parent_, verbose_;
  int depth_;
};

const std::vector<std::string> kParentSteps = {
    "validate", "network-prepare", "cgroup-prepare", "rootfs-cache", "cgroup-create", "clone", "userns-maps",
    "cgroup-attach", "network-host", "supervisor", "release", "wait", "network-teardown", "cgroup-finish"};

void print_error(const std::string& text) { std::fprintf(stderr, "plan-exec: %s\n", text.c_str()); }
void print_plain(const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); }

std::string describe_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", seconds);
  return text;
}

// Notes and warnings about a run that went as asked (-q drops them; errors always print).
bool g_quiet = false;
void print_info(const std::string& text) {
  if (!g_quiet) print_error(text);
}

// ---- before any side effect ------------------------------------------------------------------

Launch prepare_launch(const RunOptions& options) {
  refuse_setuid(::getuid(), ::geteuid(), ::getgid(), ::getegid());
  check_caller();  // no privilege root did not give us, no directory on stdio
  Prepared l;
  l.plan_path = options.plan_path;
  l.plan_text = plan::read_plan_text(options.plan_path);
  l.plan = plan::load_text(options.plan_path, l.plan_text);
  if (!options.command.empty()) l.plan.command = options.command;
  shift_to_instance(l.plan.network, options.instance);
  l.rootless = ::geteuid() != 0;
  l.init = options.init == InitMode::Always || (options.init == InitMode::Plan && !l.plan.command_is_init);
  if (options.terminal) l.terminal = ContainerTerminal::prepare(l.plan.mounts, options.dry_run);
  l.new_session = l.terminal || !defence_disabled("setsid");
  validate_plan(l.plan, l.rootless);
  if (l.rootless && l.plan.cgroups) {  // best effort (validate_plan refuses the others)
    print_info("warning: limits need root on the host (cgroup directories): this rootless run has none "
                "(the policy's limits are best_effort)");
    l.plan.cgroups.reset();
  }
  if (l.plan.landlock && !defence_disabled("landlock")) {
    l.landlock = fit_landlock(*l.plan.landlock, landlock_abi(real_kernel()));
    const std::string warning = require_enforceable(*l.landlock, l.plan.landlock->best_effort);
    if (!warning.empty()) print_info(warning);
  }
  l.supervision = prepare_supervision(l.plan, options, options.dry_run);
  const auto namespaces = effective_namespaces(l.plan, l.rootless);
  check_host_supports(namespaces, l.plan.seccomp.has_value(), l.rootless);
  l.clone_flags = clone_flags(namespaces);
  l.userns = (l.clone_flags & CLONE_NEWUSER) != 0;
  l.maps = choose_id_maps(l.plan.user, l.rootless, ::getuid(), ::getgid());
  if (l.rootless && (!l.plan.user.uid_map.empty() || !l.plan.user.gid_map.empty())) {
    print_info("note: plan.user.uid_map/gid_map need root; this rootless run maps only your uid and gid");
  }
  // The hooks validate their own sections without side effects (rootless + veth is theirs too).
  if (l.plan.network.mode != plan::NetworkMode::Host) {
    l.network = prepare_network(l.plan.network, ::getpid(), l.rootless);
    // network join: the child is born in an existing namespace (entered around clone).
    if (!l.network->makes_namespace()) l.clone_flags &= ~static_cast<unsigned long long>(CLONE_NEWNET);
  }
  // Usage is measured (extra hierarchies, counters read at the end) only when --stats prints it.
  // Every root run, limits or not, gets a device cgroup: whatever its capabilities and mounts,
  // the container opens no device node beyond Docker's list and plan.devices (rootless runs
  // cannot make one; the kernel's own checks hold them). Granted nodes are stat()ed here.
  std::optional<std::vector<DeviceRule>> devices = device_rules_for(l.plan.devices);
  if (l.rootless || defence_disabled("device-cgroup")) devices.reset();
  l.cgroup = prepare_container_cgroup(l.plan.cgroups, devices, l.plan.name, ::getpid(), options.stats,
                                      [](const std::string& text) { print_info("warning: " + text + " (step: cgroups)"); });
  return Launch(std::move(l));
}

// The rootfs tree (unpacking an archive into the cache once) and the command inside it.
void resolve_rootfs_and_command(Launch& l, bool dry_run) {
  std::string tree = "/";
  if (l.plan.rootfs && l.plan.rootfs->kind == plan::RootfsKind::Directory) {
    l.rootfs = directory_rootfs(*l.plan.rootfs);
    tree = l.plan.rootfs->path;
  } else if (l.plan.rootfs) {
    if (dry_run) {
      tree = cached_dir_for(l.plan.rootfs->path, l.rootless, &l.rootfs_key_check);
      l.rootfs = RootfsSource{tree, !l.plan.rootfs->readonly, rootfs_cache_root(l.rootless) + "/.mnt"};
      if (::access(tree.c_str(), F_OK) != 0) {  // not unpacked yet: the command is checked then
        l.exec_path = l.plan.command.front();
        return;
      }
    } else {
      CachedRootfs cached = unpack_cached(l.plan.rootfs->path, l.rootless, !g_quiet);
      if (cached.unpacked_now) {
        print_info("rootfs: unpacked " + l.plan.rootfs->path + " into " + cached.dir +
                    " (once; later runs reuse it while the archive is unchanged)");
      }
      for (const auto& old : cached.replaced) print_info("rootfs: removed " + old + ", the tree of its older version");
      l.rootfs_lock = std::move(cached.lock);
      l.rootfs = RootfsSource{cached.dir, !l.plan.rootfs->readonly, cached.staging};
      tree = cached.dir;
    }
  }
  l.exec_path = resolve_command(tree, l.plan.command.front(), search_path(l.plan.env), l.plan.mounts);
  if (l.landlock) check_landlock_exec(l.landlock->ruleset, tree, l.exec_path);
}

// ---- the child -------------------------------------------------------------------------------

// argv/envp as execve wants them, built before seccomp so nothing allocates after it.
struct ExecArgs {
  std::vector<char*> argv, envp;
  explicit ExecArgs(const plan::Plan& p) {
    for (const auto& a : p.command) argv.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
    argv.push_back(nullptr);
    envp.push_back(nullptr);
  }
};

[[noreturn]] void exec_command(const std::string& path, ExecArgs& args, int error_fd) {
  ::execve(path.c_str(), args.argv.data(), args.envp.data());
  const int err = errno;
  send_child_error_raw(error_fd, err, "exec", "execute", path.c_str());
  _exit(err == ENOENT || err == ENOTDIR || err == ELOOP ? 127 : 126);
}

// Child: blocks until the parent releases it, then takes back the CPU affinity plan-exec was
// started with (the parent moved it before releasing it: see CpuSpread). Exits 125 if the
// parent died or gave up instead.
void await_release(int sync_fd, const CpuSpread& spread) {
  if (!wait_for_release(sync_fd)) _exit(125);
  spread.restore_in_child();
}

void child_steps(const Launch& l, Steps& step, int error_fd, int sync_fd, const CpuSpread& spread) {
  const plan::Plan& p = l.plan;
  std::string root;  // "" until a rootfs is mounted: mounts then go to the current root
  // On v1 we move ourselves into our cgroups (no RCU grace period, unlike the parent writing
  // our pid; see ContainerCgroup), before anything of the container runs.
  auto join_cgroups = [&] {
    step("cgroup-join", [&] { return l.shape.child_joins_cgroup() ? "write 0 (this process) into tasks of each v1 hierarchy" : ""; },
         [&] { if (l.shape.child_joins_cgroup()) l.cgroup->join_from_child(); });
  };
  // Now that we sit in our cgroup, so the namespace is rooted there.
  auto cgroup_namespace = [&] {
    step("cgroup-namespace", [&] { return l.shape.cgroup_namespace_after_attach ? "unshare CLONE_NEWCGROUP" : ""; },
         [&] { if (l.shape.cgroup_namespace_after_attach) check(real_kernel().unshare(CLONE_NEWCGROUP), "cgroup-namespace", "unshare the cgroup namespace"); });
  };
  if (!l.shape.child_waits_late()) join_cgroups();
  // A new user namespace starts us as the overflow uid unless our outside id is mapped: become
  // its root, so the files and mounts we make below belong to a mapped id (EOVERFLOW otherwise).
  step("userns-root", [&] { return l.userns ? "setresgid/setresuid 0 inside the user namespace, if 0 is mapped" : ""; },
       [&] { if (l.userns) become_namespace_root(real_kernel()); });
  if (!l.shape.child_waits_late()) cgroup_namespace();
  // Before anything uses the network (and before sysfs, which belongs to a net namespace).
  step("net-namespace", [&] { return l.shape.net_namespace_in_child ? "unshare CLONE_NEWNET" : ""; },
       [&] { if (l.shape.net_namespace_in_child) check(real_kernel().unshare(CLONE_NEWNET), "net-namespace", "unshare the net namespace"); });
  // Nothing we mount may propagate back to the host's mount namespace.
  step("mounts-private", [&] { return l.clone_flags & CLONE_NEWNS ? "MS_REC|MS_PRIVATE on /" : ""; },
       [&] { if (l.clone_flags & CLONE_NEWNS) make_mounts_private(real_kernel()); });
  // The image becomes a mount point of its own (a private overlay when writable) for pivot_root.
  step("rootfs", [&] { return l.rootfs ? describe_rootfs(*l.rootfs) : std::string(); },
       [&] { if (l.rootfs) root = mount_rootfs(real_kernel(), *l.rootfs); });
  if (step.dry() && l.rootfs) root = rootfs_root(*l.rootfs);
  // From here to pivot_root every mount target resolves from one descriptor of the final root.
  std::optional<RootFdScope> root_fd;
  if (!step.dry()) root_fd.emplace(real_kernel(), root);
  // The plan's mounts in its order: later ones may sit inside earlier ones (/dev then /dev/mqueue).
  for (const auto& m : p.mounts) {
    step("mount", [&] { return describe_mount(m, p.devices); }, [&] { mount_one(real_kernel(), m, root, l.userns, p.devices); });
  }
  // Masks and read-only binds go on top of the mounts they cover (/proc/kcore needs /proc).
  step("masked-paths", [&] { return join(p.masked_paths, " "); }, [&] { mask_paths(real_kernel(), p.masked_paths, root); });
  step("readonly-paths", [&] { return join(p.readonly_paths, " "); },
       [&] { make_paths_readonly(real_kernel(), p.readonly_paths, root); });
  // Inside the new net namespace, while the host's /proc and /sys are still reachable.
  step("network-inside", [&] { return l.network ? l.network->describe() : ""; },
       [&] { if (l.network) l.network->setup_inside(); });
  // Into the private (overlay) layer: the plan rules ask for one when `dns` is given.
  const std::string resolv_conf = l.network ? l.network->resolv_conf() : "";
  step("dns", [&] { return resolv_conf.empty() ? "" : "write /etc/resolv.conf in the container's private layer"; },
       [&] { if (!resolv_conf.empty()) write_resolv_conf(real_kernel(), root, resolv_conf); });
  root_fd.reset();  // no handle on the old tree survives pivot_root
  if (l.shape.child_waits_late()) {
    // The parent made our cgroups meanwhile (overlapping our mounts); we join them before
    // pivot_root, while the cgroup filesystem is still reachable, and before anything else.
    step("wait-release", [&] { return "until the parent made the cgroups"; },
         [&] { await_release(sync_fd, spread); });
    join_cgroups();
    cgroup_namespace();
  }
  // Leave the host's tree behind for good (chroot only when the plan asks).
  step(p.rootfs && p.rootfs->use_chroot ? "chroot" : "pivot-root", [&] { return root; },
       [&] { if (!root.empty()) enter_root(real_kernel(), root, p.rootfs && p.rootfs->use_chroot); });
  // Read-only only now: the mount points above had to be created first.
  step("rootfs-readonly", [&] { return p.rootfs && p.rootfs->readonly ? "/ read-only" : ""; },
       [&] { if (p.rootfs && p.rootfs->readonly) remount_root_readonly(real_kernel()); });
  step("hostname", [&] { return p.hostname; }, [&] { if (!p.hostname.empty()) set_hostname(real_kernel(), p.hostname); });
  // Before the uid switch: raising a hard limit needs privilege.
  step("rlimits", [&] { return describe_rlimits(p.rlimits); }, [&] { apply_rlimits(real_kernel(), p.rlimits); });
  const bool setgroups_allowed = !l.userns || !l.maps.deny_setgroups;
  // Groups, gid, uid; a credential change clears PDEATHSIG, so it is armed again.
  step("credentials", [&] { return describe_user(p.user, setgroups_allowed); }, [&] {
    switch_credentials(real_kernel(), p.user, setgroups_allowed);
    real_kernel().prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  });
  // After the uid switch (which needed CAP_SETUID/SETGID), before exec.
  step("capabilities", [&] { return describe_capabilities(p.capabilities); },
       [&] { drop_capabilities(real_kernel(), p.capabilities); });
  // Out of the caller's session, so without a controlling terminal: the command can neither
  // push input into the caller's terminal (TIOCSTI/TIOCLINUX, CVE-2017-5226) nor open /dev/tty.
  // Before init, so that pid 1 has none either.
  step("setsid", [&] { return l.new_session ? "new session: no controlling terminal" : ""; },
       [&] { if (l.new_session) check(real_kernel().setsid(), "setsid", "start a new session (setsid)"); });
  // -t: the pty as controlling terminal and stdio; needs the session above, and the container's
  // /dev as root to open its own /dev/ptmx, as the final user so the pty is theirs.
  step("terminal", [&] { return l.terminal ? l.terminal->describe_child() : ""; },
       [&] { if (l.terminal) l.terminal->attach_in_child(); });
  // No descriptor of ours may reach the command (only the O_CLOEXEC error channel stays).
  const int channel = l.supervisor() ? l.supervisor()->child_end() : -1;
  step("close-fds", [&] { return "close all but 0 1 2"; }, [&] { close_inherited_fds(real_kernel(), error_fd, channel); });
  // As the final user: a cwd the user may not enter fails here, clearly.
  step("cwd", [&] { return p.cwd; }, [&] { check(real_kernel().chdir(p.cwd.c_str()), "cwd", "chdir to " + p.cwd); });
  // Before the policy's no_new_privs and filter, which only the command gets: init locks itself
  // down with its own (init_hardening.h).
  step("init", [&] { return l.init ? "minimal pid 1 (no capabilities, non-dumpable, own filter) forks the command, forwards signals, reaps zombies" : ""; },
       [&] { if (l.init) fork_under_init(error_fd, channel); });
  ExecArgs args(p);
  step("no-new-privs", [&] { return p.no_new_privs ? "PR_SET_NO_NEW_PRIVS 1" : ""; },
       [&] { if (p.no_new_privs) set_no_new_privs(real_kernel()); });
  // After no_new_privs (an unprivileged landlock_restrict_self needs it) and pivot_root (the
  // rules' paths are the container's), before the filter, which need not allow its calls.
  step("landlock", [&] { return l.landlock ? describe_landlock(*l.landlock) : ""; },
       [&] { if (l.landlock) apply_landlock(real_kernel(), *l.landlock); });
  // Last: from here on every syscall of ours is judged by the policy's filter.
  // Supervised: a copy whose watched verdicts notify, its listener handed to plan-exec.
  step("seccomp", [&] { return p.seccomp ? describe_seccomp(*p.seccomp) + (l.supervision ? ", denials go to plan-exec's supervisor through a listener it takes before execve" : "") : ""; }, [&] {
    if (channel >= 0) load_filter_handing_listener(l.supervision->notifying_bpf, channel);
    else if (p.seccomp) load_seccomp_filter(real_kernel(), p.seccomp->bpf);
  });
  step("execve", [&] { return describe_exec(l.exec_path, p.command, p.env, p.cwd); },
       [&] { exec_command(l.exec_path, args, error_fd); });
}

[[noreturn]] void child_main(const Launch& l, Pipe sync, Pipe errors, const sigset_t& mask, pid_t parent,
                             int parent_pidfd, const CpuSpread& spread) {
  if (!bind_lifetime_to_parent(parent, parent_pidfd)) _exit(125);
  ::close(sync.write_fd);
  ::close(errors.read_fd);
  restore_signal_mask(mask);
  Steps step(false, false, 0);
  try {
    if (!l.shape.child_waits_late()) await_release(sync.read_fd, spread);
    child_steps(l, step, errors.write_fd, sync.read_fd, spread);
  } catch (const StepError& e) {
    send_child_error(errors.write_fd, e);
  } catch (const std::exception& e) {
    send_child_error(errors.write_fd, StepError("child", e.what()));
  }
  _exit(125);
}

// ---- the parent ------------------------------------------------------------------------------

// Kills and reaps the child when the parent fails half-way.
struct ChildGuard {
  pid_t pid = 0;
  // Until it has exited, leaving it unreaped: its pid (and process group) stay ours meanwhile.
  void wait_exited() const {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
  }
  int wait() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = 0;
    return status;
  }
  ~ChildGuard() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      wait();
    }
  }
};

// Network teardown and cgroup finish also run when a later step fails.
struct HookGuard {
  ContainerNetwork* network = nullptr;
  ContainerCgroup* cgroup = nullptr;
  void teardown() {
    if (auto* n = std::exchange(network, nullptr)) n->teardown();
  }
  CgroupReport finish() {
    if (auto* c = std::exchange(cgroup, nullptr)) return c->finish();
    return {};
  }
  ~HookGuard() {
    try { teardown(); } catch (const std::exception& e) { print_error(std::string("cleanup: ") + e.what()); }
    try { finish(); } catch (const std::exception& e) { print_error(std::string("cleanup: ") + e.what()); }
  }
};

void print_stats(const Launch& l, const CgroupReport& r) {
  if (!l.plan.cgroups) return print_error("stats: the plan has no limits, so no cgroup measured the command");
  const std::string text = format_cgroup_stats(r);
  if (text.empty()) return print_error("stats: this host measured nothing for the command's cgroup");
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    print_error("stats: " + text.substr(start, end - start));
  }
}

// The supervisor ends with SIGKILL a command the kernel's kill verdict would have ended with
// SIGSYS (pid 1 of a pid namespace ignores SIGSYS from outside): the status says SIGSYS, as
// without reporting. Under --init, init reports its command's SIGKILL as exit code 128+9.
int as_the_kernels_kill(int status, const Supervisor& supervisor, pid_t child, bool init) {
  if (!init && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && supervisor.killed_by_sigkill(child)) {
    return SIGSYS;  // the wait status of a process ended by SIGSYS (no core dump flag)
  }
  if (init && WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL && supervisor.command() > 0 &&
      supervisor.killed_by_sigkill(supervisor.command())) {
    return (128 + SIGSYS) << 8;
  }
  return status;
}

int exit_code_of(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}

int report_child_failure(const StepError& failure, const Launch& l) {
  const int err = failure.error_number();
  // ENOENT for a program that is there: its interpreter is missing; name that one instead.
  const std::string why = failure.step() == "exec" && err == ENOENT
                              ? explain_missing_interpreter(l.rootfs ? l.rootfs->dir : "/", l.exec_path)
                              : "";
  print_error(why.empty() ? failure.describe() : why + " (step: exec)");
  if (failure.step() != "exec") return 125;
  return err == ENOENT || err == ENOTDIR || err == ELOOP ? 127 : 126;
}

// What `plan-exec ps` and `exec` learn of this run (instances/registration.h).
RunFacts facts_of(const Launch& l, const RunOptions& options, pid_t child) {
  RunFacts facts{&l.plan, l.plan_path, l.plan_text, options.instance, child, l.clone_flags, std::nullopt, {}};
  if (auto ends = l.network ? l.network->veth_ends() : std::nullopt) {
    facts.veth = VethRecord{ends->host_ifname, ends->container_ifname, ends->host_address, ends->container_address};
  }
  if (l.cgroup) facts.cgroups = l.cgroup->paths();
  return facts;
}

int launch(Launch& l, Steps& step, const RunOptions& options) {
  HookGuard hooks;
  InstanceRegistration registration;  // its record goes when launch() returns, however it ends
  const LaunchShape& shape = l.shape;  // every start-up variant below is read from here only
  // Limits exist before anything of the container runs: before clone, or (shape.cgroups_after_clone)
  // right after it, while the child mounts and before it runs anything of the container.
  auto create_cgroups = [&] {
    step("cgroup-create", [&] { return l.cgroup ? l.cgroup->describe() : ""; }, [&] {
      if (!l.cgroup) return;
      hooks.cgroup = l.cgroup.get();
      l.cgroup->create();
    });
  };
  if (!shape.cgroups_after_clone) create_cgroups();
  Pipe sync, errors;
  if (!step.dry()) {
    if (l.supervisor()) l.supervisor()->open_channel();
    sync = make_pipe("sync");
    errors = make_pipe("error");
    if (l.terminal) l.terminal->open_channel();
  }
  ChildGuard child;
  std::optional<StopTimer> stopper;  // after `child`: disarmed before the guard kills and reaps
  const pid_t self = ::getpid();
  const int self_pidfd = step.dry() ? -1 : open_self_pidfd();
  // The fd only carries out the shape: create() opened it or failed (-1: best effort dropped
  // the cgroup, so there is none to be born in).
  const int cgroup_fd = shape.clone_into_cgroup() && !step.dry() ? l.cgroup->clone_into_fd() : -1;
  // The steps below stay when the child is released early (no-ops, and fault points); the
  // child still dies with us (PDEATHSIG + the pidfd check) if we are killed after clone.
  if (shape.release_early && !step.dry()) release_child(std::exchange(sync.write_fd, -1));
  // Straight into the namespaces (and the cgroup, with clone3) in one call.
  step("clone", [&] { return describe_clone_flags(shape.clone_flags) + (shape.clone_into_cgroup() ? " + CLONE_INTO_CGROUP" : ""); }, [&] {
    // Only when we have work of our own before release does the child need another CPU.
    const CpuSpread spread = shape.release_early ? CpuSpread() : CpuSpread::prepare();
    const sigset_t previous = block_forwarded_signals();
    if (l.network) l.network->enter_for_clone();  // network join: the child is born in that namespace
    pid_t pid = 0;
    try {
      pid = clone_child(shape.clone_flags, cgroup_fd);
    } catch (...) {
      if (l.network) l.network->leave_after_clone();
      throw;
    }
    if (pid == 0) child_main(l, sync, errors, previous, self, self_pidfd, spread);
    if (l.network) l.network->leave_after_clone();
    spread.move_child(pid);
    ::close(self_pidfd);
    child.pid = pid;
    ::close(std::exchange(sync.read_fd, -1));
    ::close(std::exchange(errors.write_fd, -1));
    if (l.terminal) l.terminal->close_child_side();
    ::signal(SIGPIPE, SIG_IGN);  // a child that died early must not kill us on release
    stopper.emplace(options.stop_timeout_seconds, pid);  // before the handlers: no stop signal unseen
    if (!shape.cgroups_after_clone) stopper->set_cgroup(l.cgroup.get());
    forward_terminal_signals(l.new_session);
    forward_signals_to(pid, previous);
  });
  if (shape.cgroups_after_clone) {
    create_cgroups();
    if (stopper) stopper->set_cgroup(l.cgroup.get());
  }
  // Only the parent (outside) may write the maps; the child waits for them.
  step("userns-maps", [&] { return l.userns ? describe_id_maps(l.maps) : ""; },
       [&] { if (l.userns) write_id_maps(real_kernel(), child.pid, l.maps); });
  // Before it runs anything of the container (v1 or no CLONE_INTO_CGROUP).
  step("cgroup-attach", [&] { return shape.child_joins_cgroup() ? "none here: the container process joins itself (cgroup-join)"
                                    : shape.clone_into_cgroup() ? "none here: clone placed the container process (CLONE_INTO_CGROUP)"
                                    : shape.parent_attaches() ? "the container process" : ""; },
       [&] { if (shape.parent_attaches()) l.cgroup->attach(child.pid); });
  // The veth's peer goes straight into the child's net namespace.
  step("network-host", [&] { return l.network ? l.network->describe() : ""; }, [&] {
    if (!l.network) return;
    hooks.network = l.network.get();
    l.network->setup_host(child.pid);
    // Where the container is reachable, as it starts: "web: 10.200.0.2 via pe-4081".
    const auto facts = facts_of(l, options, child.pid);
    if (facts.veth && !options.quiet) print_plain(address_line(instance_name(l.plan.name, options.instance), *facts.veth));
  });
  // Before the child runs the command: it waits for the supervisor to take its listener.
  step("supervisor", [&] { return l.supervision ? l.supervision->describe() : ""; },
       [&] { if (l.supervisor()) l.supervisor()->start(); });
  step("release", [&] { return shape.child_waits_late() ? "the container process, which did its mounts meanwhile; in all it does, in order:"
                                                  : "the container process; it now does, in order:"; },
       [&] {
         if (sync.write_fd < 0) return;
         try {
           release_child(std::exchange(sync.write_fd, -1));
         } catch (const StepError&) {
           // A child that waits late fails its mounts before release and exits: its error says why.
           if (auto child_error = receive_child_error(errors.read_fd)) throw *child_error;
           throw;
         }
       });
  if (step.dry()) {
    Steps child_dry(true, false, 2);
    child_steps(l, child_dry, -1, -1, CpuSpread());
  }
  std::optional<StepError> failure;
  int status = 0;
  step("wait", [&] { return "forward INT TERM HUP QUIT USR1 USR2 WINCH; after INT or TERM the container gets " +
                            describe_seconds(options.stop_timeout_seconds) + " (--stop-timeout), then everything in it is "
                            "killed, at once on a second INT; exit with the command's status" +
                            (l.terminal ? "; -t: " + l.terminal->describe_parent() : std::string()); }, [&] {
    // Listed by `plan-exec ps` (and open to exec and stop) once the command runs.
    if (command_started(errors.read_fd)) registration.publish(facts_of(l, options, child.pid));
    if (l.terminal) l.terminal->relay_until_exit(child.pid);  // returns once the child has exited
    failure = receive_child_error(errors.read_fd);
    ::close(std::exchange(errors.read_fd, -1));
    const pid_t child_pid = child.pid;
    child.wait_exited();
    if (stopper) stopper->disarm();
    stop_forwarding();
    status = child.wait();
    registration.withdraw();  // the container has ended: ps no longer lists it
    if (Supervisor* supervisor = l.supervisor()) {
      supervisor->stop();
      if (!supervisor->failure().empty()) print_error("supervisor: " + supervisor->failure());
      status = as_the_kernels_kill(status, *supervisor, child_pid, l.init);
    }
    if (l.supervision) l.supervision->finish();
  });
  step("network-teardown", [&] { return l.network ? "delete what is left of the network" : ""; },
       [&] { hooks.teardown(); });
  CgroupReport report;
  step("cgroup-finish", [&] { return l.cgroup ? "OOM check, stats, remove the cgroups" : ""; },
       [&] { report = hooks.finish(); });
  if (step.dry()) return 0;
  if (failure) return report_child_failure(*failure, l);
  if (options.stats) print_stats(l, report);
  // The command's own exit code, also when the OOM killer took one of its children.
  const int code = exit_code_of(status);
  if (report.oom_killed) {
    // The command's own kill is the reason for its exit code: always said. A child's is a warning.
    const std::string text = oom_report(report, l.plan.cgroups.value_or(plan::Cgroups{}), code);
    if (text.rfind("warning:", 0) == 0) print_info(text);
    else print_error(text);
  }
  return code;
}

}  // namespace

const std::vector<std::string>& parent_step_names() { return kParentSteps; }

int run_plan(const RunOptions& options) {
  g_quiet = options.quiet;
  try {
    Launch l = prepare_launch(options);
    Steps step(options.dry_run, true, 1, options.verbose);
    if (options.dry_run) {
      std::printf("plan-exec: dry run of %s (container \"%s\"); nothing is done\n", l.plan_path.c_str(),
                  l.plan.name.c_str());
    }
    step("validate", [&] { return "plan version " + std::to_string(l.plan.version) + " for " + l.plan.arch + ", " +
                                  (l.rootless ? "rootless (user namespace added)" : "as root"); }, [] {});
    // Not a step: the start-up variant every step below follows, decided in prepare_launch.
    if (options.dry_run) print_step(stdout, 1, "shape", l.shape.describe());
    step("network-prepare", [&] { return l.network ? l.network->describe() : "network " + plan::to_string(l.plan.network.mode); }, [] {});
    step("cgroup-prepare", [&] { return l.cgroup ? l.cgroup->describe() : ""; }, [] {});
    step("rootfs-cache", [&] {
      resolve_rootfs_and_command(l, true);
      const std::string key = l.rootfs_key_check.empty() ? "" : " (" + l.rootfs_key_check + ")";
      return l.rootfs ? "rootfs tree " + l.rootfs->dir + key + ", command " + l.exec_path : "no rootfs: command " + l.exec_path;
    }, [&] { resolve_rootfs_and_command(l, false); });
    return launch(l, step, options);
  } catch (const plan::PlanError& e) {
    print_error(e.what());  // the loader names the file and the key
  } catch (const CommandError& e) {
    print_error(e.describe());
    return e.exit_code();
  } catch (const StepError& e) {
    print_error(e.describe());
  } catch (const std::exception& e) {
    print_error(e.what());
  }
  return 125;
}

int cleanup_leftovers() {
  int code = 0;
  try {
    for (const auto& line : cleanup_network_leftovers()) std::printf("removed %s\n", line.c_str());
  } catch (const std::exception& e) {
    print_error(std::string("cleanup of network leftovers: ") + e.what());
    code = 125;
  }
  try {
    for (const auto& line : cleanup_cgroup_leftovers()) std::printf("removed %s\n", line.c_str());
  } catch (const std::exception& e) {
    print_error(std::string("cleanup of cgroup leftovers: ") + e.what());
    code = 125;
  }
  try {
    for (const auto& line : cleanup_stale_records()) std::printf("removed %s\n", line.c_str());
  } catch (const std::exception& e) {
    print_error(std::string("cleanup of the instance registry: ") + e.what());
    code = 125;
  }
  return code;
}

}  // namespace launcher
