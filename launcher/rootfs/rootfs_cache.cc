#include "launcher/rootfs/rootfs_cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "launcher/host/safe_path.h"
#include "plan/encoding.h"

namespace launcher {

namespace {

void make_dirs(const std::string& path, mode_t mode) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    const std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      throw StepError("rootfs", "create cache directory " + prefix + " (set PLAN_EXEC_CACHE_DIR to a writable place)",
                      errno);
    }
  }
}

// Recursive delete that never follows symlinks (the tree came from an untrusted archive).
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

void remove_tree(const std::string& path) { remove_tree_at(AT_FDCWD, path.c_str()); }

// Temp directories of runs that were killed while unpacking: ".unpack-<sha>-<pid>", pid gone.
void remove_stale_unpacks(const std::string& cache) {
  DIR* dir = ::opendir(cache.c_str());
  if (!dir) return;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name.rfind(".unpack-", 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.substr(name.find_last_of('-') + 1).c_str()));
    if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) continue;  // still unpacking
    remove_tree(cache + "/" + name);
  }
  ::closedir(dir);
}

// Archive member names are untrusted: no absolute paths, no "..".
bool safe_member_name(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

// libarchive is opened only when an archive is unpacked (once per archive): linked normally
// it drags libxml2 and ICU into every start of plan-exec, several milliseconds for nothing.
struct Libarchive {
#define PLAN_EXEC_ARCHIVE_FUNCTIONS(X)                                                             \
  X(archive_read_new) X(archive_read_free) X(archive_write_disk_new) X(archive_write_free)          \
  X(archive_read_support_filter_all) X(archive_read_support_format_tar)                            \
  X(archive_read_support_format_gnutar) X(archive_write_disk_set_options) X(archive_read_open_filename) \
  X(archive_error_string) X(archive_read_next_header) X(archive_entry_pathname)                    \
  X(archive_entry_filetype) X(archive_entry_set_pathname) X(archive_entry_hardlink)                \
  X(archive_entry_set_hardlink) X(archive_write_header) X(archive_read_data_block)                 \
  X(archive_write_data_block) X(archive_write_finish_entry) X(archive_write_close)                 \
  X(archive_entry_perm) X(archive_entry_set_perm)
#define PLAN_EXEC_DECLARE(name) decltype(&::name) name = nullptr;
  PLAN_EXEC_ARCHIVE_FUNCTIONS(PLAN_EXEC_DECLARE)
#undef PLAN_EXEC_DECLARE
};

const Libarchive& libarchive() {
  static Libarchive api = [] {
    Libarchive a;
    void* handle = ::dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!handle) throw StepError("rootfs", std::string("load libarchive to unpack the rootfs archive: ") + ::dlerror() +
                                               " (install libarchive13)");
#define PLAN_EXEC_LOAD(name)                                                                   \
  a.name = reinterpret_cast<decltype(a.name)>(::dlsym(handle, #name));                         \
  if (!a.name) throw StepError("rootfs", "libarchive lacks " #name "; install libarchive13 3.x");
    PLAN_EXEC_ARCHIVE_FUNCTIONS(PLAN_EXEC_LOAD)
#undef PLAN_EXEC_LOAD
    return a;
  }();
  return api;
}

using ReadArchive = std::unique_ptr<archive, int (*)(archive*)>;

// The archive's members are written relative to the directory we unpack into (our cwd while
// unpacking), so libarchive's SECURE_* checks see only the archive's own names: an absolute
// name or a ".." is refused, and a symlink on the way is never followed, for hard link targets
// too (libarchive would replace it by a directory: SymlinkMembers refuses such an archive
// first, so it is never silently changed). Test switch "archive-secure": all of this off.
int extract_flags(bool rootless, bool secure) {
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
              ARCHIVE_EXTRACT_UNLINK;
  if (secure) {
    flags |= ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
             ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
  }
  if (!rootless) flags |= ARCHIVE_EXTRACT_OWNER;
  return flags;
}

// Unpacking chdirs into the target; this puts plan-exec's working directory back on every exit.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::string& dir) : saved_(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!saved_) throw StepError("rootfs", "open the working directory to return to after unpacking", errno);
    check(::chdir(dir.c_str()), "rootfs", "chdir to " + dir + " to unpack into it");
  }
  ~WorkingDirectory() { (void)::fchdir(saved_.get()); }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  Fd saved_;
};

// The symlinks the archive made so far: a later member or hard link target behind one of them
// ("evil -> /etc", then "evil/passwd") is refused.
class SymlinkMembers {
 public:
  void record(const std::string& name, bool is_symlink) {
    if (is_symlink) names_.insert(name); else names_.erase(name);
  }
  // The symlink member that `path` lies behind, or "".
  std::string behind(const std::string& path) const {
    for (std::size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      if (names_.count(path.substr(0, slash))) return path.substr(0, slash);
    }
    return "";
  }

 private:
  std::set<std::string> names_;
};

void refuse_behind_symlink(const SymlinkMembers& links, const std::string& path, const std::string& archive_path) {
  const std::string link = links.behind(path);
  if (link.empty()) return;
  throw StepError("rootfs", "archive " + archive_path + ": " + path + " lies behind the archive's symlink " + link +
                                ", which could lead out of the cache; refused (store it under the real directory)");
}

// A member as it will be written: its name relative to the target; false = leave it out.
// Rootless: device nodes (mknod needs root; /dev is the plan's tmpfs anyway) and setuid/setgid
// bits go (the unpacked tree is the caller's own, reachable by the caller outside the container).
bool prepare_member(const Libarchive& L, archive_entry* entry, const std::string& archive_path, bool rootless,
                    bool secure, SymlinkMembers& links) {
  std::string name = L.archive_entry_pathname(entry);
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  if (name.empty() || name == ".") return false;  // the top directory itself
  if (secure && !safe_member_name(name)) {
    throw StepError("rootfs", "archive " + archive_path + ": unsafe member name " + name);
  }
  const mode_t type = L.archive_entry_filetype(entry);
  if (secure) {
    refuse_behind_symlink(links, name, archive_path);
    links.record(name, type == AE_IFLNK);
  }
  if (secure && rootless && (type == AE_IFCHR || type == AE_IFBLK)) return false;
  if (secure && rootless) L.archive_entry_set_perm(entry, L.archive_entry_perm(entry) & ~mode_t{S_ISUID | S_ISGID});
  L.archive_entry_set_pathname(entry, name.c_str());
  if (const char* link = L.archive_entry_hardlink(entry)) {
    std::string target = link;
    while (target.rfind("./", 0) == 0) target.erase(0, 2);
    if (secure && !safe_member_name(target)) {
      throw StepError("rootfs", "archive " + archive_path + ": unsafe hard link " + target);
    }
    if (secure) refuse_behind_symlink(links, target, archive_path);
    L.archive_entry_set_hardlink(entry, target.c_str());
  }
  return true;
}

void copy_member_data(const Libarchive& L, archive* in, archive* out, const std::string& name,
                      const std::string& archive_path) {
  const void* block;
  size_t size;
  la_int64_t offset;
  int r;
  while ((r = L.archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
    if (L.archive_write_data_block(out, block, size, offset) < ARCHIVE_WARN) {
      throw StepError("rootfs", "write " + name + " from " + archive_path + ": " + L.archive_error_string(out));
    }
  }
  if (r != ARCHIVE_EOF) {
    throw StepError("rootfs", "read " + name + " from " + archive_path + ": " + L.archive_error_string(in));
  }
}

void extract(const std::string& archive_path, const std::string& into, bool rootless) {
  const Libarchive& L = libarchive();
  const bool secure = !defence_disabled("archive-secure");
  ReadArchive in(L.archive_read_new(), L.archive_read_free);
  ReadArchive out(L.archive_write_disk_new(), L.archive_write_free);
  L.archive_read_support_filter_all(in.get());
  L.archive_read_support_format_tar(in.get());
  L.archive_read_support_format_gnutar(in.get());
  L.archive_write_disk_set_options(out.get(), extract_flags(rootless, secure));
  if (L.archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw StepError("rootfs", "open archive " + archive_path + ": " + L.archive_error_string(in.get()));
  }
  WorkingDirectory cwd(into);
  SymlinkMembers links;
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = L.archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    if (!prepare_member(L, entry, archive_path, rootless, secure, links)) continue;
    const std::string name = L.archive_entry_pathname(entry);
    if (L.archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      throw StepError("rootfs", "unpack " + name + " from " + archive_path + ": " + L.archive_error_string(out.get()));
    }
    copy_member_data(L, in.get(), out.get(), name, archive_path);
    if (L.archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      throw StepError("rootfs", "finish " + name + " from " + archive_path + ": " + L.archive_error_string(out.get()));
    }
  }
  if (rc != ARCHIVE_EOF) {
    throw StepError("rootfs", "read archive " + archive_path + " (is it a .tar or .tar.gz?): " +
                                  L.archive_error_string(in.get()));
  }
  if (L.archive_write_close(out.get()) != ARCHIVE_OK) {
    throw StepError("rootfs", "unpack " + archive_path + ": " + L.archive_error_string(out.get()));
  }
}

}  // namespace

std::string rootfs_cache_root(bool rootless) {
  if (const char* dir = std::getenv("PLAN_EXEC_CACHE_DIR"); dir && *dir) return std::string(dir) + "/rootfs";
  if (!rootless) return "/var/cache/plan-exec/rootfs";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/plan-exec/rootfs";
  if (const char* home = std::getenv("HOME"); home && *home == '/') return std::string(home) + "/.cache/plan-exec/rootfs";
  return "/tmp/plan-exec-" + std::to_string(::getuid()) + "/rootfs";
}

std::string file_sha256(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw StepError("rootfs", "open rootfs archive " + path, errno);
  struct stat st {};
  check(::fstat(fd.get(), &st), "rootfs", "stat rootfs archive " + path);
  if (st.st_size == 0) return plan::sha256_hex(nullptr, 0);
  // mmap streams the file through the page cache without holding a copy in our memory.
  void* data = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED) throw StepError("rootfs", "read rootfs archive " + path, errno);
  ::madvise(data, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
  std::string hex = plan::sha256_hex(data, static_cast<size_t>(st.st_size));
  ::munmap(data, static_cast<size_t>(st.st_size));
  return hex;
}

std::string cached_dir_for(const std::string& archive, bool rootless) {
  return rootfs_cache_root(rootless) + "/" + file_sha256(archive);
}

CachedRootfs unpack_cached(const std::string& archive, bool rootless) {
  const std::string cache = rootfs_cache_root(rootless);
  const std::string sha = file_sha256(archive);
  CachedRootfs result{cache + "/" + sha, cache + "/.mnt", false};
  make_dirs(result.staging, 0700);
  struct stat st {};
  if (::stat(result.dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return result;

  remove_stale_unpacks(cache);
  const std::string tmp = cache + "/.unpack-" + sha + "-" + std::to_string(::getpid());
  check(::mkdir(tmp.c_str(), 0755), "rootfs", "create " + tmp + " to unpack " + archive + " into");
  try {
    extract(archive, tmp, rootless);
  } catch (...) {
    remove_tree(tmp);
    throw;
  }
  if (::rename(tmp.c_str(), result.dir.c_str()) != 0) {
    const int err = errno;
    remove_tree(tmp);
    // Another run unpacked the same archive at the same time: use theirs.
    if (err != EEXIST && err != ENOTEMPTY) throw StepError("rootfs", "rename " + tmp + " to " + result.dir, err);
    return result;
  }
  result.unpacked_now = true;
  return result;
}

}  // namespace launcher
