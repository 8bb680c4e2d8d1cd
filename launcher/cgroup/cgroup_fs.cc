// SPDX-License-Identifier: Apache-2.0
#include "launcher/cgroup/cgroup_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "launcher/cgroup/device_bpf.h"

namespace launcher {

bool CgroupFs::exists(const std::string& path) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

int CgroupFs::make_dir(const std::string& path) { return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno; }

int CgroupFs::remove_dir(const std::string& path) { return ::rmdir(path.c_str()) == 0 ? 0 : errno; }

int CgroupFs::write_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return errno;
  // One write(2): cgroup files take a value per write call.
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = n < 0 ? errno : (static_cast<std::size_t>(n) == value.size() ? 0 : EIO);
  ::close(fd);
  return err;
}

int CgroupFs::write_values(const std::string& path, const std::vector<std::string>& values, std::size_t* failed) {
  *failed = 0;
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = 0;
  for (; *failed < values.size(); ++*failed) {
    const std::string& value = values[*failed];
    ssize_t n = ::write(fd, value.data(), value.size());
    err = n < 0 ? errno : (static_cast<std::size_t>(n) == value.size() ? 0 : EIO);
    if (err != 0) break;
  }
  ::close(fd);
  return err;
}

std::optional<std::string> CgroupFs::read_file(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

std::vector<std::string> CgroupFs::subdirectories(const std::string& dir) const {
  std::vector<std::string> dirs;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return dirs;
  while (struct dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (entry->d_type == DT_DIR) dirs.push_back(dir + "/" + name);
  }
  ::closedir(d);
  return dirs;
}

int CgroupFs::open_dir(const std::string& path) const {
  return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int CgroupFs::open_for_write(const std::string& path) const { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); }

int CgroupFs::kill_process(pid_t pid, int signal) { return ::kill(pid, signal) == 0 ? 0 : errno; }

int CgroupFs::attach_device_program(const std::string& dir, const std::vector<bpf_insn>& program,
                                    std::string& problem) {
  const int fd = open_dir(dir);
  if (fd < 0) {
    const int err = errno;
    problem = "open " + dir + ": " + std::strerror(err);
    return err;
  }
  const int err = launcher::attach_device_program(fd, program, problem);
  ::close(fd);
  return err;
}

std::optional<std::uint64_t> read_keyed_value(const CgroupFs& fs, const std::string& path, const std::string& key) {
  auto text = fs.read_file(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v)
    if (k == key) return v;
  return std::nullopt;
}

std::optional<std::uint64_t> read_number(const CgroupFs& fs, const std::string& path) {
  auto text = fs.read_file(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::uint64_t v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

std::vector<pid_t> read_procs(const CgroupFs& fs, const std::string& dir) {
  std::vector<pid_t> pids;
  auto text = fs.read_file(dir + "/cgroup.procs");
  if (!text) return pids;
  std::istringstream in(*text);
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(10);

// Kill until cgroup.procs is empty: a process may fork between our read and our kill.
std::string kill_all_in(CgroupFs& fs, const std::string& dir) {
  const bool has_kill_file = fs.exists(dir + "/cgroup.kill");  // v2, Linux >= 5.14
  auto deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    if (has_kill_file) fs.write_file(dir + "/cgroup.kill", "1");
    auto pids = read_procs(fs, dir);
    if (pids.empty()) return "";
    if (Clock::now() > deadline)
      return "processes still in " + dir + " after 5 s of SIGKILL (first pid " + std::to_string(pids[0]) + ")";
    if (!has_kill_file)
      for (pid_t pid : pids) fs.kill_process(pid, SIGKILL);
    std::this_thread::sleep_for(kPoll);
  }
}

// rmdir fails with EBUSY for a moment while killed tasks are still being torn down.
std::string remove_with_retry(CgroupFs& fs, const std::string& dir) {
  auto deadline = Clock::now() + std::chrono::seconds(3);
  for (;;) {
    int err = fs.remove_dir(dir);
    if (err == 0 || err == ENOENT) return "";
    if (err != EBUSY || Clock::now() > deadline)
      return "remove cgroup " + dir + ": " + std::strerror(err);
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace

std::string kill_cgroup_tree(CgroupFs& fs, const std::string& dir) {
  std::string problem;
  for (const auto& child : fs.subdirectories(dir)) {
    std::string p = kill_cgroup_tree(fs, child);
    if (problem.empty()) problem = p;
  }
  std::string p = kill_all_in(fs, dir);
  return problem.empty() ? p : problem;
}

std::string kill_and_remove_cgroup(CgroupFs& fs, const std::string& dir) {
  // The usual case, one syscall: the container has exited and left nothing behind. The kernel
  // refuses (EBUSY/ENOTEMPTY) while processes or child cgroups remain: then kill and retry.
  const int err = fs.remove_dir(dir);
  if (err == 0 || err == ENOENT) return "";
  std::string problem;
  // The container may have made cgroups of its own below ours (it may own a cgroup namespace).
  for (const auto& child : fs.subdirectories(dir)) {
    std::string p = kill_and_remove_cgroup(fs, child);
    if (problem.empty()) problem = p;
  }
  std::string p = kill_all_in(fs, dir);
  if (problem.empty()) problem = p;
  p = remove_with_retry(fs, dir);
  if (problem.empty()) problem = p;
  return problem;
}

}  // namespace launcher
