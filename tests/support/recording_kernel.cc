// SPDX-License-Identifier: Apache-2.0
#include "tests/support/recording_kernel.h"

#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace testsupport {

namespace {

struct Flag {
  unsigned long long bit;
  const char* name;
};

// Known bits by name (in this order), the rest in hex; "0" when none.
std::string flags_text(unsigned long long flags, std::initializer_list<Flag> known) {
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : "|") + part; };
  for (const Flag& f : known) {
    if (f.bit != 0 && (flags & f.bit) == f.bit) {
      add(f.name);
      flags &= ~f.bit;
    }
  }
  if (flags != 0) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", flags);
    add(hex);
  }
  return text.empty() ? "0" : text;
}

// A path or name as is; "" when empty (fstatat(fd, "", AT_EMPTY_PATH)), NULL when absent.
std::string str(const char* s) { return !s ? "NULL" : *s ? s : "\"\""; }

// A data string in double quotes with C escapes, so "0 0 1\n" stays one line.
std::string quoted(const char* data, std::size_t size) {
  std::string text = "\"";
  for (std::size_t i = 0; i < size; ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    if (c == '\n') text += "\\n";
    else if (c == '"' || c == '\\') text += std::string("\\") + static_cast<char>(c);
    else if (c < 0x20 || c >= 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\x%02x", c);
      text += esc;
    } else text += static_cast<char>(c);
  }
  return text + "\"";
}

std::string quoted(const char* s) { return s ? quoted(s, std::strlen(s)) : "NULL"; }

std::string dirfd_text(int dirfd) { return dirfd == AT_FDCWD ? "AT_FDCWD" : std::to_string(dirfd); }

std::string octal(unsigned mode) {
  char text[16];
  std::snprintf(text, sizeof text, "0%o", mode);
  return text;
}

std::string at_flags_text(int flags) {
  return flags_text(static_cast<unsigned>(flags), {{AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
                                                   {AT_EMPTY_PATH, "AT_EMPTY_PATH"},
                                                   {AT_RECURSIVE, "AT_RECURSIVE"}});
}

std::string file_type_and_mode(mode_t mode) {
  const char* type = S_ISCHR(mode) ? "S_IFCHR|" : S_ISBLK(mode) ? "S_IFBLK|" : S_ISFIFO(mode) ? "S_IFIFO|"
                   : S_ISREG(mode) ? "S_IFREG|" : S_ISSOCK(mode) ? "S_IFSOCK|" : "";
  return type + octal(mode & 07777);
}

std::string rlimit_value(rlim_t value) { return value == RLIM_INFINITY ? "RLIM_INFINITY" : std::to_string(value); }

std::string rlimit_text(const struct rlimit* limit) {
  if (!limit) return "NULL";
  return "{" + rlimit_value(limit->rlim_cur) + ", " + rlimit_value(limit->rlim_max) + "}";
}

std::string rlimit_resource_text(int resource) {
  static const char* const names[] = {"RLIMIT_CPU",   "RLIMIT_FSIZE",   "RLIMIT_DATA",     "RLIMIT_STACK",
                                      "RLIMIT_CORE",  "RLIMIT_RSS",     "RLIMIT_NPROC",    "RLIMIT_NOFILE",
                                      "RLIMIT_MEMLOCK", "RLIMIT_AS",    "RLIMIT_LOCKS",    "RLIMIT_SIGPENDING",
                                      "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",   "RLIMIT_RTTIME"};
  if (resource >= 0 && resource < static_cast<int>(std::size(names))) return names[resource];
  return std::to_string(resource);
}

std::string prctl_text(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5) {
  std::string name, second = std::to_string(arg2);
  switch (option) {
    case PR_SET_PDEATHSIG: name = "PR_SET_PDEATHSIG"; break;
    case PR_SET_KEEPCAPS: name = "PR_SET_KEEPCAPS"; break;
    case PR_CAPBSET_DROP: name = "PR_CAPBSET_DROP"; break;
    case PR_SET_NO_NEW_PRIVS: name = "PR_SET_NO_NEW_PRIVS"; break;
    case PR_SET_DUMPABLE: name = "PR_SET_DUMPABLE"; break;
    case PR_CAP_AMBIENT:
      name = "PR_CAP_AMBIENT";
      if (arg2 == PR_CAP_AMBIENT_RAISE) second = "PR_CAP_AMBIENT_RAISE";
      if (arg2 == PR_CAP_AMBIENT_LOWER) second = "PR_CAP_AMBIENT_LOWER";
      if (arg2 == PR_CAP_AMBIENT_CLEAR_ALL) second = "PR_CAP_AMBIENT_CLEAR_ALL";
      if (arg2 == PR_CAP_AMBIENT_IS_SET) second = "PR_CAP_AMBIENT_IS_SET";
      break;
    default: name = std::to_string(option);
  }
  return "prctl(" + name + ", " + second + ", " + std::to_string(arg3) + ", " + std::to_string(arg4) + ", " +
         std::to_string(arg5) + ")";
}

std::string clone_flags_text(int flags) {
  return flags_text(static_cast<unsigned>(flags),
                    {{CLONE_FILES, "CLONE_FILES"},         {CLONE_FS, "CLONE_FS"},
                     {CLONE_NEWNS, "CLONE_NEWNS"},         {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
                     {CLONE_NEWUTS, "CLONE_NEWUTS"},       {CLONE_NEWIPC, "CLONE_NEWIPC"},
                     {CLONE_NEWUSER, "CLONE_NEWUSER"},     {CLONE_NEWPID, "CLONE_NEWPID"},
                     {CLONE_NEWNET, "CLONE_NEWNET"},       {CLONE_NEWTIME, "CLONE_NEWTIME"}});
}

std::string mount_attr_text(const mount_attr* attr) {
  if (!attr) return "NULL";
  auto bits = [](unsigned long long b) {
    return flags_text(b, {{MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY"},   {MOUNT_ATTR_NOSUID, "MOUNT_ATTR_NOSUID"},
                          {MOUNT_ATTR_NODEV, "MOUNT_ATTR_NODEV"},     {MOUNT_ATTR_NOEXEC, "MOUNT_ATTR_NOEXEC"},
                          {MOUNT_ATTR_NOATIME, "MOUNT_ATTR_NOATIME"}, {MOUNT_ATTR_STRICTATIME, "MOUNT_ATTR_STRICTATIME"},
                          {MOUNT_ATTR_NODIRATIME, "MOUNT_ATTR_NODIRATIME"}, {MOUNT_ATTR_IDMAP, "MOUNT_ATTR_IDMAP"},
                          {MOUNT_ATTR_NOSYMFOLLOW, "MOUNT_ATTR_NOSYMFOLLOW"}});
  };
  std::string text = "{set=" + bits(attr->attr_set) + ", clr=" + bits(attr->attr_clr);
  if (attr->propagation != 0) text += ", propagation=" + mount_flags_text(attr->propagation);
  if (attr->userns_fd != 0) text += ", userns_fd=" + std::to_string(attr->userns_fd);
  return text + "}";
}

std::string resolve_text(unsigned long long resolve) {
  return flags_text(resolve, {{RESOLVE_NO_XDEV, "RESOLVE_NO_XDEV"},
                              {RESOLVE_NO_MAGICLINKS, "RESOLVE_NO_MAGICLINKS"},
                              {RESOLVE_NO_SYMLINKS, "RESOLVE_NO_SYMLINKS"},
                              {RESOLVE_BENEATH, "RESOLVE_BENEATH"},
                              {RESOLVE_IN_ROOT, "RESOLVE_IN_ROOT"},
                              {RESOLVE_CACHED, "RESOLVE_CACHED"}});
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::string mount_flags_text(unsigned long flags) {
  return flags_text(flags, {{MS_RDONLY, "MS_RDONLY"},       {MS_NOSUID, "MS_NOSUID"},
                            {MS_NODEV, "MS_NODEV"},         {MS_NOEXEC, "MS_NOEXEC"},
                            {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {MS_REMOUNT, "MS_REMOUNT"},
                            {MS_MANDLOCK, "MS_MANDLOCK"},   {MS_DIRSYNC, "MS_DIRSYNC"},
                            {MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"}, {MS_NOATIME, "MS_NOATIME"},
                            {MS_NODIRATIME, "MS_NODIRATIME"}, {MS_BIND, "MS_BIND"},
                            {MS_MOVE, "MS_MOVE"},           {MS_REC, "MS_REC"},
                            {MS_SILENT, "MS_SILENT"},       {MS_POSIXACL, "MS_POSIXACL"},
                            {MS_UNBINDABLE, "MS_UNBINDABLE"}, {MS_PRIVATE, "MS_PRIVATE"},
                            {MS_SLAVE, "MS_SLAVE"},         {MS_SHARED, "MS_SHARED"},
                            {MS_RELATIME, "MS_RELATIME"},   {MS_I_VERSION, "MS_I_VERSION"},
                            {MS_STRICTATIME, "MS_STRICTATIME"}, {MS_LAZYTIME, "MS_LAZYTIME"}});
}

std::string open_flags_text(int flags) {
  const int access = flags & O_ACCMODE;
  const char* mode = access == O_WRONLY ? "O_WRONLY" : access == O_RDWR ? "O_RDWR" : "O_RDONLY";
  const unsigned rest = static_cast<unsigned>(flags & ~O_ACCMODE);
  const std::string others =
      flags_text(rest, {{O_CREAT, "O_CREAT"},       {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
                        {O_TRUNC, "O_TRUNC"},       {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
                        {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_CLOEXEC, "O_CLOEXEC"},
                        {O_PATH, "O_PATH"}});
  // O_PATH ignores the access mode: leave the O_RDONLY (0) out then.
  if ((flags & O_PATH) && access == O_RDONLY) return others;
  return rest == 0 ? mode : std::string(mode) + "|" + others;
}

std::string capability_set_text(std::uint64_t bits) {
  std::string text;
  for (int cap = 0; cap < 64; ++cap) {
    if (bits & (std::uint64_t{1} << cap)) text += (text.empty() ? "" : ",") + std::to_string(cap);
  }
  return "{" + text + "}";
}

void RecordingKernel::fail(const std::string& call, int err, int times) {
  failures_.push_back(Failure{call, err, times});
}

int RecordingKernel::record(std::string line) {
  calls_.push_back(std::move(line));
  const std::string& recorded = calls_.back();
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    const std::string& p = it->prefix;
    if (recorded.compare(0, p.size(), p) != 0) continue;
    // "close" must not match "close_range(", nor "..., 4" match "..., 40".
    if (recorded.size() > p.size() && !p.empty() && is_word_char(p.back()) && is_word_char(recorded[p.size()])) {
      continue;
    }
    const int err = it->err;
    if (it->remaining > 0 && --it->remaining == 0) failures_.erase(it);
    errno = err;
    return -1;
  }
  return 0;
}

int RecordingKernel::mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                           const void* data) {
  return record("mount(" + str(source) + ", " + str(target) + ", " + str(fstype) + ", " + mount_flags_text(flags) +
                ", " + quoted(static_cast<const char*>(data)) + ")");
}

int RecordingKernel::umount2(const char* target, int flags) {
  return record("umount2(" + str(target) + ", " +
                flags_text(static_cast<unsigned>(flags), {{MNT_FORCE, "MNT_FORCE"},
                                                          {MNT_DETACH, "MNT_DETACH"},
                                                          {MNT_EXPIRE, "MNT_EXPIRE"},
                                                          {UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"}}) +
                ")");
}

int RecordingKernel::mount_setattr(int dirfd, const char* path, unsigned flags, mount_attr* attr, std::size_t) {
  return record("mount_setattr(" + dirfd_text(dirfd) + ", " + str(path) + ", " +
                at_flags_text(static_cast<int>(flags)) + ", " + mount_attr_text(attr) + ")");
}

int RecordingKernel::pivot_root(const char* new_root, const char* put_old) {
  return record("pivot_root(" + str(new_root) + ", " + str(put_old) + ")");
}

int RecordingKernel::chroot(const char* path) { return record("chroot(" + str(path) + ")"); }

int RecordingKernel::chdir(const char* path) { return record("chdir(" + str(path) + ")"); }

int RecordingKernel::fchdir(int fd) { return record("fchdir(" + std::to_string(fd) + ")"); }

int RecordingKernel::open_tree(int dirfd, const char* path, unsigned flags) {
  if (record("open_tree(" + dirfd_text(dirfd) + ", " + str(path) + ", " +
             flags_text(flags, {{OPEN_TREE_CLONE, "OPEN_TREE_CLONE"},
                                {OPEN_TREE_CLOEXEC, "OPEN_TREE_CLOEXEC"},
                                {AT_RECURSIVE, "AT_RECURSIVE"},
                                {AT_EMPTY_PATH, "AT_EMPTY_PATH"}}) +
             ")") != 0) {
    return -1;
  }
  return next_fd++;
}

int RecordingKernel::move_mount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
                                unsigned flags) {
  return record("move_mount(" + dirfd_text(from_dirfd) + ", " + str(from_path) + ", " + dirfd_text(to_dirfd) + ", " +
                str(to_path) + ", " +
                flags_text(flags, {{MOVE_MOUNT_F_EMPTY_PATH, "MOVE_MOUNT_F_EMPTY_PATH"},
                                   {MOVE_MOUNT_T_EMPTY_PATH, "MOVE_MOUNT_T_EMPTY_PATH"}}) +
                ")");
}

int RecordingKernel::openat(int dirfd, const char* path, int flags, mode_t mode) {
  std::string line = "openat(" + dirfd_text(dirfd) + ", " + str(path) + ", " + open_flags_text(flags);
  if (flags & O_CREAT) line += ", " + octal(mode);
  if (record(line + ")") != 0) return -1;
  return next_fd++;
}

int RecordingKernel::openat2(int dirfd, const char* path, const open_how& how) {
  std::string line = "openat2(" + dirfd_text(dirfd) + ", " + str(path) + ", {" +
                     open_flags_text(static_cast<int>(how.flags)) + ", " + resolve_text(how.resolve);
  if (how.flags & O_CREAT) line += ", " + octal(static_cast<unsigned>(how.mode));
  if (record(line + "})") != 0) return -1;
  return next_fd++;
}

int RecordingKernel::close(int fd) { return record("close(" + std::to_string(fd) + ")"); }

ssize_t RecordingKernel::write(int fd, const void* data, std::size_t size) {
  if (record("write(" + std::to_string(fd) + ", " + quoted(static_cast<const char*>(data), size) + ")") != 0) {
    return -1;
  }
  return static_cast<ssize_t>(size);
}

int RecordingKernel::close_range(unsigned first, unsigned last, unsigned flags) {
  const std::string last_text = last == UINT_MAX ? "~0U" : std::to_string(last);
  return record("close_range(" + std::to_string(first) + ", " + last_text + ", " +
                flags_text(flags, {{CLOSE_RANGE_UNSHARE, "CLOSE_RANGE_UNSHARE"},
                                   {CLOSE_RANGE_CLOEXEC, "CLOSE_RANGE_CLOEXEC"}}) +
                ")");
}

int RecordingKernel::mkdirat(int dirfd, const char* path, mode_t mode) {
  return record("mkdirat(" + dirfd_text(dirfd) + ", " + str(path) + ", " + octal(mode) + ")");
}

int RecordingKernel::mknodat(int dirfd, const char* path, mode_t mode, dev_t device) {
  return record("mknodat(" + dirfd_text(dirfd) + ", " + str(path) + ", " + file_type_and_mode(mode) + ", " +
                std::to_string(major(device)) + ":" + std::to_string(minor(device)) + ")");
}

int RecordingKernel::symlinkat(const char* target, int dirfd, const char* path) {
  return record("symlinkat(" + str(target) + ", " + dirfd_text(dirfd) + ", " + str(path) + ")");
}

int RecordingKernel::fchmodat(int dirfd, const char* path, mode_t mode, int flags) {
  return record("fchmodat(" + dirfd_text(dirfd) + ", " + str(path) + ", " + octal(mode) + ", " +
                at_flags_text(flags) + ")");
}

int RecordingKernel::fchownat(int dirfd, const char* path, uid_t uid, gid_t gid, int flags) {
  return record("fchownat(" + dirfd_text(dirfd) + ", " + str(path) + ", " + std::to_string(uid) + ", " +
                std::to_string(gid) + ", " + at_flags_text(flags) + ")");
}

int RecordingKernel::fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  if (record("fstatat(" + dirfd_text(dirfd) + ", " + str(path) + ", " + at_flags_text(flags) + ")") != 0) return -1;
  // fstatat(fd, "", AT_EMPTY_PATH) is a stat of the descriptor: scripted under its /proc name.
  const std::string key = path && *path ? path : "/proc/self/fd/" + std::to_string(dirfd);
  auto found = files.find(key);
  if (found == files.end()) {
    errno = ENOENT;
    return -1;
  }
  *st = found->second;
  return 0;
}

int RecordingKernel::statvfs(const char* path, struct statvfs* st) {
  if (record("statvfs(" + str(path) + ")") != 0) return -1;
  *st = {};
  return 0;
}

mode_t RecordingKernel::umask(mode_t mask) {
  record("umask(" + octal(mask) + ")");
  const mode_t previous = current_umask;
  current_umask = mask;
  return previous;
}

int RecordingKernel::setresuid(uid_t real, uid_t effective, uid_t saved) {
  return record("setresuid(" + std::to_string(real) + ", " + std::to_string(effective) + ", " +
                std::to_string(saved) + ")");
}

int RecordingKernel::setresgid(gid_t real, gid_t effective, gid_t saved) {
  return record("setresgid(" + std::to_string(real) + ", " + std::to_string(effective) + ", " +
                std::to_string(saved) + ")");
}

int RecordingKernel::setgroups(std::size_t count, const gid_t* groups) {
  std::string list;
  for (std::size_t i = 0; i < count; ++i) list += (i ? "," : "") + std::to_string(groups[i]);
  return record("setgroups(" + std::to_string(count) + ", {" + list + "})");
}

int RecordingKernel::capget(launcher::CapabilitySets& sets) {
  if (record("capget()") != 0) return -1;
  sets = capabilities;
  return 0;
}

int RecordingKernel::capset(const launcher::CapabilitySets& sets) {
  if (record("capset(effective=" + capability_set_text(sets.effective) + ", permitted=" +
             capability_set_text(sets.permitted) + ", inheritable=" + capability_set_text(sets.inheritable) + ")") != 0) {
    return -1;
  }
  capabilities = sets;
  return 0;
}

int RecordingKernel::cap_last_cap() { return last_cap; }  // a /proc read, not a call to check

int RecordingKernel::prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
                           unsigned long arg5) {
  return record(prctl_text(option, arg2, arg3, arg4, arg5));
}

int RecordingKernel::sethostname(const char* name, std::size_t size) {
  return record("sethostname(" + quoted(name, size) + ", " + std::to_string(size) + ")");
}

int RecordingKernel::prlimit(pid_t pid, int resource, const struct rlimit* new_limit, struct rlimit* old_limit) {
  if (record("prlimit(" + std::to_string(pid) + ", " + rlimit_resource_text(resource) + ", " + rlimit_text(new_limit) +
             ", " + (old_limit ? "old" : "NULL") + ")") != 0) {
    return -1;
  }
  if (old_limit && resource == RLIMIT_NOFILE) *old_limit = nofile;
  if (new_limit && resource == RLIMIT_NOFILE) nofile = *new_limit;
  return 0;
}

int RecordingKernel::unshare(int flags) { return record("unshare(" + clone_flags_text(flags) + ")"); }

pid_t RecordingKernel::setsid() { return record("setsid()") == 0 ? 1 : -1; }

int RecordingKernel::seccomp(unsigned operation, unsigned flags, void* args) {
  if (operation != SECCOMP_SET_MODE_FILTER) {
    return record("seccomp(" + std::to_string(operation) + ", " + std::to_string(flags) + ")");
  }
  const auto* prog = static_cast<const sock_fprog*>(args);
  if (record("seccomp(SECCOMP_SET_MODE_FILTER, " + std::to_string(flags) + ", {" + std::to_string(prog->len) +
             " instructions})") != 0) {
    return -1;
  }
  filters.emplace_back(prog->filter, prog->filter + prog->len);
  return 0;
}

namespace {
std::string hex_text(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}
}  // namespace

int RecordingKernel::landlock_create_ruleset(const launcher::LandlockRulesetAttr* attr, std::size_t size,
                                             unsigned flags) {
  if (!attr) {
    const std::string flag = flags == launcher::kLandlockCreateRulesetVersion ? "LANDLOCK_CREATE_RULESET_VERSION"
                                                                             : std::to_string(flags);
    if (record("landlock_create_ruleset(NULL, " + std::to_string(size) + ", " + flag + ")") != 0) return -1;
    return landlock_abi;
  }
  if (record("landlock_create_ruleset({fs=" + hex_text(attr->handled_access_fs) + ", net=" +
             hex_text(attr->handled_access_net) + ", scoped=" + hex_text(attr->scoped) + "}, " + std::to_string(size) +
             ", " + std::to_string(flags) + ")") != 0) {
    return -1;
  }
  return next_fd++;
}

int RecordingKernel::landlock_add_rule(int ruleset_fd, unsigned rule_type, const void* rule_attr, unsigned flags) {
  std::string line = "landlock_add_rule(" + std::to_string(ruleset_fd) + ", ";
  if (rule_type == launcher::kLandlockRulePathBeneath) {
    const auto* a = static_cast<const launcher::LandlockPathBeneathAttr*>(rule_attr);
    const std::uint64_t access = a->allowed_access;
    const int fd = a->parent_fd;
    line += "PATH_BENEATH, {access=" + hex_text(access) + ", fd=" + std::to_string(fd) + "}";
  } else if (rule_type == launcher::kLandlockRuleNetPort) {
    const auto* a = static_cast<const launcher::LandlockNetPortAttr*>(rule_attr);
    line += "NET_PORT, {access=" + hex_text(a->allowed_access) + ", port=" + std::to_string(a->port) + "}";
  } else {
    line += std::to_string(rule_type);
  }
  return record(line + ", " + std::to_string(flags) + ")");
}

int RecordingKernel::landlock_restrict_self(int ruleset_fd, unsigned flags) {
  return record("landlock_restrict_self(" + std::to_string(ruleset_fd) + ", " + std::to_string(flags) + ")");
}

}  // namespace testsupport
