// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervisor/call_format.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "launcher/host/fault.h"
#include "launcher/supervisor/syscall_names.h"

namespace launcher {

namespace {

using Names = std::vector<std::pair<std::uint64_t, const char*>>;

std::string hex(std::uint64_t value) {
  if (value == 0) return "0";
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string signed_text(std::uint64_t value) { return std::to_string(static_cast<std::int64_t>(value)); }

// Named bits, OR-ed; the bits no name covers in hex; "0" for none.
std::string bits_text(std::uint64_t value, const Names& names) {
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : "|") + part; };
  for (const auto& [bit, name] : names) {
    if (bit != 0 && (value & bit) == bit) {
      add(name);
      value &= ~bit;
    }
  }
  if (value != 0 || text.empty()) add(hex(value));
  return text;
}

std::string value_text(std::uint64_t value, const Names& names) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return signed_text(value);
}

const Names kOpenFlags = {
    {O_TMPFILE, "O_TMPFILE"}, {O_CREAT, "O_CREAT"},       {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
    {O_TRUNC, "O_TRUNC"},     {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"}, {O_SYNC, "O_SYNC"},
    {O_DSYNC, "O_DSYNC"},     {O_DIRECT, "O_DIRECT"},     {O_LARGEFILE, "O_LARGEFILE"},
    {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
    {O_CLOEXEC, "O_CLOEXEC"}, {O_PATH, "O_PATH"}, {FASYNC, "O_ASYNC"}};

const Names kFamilies = {{AF_UNSPEC, "AF_UNSPEC"}, {AF_UNIX, "AF_UNIX"},     {AF_INET, "AF_INET"},
                         {AF_INET6, "AF_INET6"},   {AF_NETLINK, "AF_NETLINK"}, {AF_PACKET, "AF_PACKET"},
                         {AF_KEY, "AF_KEY"},       {AF_ALG, "AF_ALG"},       {AF_VSOCK, "AF_VSOCK"},
                         {AF_BLUETOOTH, "AF_BLUETOOTH"}, {AF_CAN, "AF_CAN"}, {AF_XDP, "AF_XDP"}};

const Names kSocketTypes = {{SOCK_STREAM, "SOCK_STREAM"}, {SOCK_DGRAM, "SOCK_DGRAM"}, {SOCK_RAW, "SOCK_RAW"},
                            {SOCK_RDM, "SOCK_RDM"},       {SOCK_SEQPACKET, "SOCK_SEQPACKET"},
                            {SOCK_PACKET, "SOCK_PACKET"}};

const Names kCloneFlags = {
    {CLONE_VM, "CLONE_VM"}, {CLONE_FS, "CLONE_FS"}, {CLONE_FILES, "CLONE_FILES"}, {CLONE_SIGHAND, "CLONE_SIGHAND"},
    {CLONE_PIDFD, "CLONE_PIDFD"}, {CLONE_PTRACE, "CLONE_PTRACE"}, {CLONE_VFORK, "CLONE_VFORK"},
    {CLONE_PARENT, "CLONE_PARENT"}, {CLONE_THREAD, "CLONE_THREAD"}, {CLONE_NEWNS, "CLONE_NEWNS"},
    {CLONE_SYSVSEM, "CLONE_SYSVSEM"}, {CLONE_SETTLS, "CLONE_SETTLS"}, {CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
    {CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"}, {CLONE_UNTRACED, "CLONE_UNTRACED"},
    {CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"}, {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWUTS, "CLONE_NEWUTS"},
    {CLONE_NEWIPC, "CLONE_NEWIPC"}, {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWPID, "CLONE_NEWPID"},
    {CLONE_NEWNET, "CLONE_NEWNET"}, {CLONE_IO, "CLONE_IO"}};

const Names kIoctls = {
    {TCGETS, "TCGETS"},         {TCSETS, "TCSETS"},         {TCSETSW, "TCSETSW"},       {TCSETSF, "TCSETSF"},
    {TIOCGWINSZ, "TIOCGWINSZ"}, {TIOCSWINSZ, "TIOCSWINSZ"}, {TIOCGPGRP, "TIOCGPGRP"},   {TIOCSPGRP, "TIOCSPGRP"},
    {TIOCSCTTY, "TIOCSCTTY"},   {TIOCNOTTY, "TIOCNOTTY"},   {TIOCSTI, "TIOCSTI"},       {TIOCLINUX, "TIOCLINUX"},
    {TIOCGPTN, "TIOCGPTN"},     {TIOCSPTLCK, "TIOCSPTLCK"}, {FIONREAD, "FIONREAD"},     {FIONBIO, "FIONBIO"},
    {FIOCLEX, "FIOCLEX"},       {FIONCLEX, "FIONCLEX"},     {FIOASYNC, "FIOASYNC"},     {TIOCGSID, "TIOCGSID"}};

const Names kPrctlOptions = {
    {PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"}, {PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG"},
    {PR_GET_DUMPABLE, "PR_GET_DUMPABLE"},   {PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
    {PR_GET_KEEPCAPS, "PR_GET_KEEPCAPS"},   {PR_SET_KEEPCAPS, "PR_SET_KEEPCAPS"},
    {PR_SET_NAME, "PR_SET_NAME"},           {PR_GET_NAME, "PR_GET_NAME"},
    {PR_GET_SECCOMP, "PR_GET_SECCOMP"},     {PR_SET_SECCOMP, "PR_SET_SECCOMP"},
    {PR_CAPBSET_READ, "PR_CAPBSET_READ"},   {PR_CAPBSET_DROP, "PR_CAPBSET_DROP"},
    {PR_SET_TIMERSLACK, "PR_SET_TIMERSLACK"}, {PR_SET_SECUREBITS, "PR_SET_SECUREBITS"},
    {PR_SET_MM, "PR_SET_MM"},               {PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER"},
    {PR_GET_CHILD_SUBREAPER, "PR_GET_CHILD_SUBREAPER"}, {PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"},
    {PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"}, {PR_SET_THP_DISABLE, "PR_SET_THP_DISABLE"},
    {PR_CAP_AMBIENT, "PR_CAP_AMBIENT"},     {PR_SET_PTRACER, "PR_SET_PTRACER"},
    {PR_SET_VMA, "PR_SET_VMA"},             {PR_GET_TID_ADDRESS, "PR_GET_TID_ADDRESS"}};

const Names kProt = {{PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"},
                     {PROT_GROWSDOWN, "PROT_GROWSDOWN"}, {PROT_GROWSUP, "PROT_GROWSUP"}};

const Names kMapFlags = {{MAP_SHARED, "MAP_SHARED"}, {MAP_PRIVATE, "MAP_PRIVATE"}, {MAP_FIXED, "MAP_FIXED"},
                         {MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
                         {MAP_DENYWRITE, "MAP_DENYWRITE"}, {MAP_EXECUTABLE, "MAP_EXECUTABLE"},
                         {MAP_LOCKED, "MAP_LOCKED"}, {MAP_NORESERVE, "MAP_NORESERVE"},
                         {MAP_POPULATE, "MAP_POPULATE"}, {MAP_NONBLOCK, "MAP_NONBLOCK"}, {MAP_STACK, "MAP_STACK"},
                         {MAP_HUGETLB, "MAP_HUGETLB"}, {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"}};

// One letter per argument:
//   d decimal (int)   u unsigned   x hex   p pointer   s string   D dirfd   O open flags   M mode
//   W mode, shown only when the open flags before it create a file (O_CREAT, O_TMPFILE)
//   F socket family   T socket type   C clone flags   I ioctl request   P prctl option
//   R PROT_*   m MAP_*   i ignored (not shown)
const std::map<std::string_view, std::string_view> kSignatures = {
    {"read", "dpu"}, {"write", "dpu"}, {"pread64", "dpud"}, {"pwrite64", "dpud"}, {"open", "sOW"},
    {"openat", "DsOW"}, {"openat2", "Dspu"}, {"creat", "sM"}, {"close", "d"}, {"stat", "sp"}, {"lstat", "sp"},
    {"fstat", "dp"}, {"newfstatat", "Dspx"}, {"statx", "Dsxxp"}, {"access", "sM"}, {"faccessat", "DsM"},
    {"faccessat2", "DsMx"}, {"execve", "spp"}, {"execveat", "Dsppx"}, {"mkdir", "sM"}, {"mkdirat", "DsM"},
    {"unlink", "s"}, {"unlinkat", "Dsx"}, {"rmdir", "s"}, {"rename", "ss"}, {"renameat", "DsDs"},
    {"renameat2", "DsDsx"}, {"chdir", "s"}, {"fchdir", "d"}, {"chroot", "s"}, {"readlink", "spu"},
    {"readlinkat", "Dspu"}, {"symlink", "ss"}, {"symlinkat", "sDs"}, {"link", "ss"}, {"linkat", "DsDsx"},
    {"chmod", "sM"}, {"fchmod", "dM"}, {"fchmodat", "DsM"}, {"chown", "sdd"}, {"lchown", "sdd"},
    {"fchownat", "Dsddx"}, {"truncate", "sd"}, {"ftruncate", "dd"}, {"mount", "sssxp"}, {"umount2", "sx"},
    {"pivot_root", "ss"}, {"swapon", "sx"}, {"swapoff", "s"}, {"acct", "s"}, {"mknod", "sMx"},
    {"mknodat", "DsMx"}, {"statfs", "sp"}, {"utimensat", "Dspx"}, {"getxattr", "sspu"},
    {"setxattr", "sspux"}, {"listxattr", "spu"}, {"inotify_add_watch", "dsx"}, {"memfd_create", "sx"},
    {"socket", "FTd"}, {"socketpair", "FTdp"}, {"bind", "dpu"}, {"connect", "dpu"}, {"listen", "dd"},
    {"accept", "dpp"}, {"accept4", "dppx"}, {"sendto", "dpuxpu"}, {"recvfrom", "dpuxpp"},
    {"sendmsg", "dpx"}, {"recvmsg", "dpx"}, {"setsockopt", "dddpu"}, {"getsockopt", "dddpp"},
    {"shutdown", "dd"}, {"ioctl", "dIx"}, {"prctl", "Pxxxx"}, {"mmap", "puRmdx"}, {"mprotect", "puR"},
    {"pkey_mprotect", "puRd"}, {"munmap", "pu"}, {"clone", "Cpppx"}, {"unshare", "C"}, {"setns", "dC"},
    {"kill", "dd"}, {"getpriority", "dd"}, {"setpriority", "ddd"}, {"getpid", ""}, {"getuid", ""}, {"tkill", "dd"}, {"tgkill", "ddd"}, {"ptrace", "ddpp"}, {"personality", "x"},
    {"fcntl", "ddx"}, {"dup", "d"}, {"dup2", "dd"}, {"dup3", "ddx"}, {"lseek", "ddd"},
    {"getdents64", "dpu"}, {"setuid", "d"}, {"setgid", "d"}, {"setresuid", "ddd"}, {"setresgid", "ddd"},
    {"sethostname", "su"}, {"setdomainname", "su"}, {"bpf", "dpu"}, {"perf_event_open", "pdddx"},
    {"keyctl", "dxxxx"}, {"add_key", "ssppd"}, {"request_key", "sssd"}, {"init_module", "pus"},
    {"finit_module", "dsx"}, {"delete_module", "sx"}, {"kexec_load", "xupx"}, {"reboot", "xxxp"},
    {"exit", "d"}, {"exit_group", "d"}, {"wait4", "dpxp"}, {"nanosleep", "pp"}, {"getrandom", "pux"},
    {"madvise", "pud"}, {"io_uring_setup", "up"}, {"userfaultfd", "x"}, {"brk", "p"},
    {"rt_sigaction", "dppu"}, {"rt_sigprocmask", "dppu"}, {"rt_sigreturn", ""}, {"arch_prctl", "xp"},
    {"set_tid_address", "p"}, {"set_robust_list", "pu"}, {"prlimit64", "ddpp"}, {"rseq", "puxx"},
    {"getppid", ""}, {"gettid", ""}, {"geteuid", ""}, {"getgid", ""}, {"getegid", ""}, {"uname", "p"},
    {"getcwd", "pu"}, {"clock_nanosleep", "ddpp"}, {"clock_gettime", "dp"}, {"sched_yield", ""},
    {"futex", "pdxpud"}, {"poll", "pud"}, {"ppoll", "pupp"}, {"select", "dpppp"}, {"pselect6", "dppppp"},
    {"epoll_create1", "x"}, {"epoll_ctl", "dddp"}, {"epoll_wait", "dpdd"}, {"epoll_pwait", "dpddp"},
    {"pipe", "p"}, {"pipe2", "px"}, {"getsockname", "dpp"}, {"getpeername", "dpp"}, {"sendfile", "ddpu"},
    {"writev", "dpu"}, {"readv", "dpu"}, {"getpgrp", ""}, {"setsid", ""}, {"setpgid", "dd"},
    {"alarm", "u"}, {"pause", ""}, {"sysinfo", "p"}, {"times", "p"}, {"umask", "M"}, {"sigaltstack", "pp"},
    {"vfork", ""}, {"fork", ""}, {"eventfd2", "ux"}, {"timerfd_create", "dx"}, {"signalfd4", "dpux"},
    {"sched_getaffinity", "dup"}, {"sched_setaffinity", "dup"}, {"capget", "pp"}, {"capset", "pp"}};

// O_RDONLY and friends are not bits: the access mode is the low two bits.
std::string access_mode_text(std::uint64_t flags) {
  switch (flags & O_ACCMODE) {
    case O_RDONLY: return "O_RDONLY";
    case O_WRONLY: return "O_WRONLY";
    case O_RDWR: return "O_RDWR";
    default: return "O_ACCMODE";
  }
}

std::string mode_text(std::uint64_t mode) {
  char text[16];
  std::snprintf(text, sizeof text, "0%llo", static_cast<unsigned long long>(mode & 07777));
  return text;
}

std::string string_arg(std::uint64_t address, const StringReader& read_string) {
  if (address == 0) return "NULL";
  auto text = read_string ? read_string(address) : std::nullopt;
  return text ? quoted_c_string(*text) : hex(address);
}

std::string arg_text(char kind, std::uint64_t value, const StringReader& read_string) {
  switch (kind) {
    case 'd': return std::to_string(static_cast<std::int32_t>(value));
    case 'u': return std::to_string(value);
    case 's': return string_arg(value, read_string);
    case 'D': return static_cast<std::int32_t>(value) == AT_FDCWD ? "AT_FDCWD" : std::to_string(static_cast<std::int32_t>(value));
    case 'O': return open_flags_text(value);
    case 'M': return mode_text(value);
    case 'F': return socket_family_text(value);
    case 'T': return socket_type_text(value);
    case 'C': return clone_flags_text(value);
    case 'I': return ioctl_request_text(value);
    case 'P': return prctl_option_text(value);
    case 'R': return prot_text(value);
    case 'm': return bits_text(value, kMapFlags);
    case 'p': return value == 0 ? "NULL" : hex(value);
    default: return hex(value);
  }
}

}  // namespace

std::string open_flags_text(std::uint64_t flags) {
  std::string text = access_mode_text(flags);
  // O_TMPFILE includes O_DIRECTORY; O_SYNC includes O_DSYNC: bits_text takes the larger first.
  const std::uint64_t rest = flags & ~static_cast<std::uint64_t>(O_ACCMODE);
  if (rest != 0) text += "|" + bits_text(rest, kOpenFlags);
  return text;
}

std::string socket_family_text(std::uint64_t family) { return value_text(family, kFamilies); }

std::string socket_type_text(std::uint64_t type) {
  std::string text = value_text(type & 0xf, kSocketTypes);
  if (type & SOCK_NONBLOCK) text += "|SOCK_NONBLOCK";
  if (type & SOCK_CLOEXEC) text += "|SOCK_CLOEXEC";
  const std::uint64_t rest = type & ~static_cast<std::uint64_t>(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (rest != 0) text += "|" + hex(rest);
  return text;
}

std::string clone_flags_text(std::uint64_t flags) {
  // The low byte of clone's flags is the signal sent to the parent at exit (SIGCHLD = 17).
  const std::uint64_t signal = flags & 0xff;
  std::string text = (flags & ~0xffULL) ? bits_text(flags & ~0xffULL, kCloneFlags) : "";
  if (signal != 0) text += (text.empty() ? "" : "|") + (signal == 17 ? std::string("SIGCHLD") : std::to_string(signal));
  return text.empty() ? "0" : text;
}

std::string ioctl_request_text(std::uint64_t request) {
  for (const auto& [v, name] : kIoctls) {
    if (v == (request & 0xffffffffULL)) return name;
  }
  return hex(request);
}

std::string prctl_option_text(std::uint64_t option) { return value_text(option, kPrctlOptions); }

std::string prot_text(std::uint64_t prot) { return prot == 0 ? "PROT_NONE" : bits_text(prot, kProt); }

std::string quoted_c_string(const std::string& text) {
  constexpr std::size_t kMax = 256;
  // The text comes from the container (paths, argv[0]) and goes to the user's terminal or log:
  // every control byte (ESC sequences, newlines that would fake report lines) and every byte
  // outside ASCII (C1 controls such as 0x9b CSI) is escaped. Test switch: "report-escaping".
  const bool escape = !defence_disabled("report-escaping");
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!escape) {
      out += static_cast<char>(c);
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\x%02x", c);
          out += esc;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  if (text.size() > kMax) out += "...";
  return out;
}

std::string errno_text(int err) {
  const char* name = ::strerrorname_np(err);
  return name ? name : std::to_string(err);
}

std::string format_call(int nr, const Args& args, const StringReader& read_string) {
  const char* name = syscall_name(nr);
  std::string text = name ? name : "syscall_" + std::to_string(nr);
  text += "(";
  auto signature = name ? kSignatures.find(name) : kSignatures.end();
  if (signature != kSignatures.end()) {
    for (std::size_t i = 0; i < signature->second.size() && i < args.size(); ++i) {
      const char kind = signature->second[i];
      if (kind == 'W' && (i == 0 || !(args[i - 1] & (O_CREAT | O_TMPFILE)))) continue;
      if (i) text += ", ";
      text += arg_text(kind == 'W' ? 'M' : kind, args[i], read_string);
    }
  } else {
    std::size_t shown = args.size();
    while (shown > 0 && args[shown - 1] == 0) --shown;
    for (std::size_t i = 0; i < shown; ++i) text += (i ? ", " : "") + hex(args[i]);
  }
  return text + ")";
}

}  // namespace launcher
