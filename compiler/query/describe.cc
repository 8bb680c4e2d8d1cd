// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/describe.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "compiler/query/bpf_explore.h"
#include "compiler/seccomp/constants.h"

namespace policyc::query {
namespace {

// A family of constants: `choices` name the value of the bits under `choice_mask` (one of
// them), `flags` name single bits or bit groups above them. Values come from constants.h.
struct Family {
  std::uint64_t choice_mask;
  std::vector<const char*> choices;
  std::vector<const char*> flags;
  bool choice_last = false;  // clone's exit signal reads last: CLONE_VM|SIGCHLD, as strace writes it
  bool zero_choice = false;  // a choice worth 0 is written next to flags (O_RDONLY|O_CLOEXEC, not PER_LINUX|UNAME26)
};

const Family kAddressFamily{~0ULL, {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET", "AF_UNSPEC", "AF_BLUETOOTH",
                                    "AF_ALG", "AF_VSOCK", "AF_KEY", "AF_XDP", "AF_CAN", "AF_TIPC", "AF_RDS", "AF_APPLETALK",
                                    "AF_X25", "AF_AX25", "AF_IPX"}, {}};
const Family kSocketType{0xf, {"SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET", "SOCK_PACKET"},
                         {"SOCK_NONBLOCK", "SOCK_CLOEXEC"}};
const Family kProtocol{~0ULL, {"IPPROTO_IP", "IPPROTO_ICMP", "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_IPV6", "IPPROTO_ICMPV6",
                               "IPPROTO_RAW", "IPPROTO_SCTP", "IPPROTO_UDPLITE", "IPPROTO_MPTCP"}, {}};
const Family kOpenFlags{3, {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"},
                        {"O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_SYNC", "O_DSYNC", "O_TMPFILE",
                         "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC", "O_ASYNC", "O_DIRECT", "O_LARGEFILE", "O_NOATIME", "O_PATH"},
                        false, true};
const Family kCloneFlags{0xff, {"SIGCHLD", "SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGKILL"},
                         {"CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND", "CLONE_PIDFD", "CLONE_PTRACE", "CLONE_VFORK",
                          "CLONE_PARENT", "CLONE_THREAD", "CLONE_NEWNS", "CLONE_SYSVSEM", "CLONE_SETTLS",
                          "CLONE_PARENT_SETTID", "CLONE_CHILD_CLEARTID", "CLONE_UNTRACED", "CLONE_CHILD_SETTID",
                          "CLONE_NEWCGROUP", "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWNET",
                          "CLONE_IO", "CLONE_NEWTIME"},
                         true};
const Family kProt{~0ULL, {"PROT_NONE"}, {"PROT_READ", "PROT_WRITE", "PROT_EXEC", "PROT_GROWSDOWN", "PROT_GROWSUP"}};
const Family kMapFlags{3, {"MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"},
                       {"MAP_FIXED", "MAP_ANONYMOUS", "MAP_GROWSDOWN", "MAP_DENYWRITE", "MAP_EXECUTABLE", "MAP_LOCKED",
                        "MAP_NORESERVE", "MAP_POPULATE", "MAP_NONBLOCK", "MAP_STACK", "MAP_HUGETLB",
                        "MAP_FIXED_NOREPLACE", "MAP_32BIT"}};
const Family kPrctl{~0ULL, {"PR_SET_PDEATHSIG", "PR_GET_PDEATHSIG", "PR_GET_DUMPABLE", "PR_SET_DUMPABLE", "PR_SET_NAME",
                            "PR_GET_NAME", "PR_GET_SECCOMP", "PR_SET_SECCOMP", "PR_CAPBSET_READ", "PR_CAPBSET_DROP",
                            "PR_SET_NO_NEW_PRIVS", "PR_GET_NO_NEW_PRIVS", "PR_SET_KEEPCAPS", "PR_GET_KEEPCAPS",
                            "PR_SET_CHILD_SUBREAPER", "PR_GET_CHILD_SUBREAPER", "PR_SET_MM", "PR_CAP_AMBIENT",
                            "PR_SET_TIMERSLACK", "PR_GET_TIMERSLACK", "PR_SET_THP_DISABLE", "PR_GET_THP_DISABLE",
                            "PR_SET_SECUREBITS", "PR_GET_SECUREBITS", "PR_SET_VMA"}, {}};
const Family kFcntl{~0ULL, {"F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_GETLK", "F_SETLK", "F_SETLKW",
                            "F_SETOWN", "F_GETOWN", "F_SETSIG", "F_GETSIG", "F_DUPFD_CLOEXEC", "F_SETPIPE_SZ",
                            "F_GETPIPE_SZ", "F_ADD_SEALS", "F_GET_SEALS", "F_OFD_GETLK", "F_OFD_SETLK", "F_OFD_SETLKW"}, {}};
const Family kIoctl{~0ULL, {"TIOCSTI", "TIOCGWINSZ", "TIOCSWINSZ", "TIOCGPGRP", "TIOCSPGRP", "TIOCSCTTY", "TIOCNOTTY",
                            "TIOCGPTN", "TIOCSPTLCK", "TIOCLINUX", "TIOCCONS", "TIOCGSID", "TCGETS", "TCSETS", "TCSETSW",
                            "TCSETSF", "FIONREAD", "FIONBIO", "FIOCLEX", "FIONCLEX", "FIOASYNC"}, {}};
const Family kPersonality{0xff, {"PER_LINUX", "PER_LINUX32", "PER_BSD", "PER_SVR4"},
                          {"UNAME26", "ADDR_NO_RANDOMIZE", "READ_IMPLIES_EXEC", "ADDR_LIMIT_32BIT", "MMAP_PAGE_ZERO",
                           "ADDR_COMPAT_LAYOUT", "STICKY_TIMEOUTS", "SHORT_INODE", "WHOLE_SECONDS", "ADDR_LIMIT_3GB"}};
const Family kDirFd{~0ULL, {"AT_FDCWD"}, {}};
const Family kSignal{~0ULL, {"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
                             "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGCHLD", "SIGCONT",
                             "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGSYS", "SIGWINCH", "SIGIO", "SIGPWR"}, {}};
const Family kFutex{0x7f, {"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
                           "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI"},
                    {"FUTEX_PRIVATE_FLAG", "FUTEX_CLOCK_REALTIME"}};
const Family kMsgFlags{~0ULL, {}, {"MSG_OOB", "MSG_PEEK", "MSG_DONTWAIT", "MSG_NOSIGNAL", "MSG_WAITALL", "MSG_TRUNC",
                                   "MSG_CMSG_CLOEXEC"}};

const Family* family_of(const std::string& syscall, unsigned arg) {
  static const std::map<std::pair<std::string, unsigned>, const Family*> table = {
      {{"socket", 0}, &kAddressFamily}, {{"socketpair", 0}, &kAddressFamily}, {{"socket", 1}, &kSocketType},
      {{"socketpair", 1}, &kSocketType}, {{"socket", 2}, &kProtocol}, {{"open", 1}, &kOpenFlags},
      {{"openat", 2}, &kOpenFlags}, {{"clone", 0}, &kCloneFlags}, {{"unshare", 0}, &kCloneFlags},
      {{"setns", 1}, &kCloneFlags}, {{"mmap", 2}, &kProt}, {{"mprotect", 2}, &kProt}, {{"pkey_mprotect", 2}, &kProt},
      {{"mmap", 3}, &kMapFlags}, {{"prctl", 0}, &kPrctl}, {{"fcntl", 1}, &kFcntl}, {{"ioctl", 1}, &kIoctl},
      {{"personality", 0}, &kPersonality}, {{"kill", 1}, &kSignal}, {{"tkill", 1}, &kSignal},
      {{"tgkill", 2}, &kSignal}, {{"futex", 1}, &kFutex}, {{"sendto", 3}, &kMsgFlags}, {{"recvfrom", 3}, &kMsgFlags},
      {{"sendmsg", 2}, &kMsgFlags}, {{"recvmsg", 2}, &kMsgFlags}, {{"send", 3}, &kMsgFlags}, {{"recv", 3}, &kMsgFlags}};
  if (const auto it = table.find({syscall, arg}); it != table.end()) return it->second;
  // The *at calls take a directory fd first (execveat, statx too).
  const bool at_call = (syscall.size() > 2 && syscall.ends_with("at")) || syscall == "statx" || syscall == "execveat" ||
                       syscall == "faccessat2" || syscall == "fchmodat2" || syscall == "openat2";
  if (arg == 0 && at_call) return &kDirFd;
  return nullptr;
}

// The constant's value as the argument carries it: its 64-bit pattern, or (u32 comparisons,
// 32-bit ABIs) its low word.
bool same_value(std::uint64_t constant, std::uint64_t value) {
  return constant == value || (value <= 0xffffffffULL && constant > 0xffffffffULL && (constant & 0xffffffffULL) == value);
}

// `as_mask`: a mask names its bits only (O_CLOEXEC, not O_RDONLY|O_CLOEXEC).
std::optional<std::string> named(const Family& family, std::uint64_t value, bool as_mask) {
  for (const char* name : family.choices) {
    if (same_value(*seccomp::constant_value(name), value)) return name;
  }
  if (family.choice_mask == ~0ULL) {  // otherwise a lone flag still names its choice: O_RDONLY|O_CLOEXEC
    for (const char* name : family.flags) {
      if (same_value(*seccomp::constant_value(name), value)) return name;
    }
  }
  if (family.flags.empty()) return std::nullopt;
  // Flags: the choice under choice_mask, then each flag whose bits are all set, in order.
  std::string choice, flags;
  std::uint64_t rest = value;
  if (family.choice_mask != ~0ULL) {
    for (const char* name : family.choices) {
      const std::uint64_t choice_value = *seccomp::constant_value(name);
      if (choice_value == (value & family.choice_mask) && !((as_mask || !family.zero_choice) && choice_value == 0)) {
        choice = name;
        rest &= ~family.choice_mask;
        break;
      }
    }
  }
  for (const char* name : family.flags) {
    const std::uint64_t bits = *seccomp::constant_value(name);
    if (bits != 0 && (rest & bits) == bits) {
      flags += (flags.empty() ? "" : "|") + std::string(name);
      rest &= ~bits;
    }
  }
  if (rest != 0 || (choice.empty() && flags.empty())) return std::nullopt;
  if (choice.empty() || flags.empty()) return choice + flags;
  return family.choice_last ? flags + "|" + choice : choice + "|" + flags;
}

const char* cmp_text(Cmp cmp, bool truth) {
  switch (cmp) {
    case Cmp::Eq: return truth ? "==" : "!=";
    case Cmp::Ne: return truth ? "!=" : "==";
    case Cmp::Lt: return truth ? "<" : ">=";
    case Cmp::Le: return truth ? "<=" : ">";
    case Cmp::Gt: return truth ? ">" : "<=";
    case Cmp::Ge: return truth ? ">=" : "<";
  }
  return "?";
}

// A variable: what is compared (`var`, all of whose bits are `domain`), under a mask.
struct Var {
  std::string text;
  std::uint64_t domain = ~0ULL;
};

std::string lhs_text(const std::string& syscall, const Var& var, unsigned arg, std::uint64_t mask) {
  if (mask == var.domain) return var.text;
  if (mask == 0xffffffffULL) return "u32(" + var.text + ")";
  return "(" + var.text + " & " + value_text(syscall, arg, mask, true) + ")";
}

std::vector<Interval> complement(const std::vector<Interval>& ranges, std::uint64_t top) {
  std::vector<Interval> out;
  std::uint64_t next = 0;
  bool done = false;
  for (const Interval& r : ranges) {
    if (r.lo > next) out.push_back({next, r.lo - 1});
    if (r.hi >= top) {
      done = true;
      break;
    }
    next = r.hi + 1;
  }
  if (!done && next <= top) out.push_back({next, top});
  return out;
}

std::string ranges_text(const std::string& syscall, const Var& var, unsigned arg, std::uint64_t mask,
                        const std::vector<Interval>& ranges) {
  const std::string lhs = lhs_text(syscall, var, arg, mask);
  auto value = [&](std::uint64_t v) { return value_text(syscall, arg, v); };
  const std::vector<Interval> others = complement(ranges, mask);
  const bool others_points = std::all_of(others.begin(), others.end(), [](const Interval& r) { return r.lo == r.hi; });
  std::string out;
  // A few excluded values read better as `!=` than the ranges between them.
  const bool one_point = ranges.size() == 1 && ranges[0].lo == ranges[0].hi;
  if (others_points && !others.empty() && others.size() <= 8 && !one_point) {
    for (const Interval& r : others) out += (out.empty() ? "" : " && ") + lhs + " != " + value(r.lo);
    return out;
  }
  for (const Interval& r : ranges) {
    std::string piece;
    if (r.lo == r.hi) piece = lhs + " == " + value(r.lo);
    else if (r.lo == 0) piece = lhs + " <= " + number_text(r.hi);
    else if (r.hi >= mask) piece = lhs + " >= " + number_text(r.lo);
    else piece = number_text(r.lo) + " <= " + lhs + " <= " + number_text(r.hi);
    out += (out.empty() ? "" : " || ") + piece;
  }
  return out;
}

std::string literals_text(const std::string& syscall, const Var& var, unsigned arg,
                          const std::vector<std::vector<Literal>>& any_of) {
  std::string out;
  for (const auto& conjunction : any_of) {
    std::string all;
    for (const auto& [test, truth] : conjunction) {
      all += (all.empty() ? "" : " && ") + lhs_text(syscall, var, arg, test.mask) + " " + cmp_text(test.cmp, truth) + " " +
             value_text(syscall, arg, test.value);
    }
    if (any_of.size() > 1 && conjunction.size() > 1) all = "(" + all + ")";
    out += (out.empty() ? "" : " || ") + all;
  }
  return out;
}

std::string constraint_text(const std::string& syscall, const Var& var, unsigned arg, const Constraint& c) {
  return c.interval_form ? ranges_text(syscall, var, arg, c.mask, c.ranges) : literals_text(syscall, var, arg, c.any_of);
}

}  // namespace

std::string ret_text(std::uint32_t ret) {
  const std::uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return "allow";
    case SECCOMP_RET_ERRNO: return "errno(" + seccomp::errno_name(static_cast<int>(data)) + ")";
    case SECCOMP_RET_KILL_PROCESS: return "kill_process";
    case SECCOMP_RET_KILL_THREAD: return "kill_thread";
    case SECCOMP_RET_TRAP: return data ? "trap(" + std::to_string(data) + ")" : "trap";
    case SECCOMP_RET_TRACE: return "trace(" + std::to_string(data) + ")";
    case SECCOMP_RET_LOG: return "log";
    case SECCOMP_RET_USER_NOTIF: return "notify";
    default: {
      char text[32];
      std::snprintf(text, sizeof text, "return 0x%08x", ret);
      return text;
    }
  }
}

std::string number_text(std::uint64_t value) {
  if (value < 0x1000) return std::to_string(value);
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string value_text(const std::string& syscall, unsigned arg, std::uint64_t value, bool as_mask) {
  if (const Family* family = family_of(syscall, arg)) {
    if (auto name = named(*family, value, as_mask)) return *name;
  }
  return number_text(value);
}

std::string arg_constraint_text(const std::string& syscall, const Constraint& c) {
  return constraint_text(syscall, {"arg" + std::to_string(c.var)}, c.var, c);
}

std::vector<std::string> word_constraints_text(const std::string& syscall, const std::vector<Constraint>& constraints) {
  std::vector<std::string> out;
  auto find = [&](unsigned word) -> const Constraint* {
    for (const Constraint& c : constraints) {
      if (c.var == word) return &c;
    }
    return nullptr;
  };
  for (unsigned arg = 0; arg < 6; ++arg) {
    const Constraint* low = find(arg_low_word(arg));
    const Constraint* high = find(arg_high_word(arg));
    const std::string var = "arg" + std::to_string(arg);
    const bool high_point = high && high->interval_form && high->mask == 0xffffffffULL && high->ranges.size() == 1 &&
                            high->ranges[0].lo == high->ranges[0].hi;
    if (high_point && (!low || (low->interval_form && low->mask == 0xffffffffULL))) {
      // One high word: the argument's own ranges, high word on top of the low word's.
      const std::uint64_t top = high->ranges[0].lo << 32;
      std::vector<Interval> whole;
      if (low) {
        for (const Interval& r : low->ranges) whole.push_back({top | r.lo, top | r.hi});
      } else {
        whole.push_back({top, top | 0xffffffffULL});
      }
      out.push_back(ranges_text(syscall, {var}, arg, ~0ULL, whole));
      continue;
    }
    if (high) out.push_back(constraint_text(syscall, {"(" + var + " >> 32)", 0xffffffffULL}, arg, *high));
    if (low) out.push_back(constraint_text(syscall, {"u32(" + var + ")", 0xffffffffULL}, arg, *low));
  }
  for (unsigned word : {2U, 3U}) {
    if (const Constraint* c = find(word)) {
      out.push_back(constraint_text(syscall, {word == 2 ? "u32(instruction_pointer)" : "(instruction_pointer >> 32)", 0xffffffffULL}, 99, *c));
    }
  }
  return out;
}

}  // namespace policyc::query
