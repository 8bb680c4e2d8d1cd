// SPDX-License-Identifier: Apache-2.0
#include "launcher/registry/registry_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "launcher/host/fault.h"
#include "launcher/registry/instance_record.h"

namespace launcher {

namespace {

constexpr std::size_t kMaxRecordBytes = 64 * 1024;
constexpr const char kRegistryName[] = "plan-exec";

[[noreturn]] void fail(const std::string& what, int err) {
  throw RegistryError(what + (err ? std::string(": ") + std::strerror(err) : std::string()));
}

std::string temporary_name(const std::string& name) {
  const auto dot = name.find('.');
  return "." + name.substr(0, dot) + ".tmp";
}

// The directory must be the caller's own and closed to others (we made it 0700; a directory
// someone else made, or opened up, could hold records we did not write: a record naming one of
// the caller's processes would make `stop` signal it and `exec` join namespaces of its choice).
void check_ownership(int fd, const std::string& path) {
  if (defence_disabled("registry-owner")) return;
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail("stat the instance registry " + path, errno);
  if (!S_ISDIR(st.st_mode)) fail("the instance registry " + path + " is not a directory; remove it", 0);
  if (st.st_uid != ::geteuid()) {
    fail("the instance registry " + path + " belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " +
             std::to_string(::geteuid()) + "); someone else made it: remove it",
         0);
  }
  if ((st.st_mode & 077) != 0 && ::fchmod(fd, 0700) != 0) fail("make the instance registry " + path + " mode 0700", errno);
}

}  // namespace

std::string registry_location(bool rootless, std::string* why) {
  if (!rootless) return std::string("/run/") + kRegistryName;
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime && runtime[0] == '/') return std::string(runtime) + "/" + kRegistryName;
  if (why) *why = "XDG_RUNTIME_DIR is not set (or not absolute), so rootless runs have no instance registry";
  return "";
}

std::string record_file_name(pid_t pid) { return std::to_string(pid) + ".json"; }

std::optional<pid_t> pid_of_record_file(std::string_view name) {
  std::string_view digits;
  if (name.size() > 5 && name.ends_with(".json") && name[0] != '.') digits = name.substr(0, name.size() - 5);
  else if (name.size() > 5 && name[0] == '.' && name.ends_with(".tmp")) digits = name.substr(1, name.size() - 5);
  else return std::nullopt;
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0 || digits[0] == '0') return std::nullopt;
  return pid;
}

RegistryDir RegistryDir::open(const std::string& path, bool create) {
  RegistryDir dir;
  dir.path_ = path;
  const auto slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 >= path.size()) fail("the instance registry \"" + path + "\" is not an absolute path", 0);
  const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  const std::string leaf = path.substr(slash + 1);
  const int parent_fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0) {
    if (errno == ENOENT && !create) return dir;
    fail("open " + parent + ", the directory of the instance registry", errno);
  }
  if (create && ::mkdirat(parent_fd, leaf.c_str(), 0700) != 0 && errno != EEXIST) {
    const int err = errno;
    ::close(parent_fd);
    fail("create the instance registry " + path, err);
  }
  dir.fd_ = ::openat(parent_fd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  const int err = errno;
  ::close(parent_fd);
  if (dir.fd_ < 0) {
    if (err == ENOENT && !create) return dir;
    if (err == ELOOP || err == ENOTDIR) fail("the instance registry " + path + " is a symlink or no directory; remove it", 0);
    fail("open the instance registry " + path, err);
  }
  check_ownership(dir.fd_, path);
  return dir;
}

RegistryDir::RegistryDir(RegistryDir&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

RegistryDir& RegistryDir::operator=(RegistryDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

RegistryDir::~RegistryDir() {
  if (fd_ >= 0) ::close(fd_);
}

void RegistryDir::write(const std::string& name, std::string_view text) const {
  const std::string tmp = temporary_name(name);
  const std::string where = path_ + "/" + tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    fd = ::openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    // Left by a killed run that had our pid: ours to replace (the directory is ours alone).
    if (fd < 0 && errno == EEXIST && attempt == 0 && ::unlinkat(fd_, tmp.c_str(), 0) == 0) continue;
    if (fd < 0) fail("create " + where, errno);
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlinkat(fd_, tmp.c_str(), 0);
      fail("write " + where, err);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(fd_, tmp.c_str(), 0);
    fail("rename " + where + " to " + name, err);
  }
}

std::string RegistryDir::read(const std::string& name) const {
  const std::string where = path_ + "/" + name;
  const int fd = ::openat(fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) fail("refuse " + where + ": it is a symlink, which plan-exec never writes", 0);
  if (fd < 0) fail("open " + where, errno);
  struct stat st {};
  std::string problem;
  if (::fstat(fd, &st) != 0) problem = std::string("stat: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) problem = "not a regular file";
  else if (st.st_uid != ::geteuid() && !defence_disabled("registry-record-owner")) {
    problem = "owned by uid " + std::to_string(st.st_uid) + ", not by you";
  }
  else if (static_cast<std::size_t>(st.st_size) > kMaxRecordBytes) problem = "larger than 64 KiB";
  if (!problem.empty()) {
    ::close(fd);
    fail("refuse " + where + ": " + problem, 0);
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return text;
}

bool RegistryDir::remove(const std::string& name) const {
  if (::unlinkat(fd_, name.c_str(), 0) == 0) return true;
  if (errno == ENOENT) return false;
  fail("remove " + path_ + "/" + name, errno);
}

bool RegistryDir::is_symlink(const std::string& name) const {
  struct stat st {};
  return ::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

std::vector<std::string> RegistryDir::files() const {
  std::vector<std::string> out;
  if (fd_ < 0) return out;
  const int fd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (!d) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    fail("list the instance registry " + path_, err);
  }
  while (const dirent* e = ::readdir(d)) {
    if (pid_of_record_file(e->d_name)) out.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace launcher
