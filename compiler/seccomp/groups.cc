// SPDX-License-Identifier: Apache-2.0
#include "compiler/seccomp/groups.h"

#include <algorithm>
#include <sstream>

#include "compiler/seccomp/syscalls.h"

namespace policyc::seccomp {
namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::vector<BuiltinGroup> make_groups() {
  return {
      {"@default",
       "what every program needs to start, run and end; harmless on their own: restart_syscall "
       "(a stopped and continued sleep), signal return, exit, execve, thread and TLS set-up, "
       "brk/mmap, futex, identity and clock reads",
       false,
       words("restart_syscall rt_sigreturn sigreturn exit exit_group execve arch_prctl set_tid_address "
             "set_robust_list get_robust_list rseq set_thread_area get_thread_area brk mmap mmap2 munmap "
             "mprotect futex futex_time64 futex_waitv membarrier getpid gettid getppid getpgrp getpgid "
             "getsid getuid geteuid getgid getegid getgroups getresuid getresgid getuid32 geteuid32 "
             "getgid32 getegid32 getgroups32 getresuid32 getresgid32 getrlimit ugetrlimit prlimit64 "
             "getrandom uname sched_yield sched_getaffinity getcpu clock_gettime clock_gettime64 "
             "clock_getres clock_getres_time64 gettimeofday time nanosleep clock_nanosleep "
             "clock_nanosleep_time64 pause")},
      {"@basic-io", "reading, writing and moving data between descriptors the process already has", false,
       words("read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek _llseek close "
             "close_range dup dup2 dup3 sendfile sendfile64 splice tee vmsplice copy_file_range")},
      {"@file-system", "opening, inspecting and changing files and directories (no ownership: @privileged)",
       false,
       words("open openat openat2 creat access faccessat faccessat2 chdir fchdir getcwd stat fstat lstat "
             "newfstatat statx statfs fstatfs stat64 fstat64 lstat64 fstatat64 statfs64 fstatfs64 readlink "
             "readlinkat getdents getdents64 mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 "
             "link linkat symlink symlinkat mknod mknodat chmod fchmod fchmodat fchmodat2 umask truncate "
             "ftruncate truncate64 ftruncate64 fallocate fadvise64 fadvise64_64 readahead flock fcntl "
             "fcntl64 utime utimes utimensat utimensat_time64 futimesat getxattr lgetxattr fgetxattr "
             "listxattr llistxattr flistxattr setxattr lsetxattr fsetxattr removexattr lremovexattr "
             "fremovexattr getxattrat setxattrat listxattrat removexattrat file_getattr file_setattr "
             "inotify_init inotify_init1 inotify_add_watch inotify_rm_watch name_to_handle_at cachestat "
             "statmount listmount")},
      {"@network-io", "sockets of every family (narrow socket's arg0 before the group to limit families)",
       false,
       words("socket socketpair bind listen accept accept4 connect shutdown getsockname getpeername "
             "getsockopt setsockopt sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg recvmmsg_time64 "
             "socketcall")},
      {"@process",
       "processes and their scheduling, without clone/clone3 (decide them with a flags condition) "
       "and without namespaces (@privileged)",
       false,
       words("execveat fork vfork wait4 waitid waitpid kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo "
             "pidfd_open pidfd_send_signal prctl capget getrusage times setpgid setsid getpriority "
             "setpriority nice sched_getparam sched_setparam sched_getscheduler sched_setscheduler "
             "sched_getattr sched_setattr sched_setaffinity sched_get_priority_max sched_get_priority_min "
             "sched_rr_get_interval sched_rr_get_interval_time64 ioprio_get ioprio_set setrlimit")},
      {"@signal", "signal handlers, masks and waits (sending signals: @process)", false,
       words("rt_sigaction rt_sigprocmask rt_sigpending rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 "
             "sigaltstack signalfd signalfd4 sigaction sigprocmask sigpending sigsuspend signal")},
      {"@timer", "interval timers, POSIX timers and timerfds", false,
       words("alarm getitimer setitimer timer_create timer_delete timer_getoverrun timer_gettime "
             "timer_settime timer_gettime64 timer_settime64 timerfd_create timerfd_gettime timerfd_settime "
             "timerfd_gettime64 timerfd_settime64")},
      {"@io-event", "waiting for descriptors: poll, select, epoll, eventfd", false,
       words("poll ppoll ppoll_time64 select _newselect pselect6 pselect6_time64 epoll_create epoll_create1 "
             "epoll_ctl epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2")},
      {"@ipc", "pipes, memfds, POSIX message queues and SysV IPC", false,
       words("pipe pipe2 memfd_create mq_open mq_unlink mq_timedsend mq_timedreceive mq_timedsend_time64 "
             "mq_timedreceive_time64 mq_notify mq_getsetattr msgget msgsnd msgrcv msgctl semget semop "
             "semtimedop semtimedop_time64 semctl shmget shmat shmdt shmctl ipc")},
      {"@memory", "memory management beyond @default's brk/mmap/munmap/mprotect: remapping, advice, "
                  "locking, NUMA policy, protection keys, sealing",
       false,
       words("mremap madvise mincore mlock mlock2 mlockall munlock munlockall mbind get_mempolicy "
             "set_mempolicy set_mempolicy_home_node migrate_pages move_pages pkey_alloc pkey_free "
             "pkey_mprotect memfd_secret mseal map_shadow_stack remap_file_pages")},
      {"@sync", "flushing file data to storage", false, words("fsync fdatasync sync syncfs sync_file_range msync")},
      {"@mount", "mounting, unmounting and changing the root: container escapes", true,
       words("mount umount umount2 pivot_root chroot fsopen fsconfig fsmount fspick move_mount open_tree "
             "open_tree_attr mount_setattr")},
      {"@module", "loading and unloading kernel modules", true, words("init_module finit_module delete_module")},
      {"@reboot", "rebooting and loading a new kernel", true, words("reboot kexec_load kexec_file_load")},
      {"@swap", "turning swap on and off", true, words("swapon swapoff")},
      {"@raw-io", "direct I/O port access", true, words("ioperm iopl")},
      {"@privileged",
       "calls that change ownership, identity, the clock, the host name or namespaces, or open "
       "kernel attack surface an unprivileged program rarely needs (bpf, keyrings, userfaultfd...)",
       true,
       words("chown fchown lchown fchownat chown32 fchown32 lchown32 setuid setgid setreuid setregid setresuid "
             "setresgid setgroups setfsuid setfsgid setuid32 setgid32 setreuid32 setregid32 setresuid32 "
             "setresgid32 setgroups32 setfsuid32 setfsgid32 capset sethostname setdomainname settimeofday "
             "stime clock_settime clock_settime64 clock_adjtime clock_adjtime64 adjtimex acct bpf quotactl "
             "quotactl_fd syslog open_by_handle_at fanotify_init fanotify_mark unshare setns keyctl add_key "
             "request_key userfaultfd vhangup")},
      {"@debug", "tracing and reading or changing other processes", true,
       words("ptrace process_vm_readv process_vm_writev process_madvise pidfd_getfd kcmp perf_event_open")},
      {"@obsolete", "calls no current program needs, most of them unimplemented", true,
       words("_sysctl afs_syscall break create_module ftime get_kernel_syms getpmsg putpmsg gtty idle lock "
             "lookup_dcookie mpx nfsservctl oldfstat oldlstat oldolduname oldstat olduname prof profil "
             "query_module security sgetmask ssetmask stty sysfs tuxcall ulimit uselib ustat vserver "
             "epoll_ctl_old epoll_wait_old readdir bdflush")},
      {"@cpu-emulation", "running 16-bit code and changing the LDT", true, words("modify_ldt vm86 vm86old")},
  };
}

}  // namespace

const std::vector<BuiltinGroup>& builtin_groups() {
  static const std::vector<BuiltinGroup> groups = make_groups();
  return groups;
}

const BuiltinGroup* find_builtin_group(std::string_view name) {
  const auto& groups = builtin_groups();
  const auto it = std::find_if(groups.begin(), groups.end(), [&](const BuiltinGroup& g) { return g.name == name; });
  return it == groups.end() ? nullptr : &*it;
}

MemberKind member_kind(std::string_view member) {
  const std::string name(member);
  const SyscallResolution found = resolve_syscall(name);
  if (found.status == SyscallLookup::Found) return MemberKind::X86_64;
  const std::vector<std::string> arches = arches_having(name);
  if (std::find(arches.begin(), arches.end(), "x86") != arches.end()) return MemberKind::I386Only;
  return MemberKind::Unknown;
}

std::string builtin_groups_markdown() {
  std::ostringstream out;
  std::vector<std::string> skipped;
  out << "| Group | For | Members |\n|---|---|---|\n";
  for (const BuiltinGroup& group : builtin_groups()) {
    out << "| `" << group.name << "`" << (group.dangerous ? " (dangerous)" : "") << " | " << group.purpose << " | ";
    bool first = true;
    for (std::string_view member : group.members) {
      const MemberKind kind = member_kind(member);
      if (kind == MemberKind::Unknown) skipped.emplace_back(member);
      out << (first ? "" : " ") << "`" << member << "`"
          << (kind == MemberKind::I386Only ? " (x86)" : kind == MemberKind::Unknown ? " (new)" : "");
      first = false;
    }
    out << " |\n";
  }
  out << "\n(x86): a call of the i386 ABI only; it applies when the block allows `arch x86`.\n";
  if (!skipped.empty()) {
    out << "(new): newer than this build's syscall tables, skipped until policyc is built with newer "
           "kernel headers:";
    for (const std::string& name : skipped) out << " `" << name << "`";
    out << ".\n";
  }
  return out.str();
}

}  // namespace policyc::seccomp
