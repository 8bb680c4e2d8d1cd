// SPDX-License-Identifier: Apache-2.0
#include "launcher/rootfs/cache_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "launcher/host/error.h"

namespace launcher {

namespace {

void remove_tree_at(int parent, const char* name) {
  int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    DIR* dir = ::fdopendir(fd);
    if (dir) {
      while (dirent* e = ::readdir(dir)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        remove_tree_at(::dirfd(dir), e->d_name);
      }
      ::closedir(dir);
    } else {
      ::close(fd);
    }
    ::unlinkat(parent, name, AT_REMOVEDIR);
  } else {
    ::unlinkat(parent, name, 0);
  }
}

bool process_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

void make_cache_dirs(const std::string& path, mode_t mode) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      throw StepError("rootfs", "create cache directory " + prefix + " (set PLAN_EXEC_CACHE_DIR to a writable place)",
                      errno);
    }
  }
}

void remove_tree(const std::string& path) { remove_tree_at(AT_FDCWD, path.c_str()); }

void remove_abandoned_work(const std::string& cache) {
  DIR* dir = ::opendir(cache.c_str());
  if (!dir) return;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind(".unpack-", 0) != 0 && name.rfind(".remove-", 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.substr(name.find_last_of('-') + 1).c_str()));
    if (process_alive(pid)) continue;  // still at work
    remove_tree(cache + "/" + name);
  }
  ::closedir(dir);
}

Fd lock_tree_shared(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return Fd();
    throw StepError("rootfs", "open the cached rootfs tree " + dir + " to lock it", errno);
  }
  while (::flock(fd.get(), LOCK_SH) != 0) {
    if (errno != EINTR) throw StepError("rootfs", "lock the cached rootfs tree " + dir + " (flock)", errno);
  }
  // A removal renames the tree away while holding the exclusive lock: ours must still be there.
  struct stat held {}, now {};
  if (::fstat(fd.get(), &held) != 0 || ::stat(dir.c_str(), &now) != 0 || held.st_ino != now.st_ino ||
      held.st_dev != now.st_dev) {
    return Fd();
  }
  return fd;
}

RemoveResult remove_tree_unless_in_use(const std::string& cache, const std::string& name) {
  const std::string dir = cache + "/" + name;
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return RemoveResult::Missing;
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return RemoveResult::InUse;
  const std::string doomed = cache + "/.remove-" + name + "-" + std::to_string(::getpid());
  if (::rename(dir.c_str(), doomed.c_str()) != 0) return RemoveResult::Missing;
  fd = Fd();  // a run waiting for the lock now finds the tree gone and unpacks anew
  remove_tree(doomed);
  return RemoveResult::Removed;
}

}  // namespace launcher
