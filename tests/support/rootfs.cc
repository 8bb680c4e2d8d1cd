// SPDX-License-Identifier: Apache-2.0
#include "tests/support/rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace testsupport {

const std::vector<std::string> kBusyboxApplets = {
    "sh",   "ls",    "ps",    "cat",  "hostname", "id",    "echo",  "mount", "true", "false", "sleep",
    "kill", "grep",  "wc",    "head", "touch",    "mkdir", "rm",    "readlink", "stat", "env", "uname",
    "umount", "chroot", "ip", "nc", "wget", "test", "pwd"};

void write_text(const std::string& path, const std::string& text, int mode) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << text;
  out.close();
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void build_rootfs(const std::string& dir) {
  for (const char* sub : {"", "/bin", "/sbin", "/usr", "/usr/bin", "/etc", "/home", "/proc", "/sys", "/dev", "/tmp",
                          "/root", "/var", "/mnt"}) {
    fs::create_directories(dir + sub);
  }
  ::chmod((dir + "/tmp").c_str(), 01777);
  fs::copy_file("/bin/busybox", dir + "/bin/busybox", fs::copy_options::overwrite_existing);
  for (const auto& applet : kBusyboxApplets) {
    fs::create_symlink("busybox", dir + "/bin/" + applet);
  }
  for (const auto& entry : fs::directory_iterator(TEST_PROGRAMS_DIR)) {
    if (!entry.is_regular_file()) continue;
    fs::copy_file(entry.path(), dir + "/home/" + entry.path().filename().string(), fs::copy_options::overwrite_existing);
    // The hello-world server's conventional name in policies and the demo.
    if (entry.path().filename() == "hello_world") {
      fs::copy_file(entry.path(), dir + "/home/hello-world", fs::copy_options::overwrite_existing);
    }
  }
  write_text(dir + "/etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  write_text(dir + "/etc/group", "root:x:0:\ntty:x:5:\nuser:x:1000:\nnogroup:x:65534:\n");
  write_text(dir + "/etc/hostname", "test-rootfs\n");
  write_text(dir + "/etc/secret-in-rootfs", "inside\n", 0600);
}

namespace {

using WriteArchive = std::unique_ptr<archive, int (*)(archive*)>;

void add_tree(archive* out, const fs::path& base, const fs::path& rel) {
  const fs::path full = base / rel;
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + full.string());
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
  archive_entry_copy_stat(entry.get(), &st);
  archive_entry_set_pathname(entry.get(), ("./" + rel.string()).c_str());
  std::string target;
  if (S_ISLNK(st.st_mode)) {
    target = fs::read_symlink(full).string();
    archive_entry_set_symlink(entry.get(), target.c_str());
  }
  if (archive_write_header(out, entry.get()) != ARCHIVE_OK) {
    throw std::runtime_error("archive header for " + full.string() + ": " + archive_error_string(out));
  }
  if (S_ISREG(st.st_mode)) {
    const std::string data = read_text(full.string());
    if (archive_write_data(out, data.data(), data.size()) < 0) {
      throw std::runtime_error("archive data for " + full.string() + ": " + archive_error_string(out));
    }
  }
  if (S_ISDIR(st.st_mode)) {
    for (const auto& child : fs::directory_iterator(full)) add_tree(out, base, rel / child.path().filename());
  }
}

}  // namespace

void make_tarball(const std::string& dir, const std::string& archive_path) {
  WriteArchive out(archive_write_new(), archive_write_free);
  archive_write_add_filter_gzip(out.get());
  archive_write_set_format_pax_restricted(out.get());
  if (archive_write_open_filename(out.get(), archive_path.c_str()) != ARCHIVE_OK) {
    throw std::runtime_error("cannot create " + archive_path + ": " + archive_error_string(out.get()));
  }
  for (const auto& child : fs::directory_iterator(dir)) add_tree(out.get(), dir, child.path().filename());
  if (archive_write_close(out.get()) != ARCHIVE_OK) {
    throw std::runtime_error("cannot finish " + archive_path + ": " + archive_error_string(out.get()));
  }
}

// TEST_SCRATCH_DIR, or the temp directory when an unprivileged run cannot write there.
static std::string scratch_base() {
  std::error_code ec;
  fs::create_directories(TEST_SCRATCH_DIR, ec);
  if (::access(TEST_SCRATCH_DIR, W_OK) == 0) return TEST_SCRATCH_DIR;
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

ScratchDir::ScratchDir(const std::string& name)
    : path_(scratch_base() + "/" + name + "-" + std::to_string(::getpid())) {
  fs::remove_all(path_);
  fs::create_directories(path_);
  if (path_.rfind(TEST_SCRATCH_DIR, 0) == 0) {  // readable by the rootless tests' uid
    ::chmod(TEST_SCRATCH_DIR, 0755);
    ::chmod(path_.c_str(), 0755);
  }
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);  // remove_all never follows symlinks
}

}  // namespace testsupport
