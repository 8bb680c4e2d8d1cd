// SPDX-License-Identifier: Apache-2.0
// The constant tables. Each entry is C(NAME): the name as text and the header's value, so a
// typo here fails to compile instead of silently giving a wrong number. Negative values
// (AT_FDCWD) are stored as their two's complement 64-bit pattern, as the kernel sees a long.
#include "compiler/seccomp/constants.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>


namespace policyc::seccomp {
namespace {

using Entry = std::pair<const char*, std::uint64_t>;
#define C(name) Entry{#name, static_cast<std::uint64_t>(static_cast<std::int64_t>(name))}

// Listed so that, for values with two names, the usual one comes first (errno_name picks it).
const std::vector<Entry>& errno_entries() {
  static const std::vector<Entry> entries = {
      C(EPERM), C(ENOENT), C(ESRCH), C(EINTR), C(EIO), C(ENXIO), C(E2BIG), C(ENOEXEC),
      C(EBADF), C(ECHILD), C(EAGAIN), C(EWOULDBLOCK), C(ENOMEM), C(EACCES), C(EFAULT),
      C(ENOTBLK), C(EBUSY), C(EEXIST), C(EXDEV), C(ENODEV), C(ENOTDIR), C(EISDIR), C(EINVAL),
      C(ENFILE), C(EMFILE), C(ENOTTY), C(ETXTBSY), C(EFBIG), C(ENOSPC), C(ESPIPE), C(EROFS),
      C(EMLINK), C(EPIPE), C(EDOM), C(ERANGE), C(EDEADLK), C(EDEADLOCK), C(ENAMETOOLONG),
      C(ENOLCK), C(ENOSYS), C(ENOTEMPTY), C(ELOOP), C(ENOMSG), C(EIDRM), C(ECHRNG),
      C(EL2NSYNC), C(EL3HLT), C(EL3RST), C(ELNRNG), C(EUNATCH), C(ENOCSI), C(EL2HLT),
      C(EBADE), C(EBADR), C(EXFULL), C(ENOANO), C(EBADRQC), C(EBADSLT), C(EBFONT), C(ENOSTR),
      C(ENODATA), C(ETIME), C(ENOSR), C(ENONET), C(ENOPKG), C(EREMOTE), C(ENOLINK), C(EADV),
      C(ESRMNT), C(ECOMM), C(EPROTO), C(EMULTIHOP), C(EDOTDOT), C(EBADMSG), C(EOVERFLOW),
      C(ENOTUNIQ), C(EBADFD), C(EREMCHG), C(ELIBACC), C(ELIBBAD), C(ELIBSCN), C(ELIBMAX),
      C(ELIBEXEC), C(EILSEQ), C(ERESTART), C(ESTRPIPE), C(EUSERS), C(ENOTSOCK),
      C(EDESTADDRREQ), C(EMSGSIZE), C(EPROTOTYPE), C(ENOPROTOOPT), C(EPROTONOSUPPORT),
      C(ESOCKTNOSUPPORT), C(EOPNOTSUPP), C(ENOTSUP), C(EPFNOSUPPORT), C(EAFNOSUPPORT),
      C(EADDRINUSE), C(EADDRNOTAVAIL), C(ENETDOWN), C(ENETUNREACH), C(ENETRESET),
      C(ECONNABORTED), C(ECONNRESET), C(ENOBUFS), C(EISCONN), C(ENOTCONN), C(ESHUTDOWN),
      C(ETOOMANYREFS), C(ETIMEDOUT), C(ECONNREFUSED), C(EHOSTDOWN), C(EHOSTUNREACH),
      C(EALREADY), C(EINPROGRESS), C(ESTALE), C(EUCLEAN), C(ENOTNAM), C(ENAVAIL), C(EISNAM),
      C(EREMOTEIO), C(EDQUOT), C(ENOMEDIUM), C(EMEDIUMTYPE), C(ECANCELED), C(ENOKEY),
      C(EKEYEXPIRED), C(EKEYREVOKED), C(EKEYREJECTED), C(EOWNERDEAD), C(ENOTRECOVERABLE),
      C(ERFKILL), C(EHWPOISON),
  };
  return entries;
}

const std::vector<Entry>& other_entries() {
  static const std::vector<Entry> entries = {
      // socket(2) domains, types and flags
      C(AF_UNSPEC), C(AF_UNIX), C(AF_LOCAL), C(AF_INET), C(AF_INET6), C(AF_NETLINK),
      C(AF_PACKET), C(AF_BLUETOOTH), C(AF_ALG), C(AF_VSOCK), C(AF_KEY), C(AF_XDP),
      C(AF_CAN), C(AF_TIPC), C(AF_RDS), C(AF_APPLETALK), C(AF_X25), C(AF_AX25), C(AF_IPX),
      C(PF_UNSPEC), C(PF_UNIX), C(PF_LOCAL), C(PF_INET), C(PF_INET6), C(PF_NETLINK),
      C(PF_PACKET), C(PF_BLUETOOTH), C(PF_ALG), C(PF_VSOCK), C(PF_KEY),
      C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_RAW), C(SOCK_RDM), C(SOCK_SEQPACKET),
      C(SOCK_PACKET), C(SOCK_NONBLOCK), C(SOCK_CLOEXEC),
      C(IPPROTO_IP), C(IPPROTO_ICMP), C(IPPROTO_TCP), C(IPPROTO_UDP), C(IPPROTO_IPV6),
      C(IPPROTO_ICMPV6), C(IPPROTO_RAW), C(IPPROTO_SCTP), C(IPPROTO_UDPLITE), C(IPPROTO_MPTCP),
      C(SOL_SOCKET), C(SO_REUSEADDR), C(SO_REUSEPORT), C(SO_KEEPALIVE), C(SO_BROADCAST),
      C(SO_RCVBUF), C(SO_SNDBUF), C(SO_LINGER), C(SO_ERROR), C(SO_TYPE),
      C(MSG_OOB), C(MSG_PEEK), C(MSG_DONTWAIT), C(MSG_NOSIGNAL), C(MSG_WAITALL),
      C(MSG_TRUNC), C(MSG_CMSG_CLOEXEC),
      // clone(2) / unshare(2) / setns(2)
      C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES), C(CLONE_SIGHAND), C(CLONE_PIDFD),
      C(CLONE_PTRACE), C(CLONE_VFORK), C(CLONE_PARENT), C(CLONE_THREAD), C(CLONE_NEWNS),
      C(CLONE_SYSVSEM), C(CLONE_SETTLS), C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID),
      C(CLONE_DETACHED), C(CLONE_UNTRACED), C(CLONE_CHILD_SETTID), C(CLONE_NEWCGROUP),
      C(CLONE_NEWUTS), C(CLONE_NEWIPC), C(CLONE_NEWUSER), C(CLONE_NEWPID), C(CLONE_NEWNET),
      C(CLONE_IO), C(CLONE_NEWTIME),
      // open(2) flags and *at(2) helpers
      C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_ACCMODE), C(O_CREAT), C(O_EXCL), C(O_NOCTTY),
      C(O_TRUNC), C(O_APPEND), C(O_NONBLOCK), C(O_NDELAY), C(O_DSYNC), C(O_SYNC), C(O_RSYNC),
      C(O_DIRECTORY), C(O_NOFOLLOW), C(O_CLOEXEC), C(O_ASYNC), C(O_DIRECT), C(O_LARGEFILE),
      C(O_NOATIME), C(O_PATH), C(O_TMPFILE),
      C(AT_FDCWD), C(AT_SYMLINK_NOFOLLOW), C(AT_REMOVEDIR), C(AT_SYMLINK_FOLLOW),
      C(AT_NO_AUTOMOUNT), C(AT_EMPTY_PATH), C(AT_EACCESS), C(AT_STATX_SYNC_AS_STAT),
      // fcntl(2)
      C(F_DUPFD), C(F_GETFD), C(F_SETFD), C(F_GETFL), C(F_SETFL), C(F_GETLK), C(F_SETLK),
      C(F_SETLKW), C(F_SETOWN), C(F_GETOWN), C(F_SETSIG), C(F_GETSIG), C(F_DUPFD_CLOEXEC),
      C(F_SETPIPE_SZ), C(F_GETPIPE_SZ), C(F_ADD_SEALS), C(F_GET_SEALS), C(F_OFD_GETLK),
      C(F_OFD_SETLK), C(F_OFD_SETLKW), C(FD_CLOEXEC),
      // mmap(2) / mprotect(2)
      C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC), C(PROT_GROWSDOWN),
      C(PROT_GROWSUP), C(MAP_SHARED), C(MAP_PRIVATE), C(MAP_SHARED_VALIDATE), C(MAP_FIXED),
      C(MAP_ANONYMOUS), C(MAP_ANON), C(MAP_GROWSDOWN), C(MAP_DENYWRITE), C(MAP_EXECUTABLE),
      C(MAP_LOCKED), C(MAP_NORESERVE), C(MAP_POPULATE), C(MAP_NONBLOCK), C(MAP_STACK),
      C(MAP_HUGETLB), C(MAP_FIXED_NOREPLACE), C(MAP_32BIT),
      // prctl(2)
      C(PR_SET_PDEATHSIG), C(PR_GET_PDEATHSIG), C(PR_GET_DUMPABLE), C(PR_SET_DUMPABLE),
      C(PR_SET_NAME), C(PR_GET_NAME), C(PR_GET_SECCOMP), C(PR_SET_SECCOMP),
      C(PR_CAPBSET_READ), C(PR_CAPBSET_DROP), C(PR_SET_NO_NEW_PRIVS), C(PR_GET_NO_NEW_PRIVS),
      C(PR_SET_KEEPCAPS), C(PR_GET_KEEPCAPS), C(PR_SET_CHILD_SUBREAPER),
      C(PR_GET_CHILD_SUBREAPER), C(PR_SET_MM), C(PR_CAP_AMBIENT), C(PR_SET_TIMERSLACK),
      C(PR_GET_TIMERSLACK), C(PR_SET_THP_DISABLE), C(PR_GET_THP_DISABLE),
      C(PR_SET_SECUREBITS), C(PR_GET_SECUREBITS), C(PR_SET_VMA),
      // ioctl(2) requests commonly filtered
      C(TIOCSTI), C(TIOCGWINSZ), C(TIOCSWINSZ), C(TIOCGPGRP), C(TIOCSPGRP), C(TIOCSCTTY),
      C(TIOCNOTTY), C(TIOCGPTN), C(TIOCSPTLCK), C(TIOCLINUX), C(TIOCCONS), C(TIOCGSID),
      C(TCGETS), C(TCSETS), C(TCSETSW), C(TCSETSF), C(FIONREAD), C(FIONBIO), C(FIOCLEX),
      C(FIONCLEX), C(FIOASYNC),
      // personality(2)
      C(PER_LINUX), C(PER_LINUX32), C(PER_LINUX_32BIT), C(PER_BSD), C(PER_SVR4),
      C(UNAME26), C(ADDR_NO_RANDOMIZE), C(READ_IMPLIES_EXEC), C(ADDR_LIMIT_32BIT),
      C(MMAP_PAGE_ZERO), C(ADDR_COMPAT_LAYOUT), C(STICKY_TIMEOUTS), C(SHORT_INODE),
      C(WHOLE_SECONDS), C(ADDR_LIMIT_3GB),
      // signals (kill, tgkill, rt_sigaction)
      C(SIGHUP), C(SIGINT), C(SIGQUIT), C(SIGILL), C(SIGTRAP), C(SIGABRT), C(SIGBUS),
      C(SIGFPE), C(SIGKILL), C(SIGUSR1), C(SIGSEGV), C(SIGUSR2), C(SIGPIPE), C(SIGALRM),
      C(SIGTERM), C(SIGCHLD), C(SIGCONT), C(SIGSTOP), C(SIGTSTP), C(SIGTTIN), C(SIGTTOU),
      C(SIGSYS), C(SIGWINCH), C(SIGIO), C(SIGPWR),
      // futex(2)
      C(FUTEX_WAIT), C(FUTEX_WAKE), C(FUTEX_REQUEUE), C(FUTEX_CMP_REQUEUE), C(FUTEX_WAKE_OP),
      C(FUTEX_WAIT_BITSET), C(FUTEX_WAKE_BITSET), C(FUTEX_PRIVATE_FLAG),
      C(FUTEX_CLOCK_REALTIME), C(FUTEX_LOCK_PI), C(FUTEX_UNLOCK_PI),
      // epoll, eventfd, wait, stat modes, misc
      C(EPOLL_CLOEXEC), C(EPOLL_CTL_ADD), C(EPOLL_CTL_DEL), C(EPOLL_CTL_MOD), C(EFD_CLOEXEC),
      C(EFD_NONBLOCK), C(EFD_SEMAPHORE), C(WNOHANG), C(WUNTRACED), C(WEXITED), C(WSTOPPED),
      C(WCONTINUED), C(WNOWAIT), C(__WALL), C(__WCLONE), C(S_IFMT), C(S_IFREG), C(S_IFDIR),
      C(S_IFCHR), C(S_IFBLK), C(S_IFIFO), C(S_IFLNK), C(S_IFSOCK), C(S_ISUID), C(S_ISGID),
      C(S_ISVTX), C(F_OK), C(R_OK), C(W_OK), C(X_OK), C(SEEK_SET), C(SEEK_CUR), C(SEEK_END),
  };
  return entries;
}
#undef C

const std::map<std::string, std::uint64_t>& constant_map() {
  static const std::map<std::string, std::uint64_t> map = [] {
    std::map<std::string, std::uint64_t> m;
    for (const auto& [name, value] : errno_entries()) m.emplace(name, value);
    for (const auto& [name, value] : other_entries()) m.emplace(name, value);
    return m;
  }();
  return map;
}

}  // namespace

std::optional<std::uint64_t> constant_value(const std::string& name) {
  const auto& map = constant_map();
  auto it = map.find(name);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& all_constant_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, value] : constant_map()) out.push_back(name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& all_errno_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, value] : errno_entries()) out.push_back(name);
    return out;
  }();
  return names;
}

std::optional<int> errno_value(const std::string& name) {
  for (const auto& [entry_name, value] : errno_entries()) {
    if (name == entry_name) return static_cast<int>(value);
  }
  return std::nullopt;
}

std::string errno_name(int value) {
  for (const auto& [name, entry_value] : errno_entries()) {
    if (static_cast<int>(entry_value) == value) return name;
  }
  return std::to_string(value);
}

}  // namespace policyc::seccomp
