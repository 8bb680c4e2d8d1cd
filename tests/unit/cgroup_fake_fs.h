// SPDX-License-Identifier: Apache-2.0
// A fake cgroupfs for the cgroup backends' unit tests: a temp directory where make_dir also
// creates the control files the kernel would (per hierarchy), remove_dir deletes them, every
// write is recorded in order, kills are recorded (and drop the pid from cgroup.procs), and
// chosen writes can be made to fail with an errno.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "launcher/cgroup/cgroup_backend.h"
#include "launcher/host/error.h"

namespace cgroup_test {

namespace fs = std::filesystem;

struct Write {
  std::string path;  // relative to the fake root
  std::string value;
  bool operator==(const Write&) const = default;
};
inline std::ostream& operator<<(std::ostream& out, const Write& w) { return out << w.path << " <- \"" << w.value << "\""; }

// A temp directory removed at the end of the test, whatever happens.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cgroup-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class FakeCgroupFs : public launcher::CgroupFs {
 public:
  explicit FakeCgroupFs(std::string root) : root_(std::move(root)) {}

  // The control files (and their initial contents) a new directory under `mount` gets.
  void set_files(const std::string& mount, std::map<std::string, std::string> files) {
    files_[mount.empty() ? root_ : root_ + "/" + mount] = std::move(files);
  }
  // Creates an existing cgroup and its ancestors (with their files) as the host would have them.
  void make_existing(const std::string& relative) {
    std::string path = root_;
    populate(path);
    std::istringstream parts(relative);
    for (std::string part; std::getline(parts, part, '/');) {
      path += "/" + part;
      if (fs::exists(path)) continue;
      fs::create_directory(path);
      populate(path);
    }
  }
  void fail_write(const std::string& relative, int err) { failures_[root_ + "/" + relative] = err; }

  int make_dir(const std::string& path) override {
    int err = launcher::CgroupFs::make_dir(path);
    if (err == 0) {
      populate(path);
      made_.push_back(rel(path));
    }
    return err;
  }
  int remove_dir(const std::string& path) override {
    if (!fs::is_directory(path)) return ENOENT;
    for (auto& entry : fs::directory_iterator(path))
      if (entry.is_directory()) return ENOTEMPTY;
    if (!launcher::read_procs(*this, path).empty()) return EBUSY;
    for (auto& entry : fs::directory_iterator(path)) fs::remove(entry.path());
    fs::remove(path);
    removed_.push_back(rel(path));
    return 0;
  }
  int write_file(const std::string& path, const std::string& value) override {
    writes_.push_back({rel(path), value});
    if (auto it = failures_.find(path); it != failures_.end()) return it->second;
    if (path.ends_with("/cgroup.kill")) {
      write_text(path.substr(0, path.rfind('/')) + "/cgroup.procs", "");
      return 0;
    }
    int err = launcher::CgroupFs::write_file(path, value);
    return err;
  }
  // cgroup v2 device programs: recorded (directory, program), or failed with `program_errno_`.
  int attach_device_program(const std::string& dir, const std::vector<bpf_insn>& program,
                            std::string& problem) override {
    programs_.push_back({rel(dir), program});
    if (program_errno_ != 0) problem = "attach the BPF device program (fake)";
    return program_errno_;
  }
  int write_values(const std::string& path, const std::vector<std::string>& values, std::size_t* failed) override {
    for (*failed = 0; *failed < values.size(); ++*failed)
      if (int err = write_file(path, values[*failed]); err != 0) return err;
    return 0;
  }
  int kill_process(pid_t pid, int signal) override {
    kills_.push_back(pid);
    // The process dies: it leaves every cgroup.procs of the tree.
    for (auto& entry : fs::recursive_directory_iterator(root_)) {
      if (entry.path().filename() != "cgroup.procs") continue;
      std::istringstream in(read_text(entry.path()));
      std::string kept;
      for (pid_t p; in >> p;)
        if (p != pid) kept += std::to_string(p) + "\n";
      write_text(entry.path(), kept);
    }
    return 0;
  }

  std::string rel(const std::string& path) const {
    return path.starts_with(root_ + "/") ? path.substr(root_.size() + 1) : path;
  }
  std::vector<Write> writes_under(const std::string& prefix) const {
    std::vector<Write> result;
    for (const auto& w : writes_)
      if (w.path.starts_with(prefix)) result.push_back(w);
    return result;
  }

  const std::string root_;
  std::vector<Write> writes_;
  std::vector<std::string> made_;
  std::vector<std::string> removed_;
  std::vector<pid_t> kills_;
  std::vector<std::pair<std::string, std::vector<bpf_insn>>> programs_;
  int program_errno_ = 0;

 private:
  void populate(const std::string& path) {
    for (const auto& [mount, files] : files_) {
      if (path != mount && !path.starts_with(mount + "/")) continue;
      for (const auto& [name, content] : files)
        if (!fs::exists(path + "/" + name)) write_text(path + "/" + name, content);
      return;
    }
  }
  std::map<std::string, std::map<std::string, std::string>> files_;
  std::map<std::string, int> failures_;
};

// Collects best-effort warnings instead of printing them.
struct Warnings {
  std::vector<std::string> lines;
  std::function<void(const std::string&)> sink() {
    return [this](const std::string& text) { lines.push_back(text); };
  }
  bool mention(const std::string& needle) const {
    for (const auto& line : lines)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }
};

inline std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const launcher::StepError& e) {
    return e.describe();
  }
  return "";
}

}  // namespace cgroup_test
