// SPDX-License-Identifier: Apache-2.0
#include "launcher/rootfs/rootfs_cache.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <set>

#include "launcher/host/error.h"
#include "launcher/host/fault.h"
#include "launcher/host/safe_path.h"
#include "launcher/host/shared_library.h"
#include "launcher/rootfs/archive_record.h"
#include "launcher/rootfs/cache_tree.h"
#include "launcher/rootfs/unpack_progress.h"
#include "plan/encoding.h"

namespace launcher {

namespace {

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
  X(archive_entry_perm) X(archive_entry_set_perm) X(archive_filter_bytes)
#define PLAN_EXEC_DECLARE(name) decltype(&::name) name = nullptr;
  PLAN_EXEC_ARCHIVE_FUNCTIONS(PLAN_EXEC_DECLARE)
#undef PLAN_EXEC_DECLARE
};

const Libarchive& libarchive() {
  static const Libarchive api = [] {
    constexpr LibraryNeed kNeed{"libarchive.so.13", "rootfs", "unpack the rootfs archive", "the Debian package libarchive13"};
    void* handle = open_library(kNeed);
    Libarchive a;
#define PLAN_EXEC_LOAD(name) resolve_symbol(handle, kNeed, #name, a.name);
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

// Returns the bytes written.
std::uint64_t copy_member_data(const Libarchive& L, archive* in, archive* out, const std::string& name,
                               const std::string& archive_path) {
  std::uint64_t written = 0;
  const void* block;
  size_t size;
  la_int64_t offset;
  int r;
  while ((r = L.archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
    if (L.archive_write_data_block(out, block, size, offset) < ARCHIVE_WARN) {
      throw StepError("rootfs", "write " + name + " from " + archive_path + ": " + L.archive_error_string(out));
    }
    written += size;
  }
  if (r != ARCHIVE_EOF) {
    throw StepError("rootfs", "read " + name + " from " + archive_path + ": " + L.archive_error_string(in));
  }
  return written;
}

void extract(const std::string& archive_path, std::uint64_t archive_size, const std::string& into, bool rootless,
             bool show_progress) {
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
  // fd -1 is no terminal: the progress then never draws.
  UnpackProgress progress(archive_path.substr(archive_path.find_last_of('/') + 1), archive_size, show_progress ? 2 : -1);
  std::uint64_t bytes_out = 0, files = 0;
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = L.archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    if (!prepare_member(L, entry, archive_path, rootless, secure, links)) continue;
    const std::string name = L.archive_entry_pathname(entry);
    if (L.archive_write_header(out.get(), entry) < ARCHIVE_WARN) {
      throw StepError("rootfs", "unpack " + name + " from " + archive_path + ": " + L.archive_error_string(out.get()));
    }
    bytes_out += copy_member_data(L, in.get(), out.get(), name, archive_path);
    ++files;
    progress.update(static_cast<std::uint64_t>(L.archive_filter_bytes(in.get(), -1)), bytes_out, files);
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

std::string sha256_of_fd(int fd, std::uint64_t size, const std::string& path) {
  if (size == 0) return plan::sha256_hex(nullptr, 0);
  // mmap streams the file through the page cache without holding a copy in our memory.
  void* data = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED) throw StepError("rootfs", "read rootfs archive " + path, errno);
  ::madvise(data, static_cast<size_t>(size), MADV_SEQUENTIAL);
  std::string hex = plan::sha256_hex(data, static_cast<size_t>(size));
  ::munmap(data, static_cast<size_t>(size));
  return hex;
}

std::string absolute_archive_path(const std::string& archive) {
  char* real = ::realpath(archive.c_str(), nullptr);
  if (!real) throw StepError("rootfs", "find rootfs archive " + archive, errno);
  std::string path = real;
  std::free(real);
  return path;
}

// What an archive is: its content hash, from the record when the stat key still matches.
struct ArchiveIdentity {
  std::string absolute;
  StatKey key;
  std::string sha256;
  bool hashed = false;
  bool racy = false;  // hashed, but the key is too fresh to trust next time
  std::string check;  // for --dry-run: how the key was checked
  std::optional<ArchiveRecord> previous;
};

ArchiveIdentity identify_archive(const std::string& cache, const std::string& archive) {
  ArchiveIdentity id;
  id.absolute = absolute_archive_path(archive);
  Fd fd(::open(id.absolute.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw StepError("rootfs", "open rootfs archive " + archive, errno);
  struct stat st {};
  check(::fstat(fd.get(), &st), "rootfs", "stat rootfs archive " + archive);
  if (!S_ISREG(st.st_mode)) throw StepError("rootfs", "rootfs archive " + archive + " is not a regular file");
  id.key = stat_key_of(st);  // before the hash: a write while we hash changes the key we record
  id.previous = read_record(record_path(cache, id.absolute));
  if (id.previous && id.previous->key == id.key && !id.previous->recheck) {
    id.sha256 = id.previous->sha256;
    id.check = "archive unchanged since it was hashed (same device, inode, size, mtime, ctime): not hashed";
    return id;
  }
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  id.sha256 = sha256_of_fd(fd.get(), id.key.size, archive);
  id.hashed = true;
  id.racy = racy_key(id.key, now);
  id.check = !id.previous          ? "hashed: first run of this archive path"
             : id.previous->recheck ? "hashed: it had changed just before its last hash"
                                    : "hashed: the archive changed (device, inode, size, mtime or ctime)";
  return id;
}

// Does an archive other than `absolute` still point at tree `sha`? (Its key is not checked:
// keeping a tree too long is prune's to fix; removing one still wanted costs an unpack.)
bool other_archive_points_at(const std::string& cache, const std::string& sha, const std::string& absolute) {
  DIR* dir = ::opendir((cache + "/.archives").c_str());
  if (!dir) return false;
  bool found = false;
  while (dirent* e = ::readdir(dir)) {
    if (!is_sha256_hex(e->d_name)) continue;
    const auto record = read_record(cache + "/.archives/" + e->d_name);
    if (record && record->sha256 == sha && record->path != absolute && ::access(record->path.c_str(), F_OK) == 0) {
      found = true;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Unpacks into a temp directory renamed into place; true when this run made the tree.
bool unpack_into_cache(const std::string& archive, const ArchiveIdentity& id, const std::string& cache,
                       const std::string& dir, bool rootless, bool show_progress) {
  remove_abandoned_work(cache);
  const std::string tmp = cache + "/.unpack-" + id.sha256 + "-" + std::to_string(::getpid());
  check(::mkdir(tmp.c_str(), 0755), "rootfs", "create " + tmp + " to unpack " + archive + " into");
  try {
    extract(archive, id.key.size, tmp, rootless, show_progress);
  } catch (...) {
    remove_tree(tmp);
    throw;
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    const int err = errno;
    remove_tree(tmp);
    // Another run unpacked the same archive at the same time: use theirs.
    if (err != EEXIST && err != ENOTEMPTY) throw StepError("rootfs", "rename " + tmp + " to " + dir, err);
    return false;
  }
  return true;
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
  return sha256_of_fd(fd.get(), static_cast<std::uint64_t>(st.st_size), path);
}

std::string cached_dir_for(const std::string& archive, bool rootless, std::string* key_check) {
  const std::string cache = rootfs_cache_root(rootless);
  const ArchiveIdentity id = identify_archive(cache, archive);
  if (key_check) *key_check = id.check;
  return cache + "/" + id.sha256;
}

CachedRootfs unpack_cached(const std::string& archive, bool rootless, bool show_progress) {
  const std::string cache = rootfs_cache_root(rootless);
  make_cache_dirs(cache + "/.mnt", 0700);
  const ArchiveIdentity id = identify_archive(cache, archive);
  CachedRootfs result;
  result.dir = cache + "/" + id.sha256;
  result.staging = cache + "/.mnt";
  result.key_check = id.check;
  // A prune may remove the tree between our look and our lock: then it is unpacked again.
  for (int attempt = 0; attempt < 3 && !result.lock; ++attempt) {
    if (!is_directory(result.dir)) result.unpacked_now |= unpack_into_cache(archive, id, cache, result.dir, rootless, show_progress);
    result.lock = lock_tree_shared(result.dir);
  }
  if (!result.lock) {
    throw StepError("rootfs", "the cached tree " + result.dir + " of " + archive +
                                  " was removed each time this run was about to use it (a plan-exec "
                                  "--prune-cache running in a loop?); run again");
  }
  if (id.hashed) write_record(cache, ArchiveRecord{id.absolute, id.key, id.sha256, id.racy});
  // A new version of this archive: the tree of the old one goes, unless someone still uses it.
  if (id.previous && id.previous->sha256 != id.sha256 &&
      !other_archive_points_at(cache, id.previous->sha256, id.absolute) &&
      remove_tree_unless_in_use(cache, id.previous->sha256) == RemoveResult::Removed) {
    result.replaced.push_back(cache + "/" + id.previous->sha256);
  }
  return result;
}

}  // namespace launcher
