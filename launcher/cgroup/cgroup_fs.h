// SPDX-License-Identifier: Apache-2.0
// The few filesystem operations the cgroup backends need, behind an interface so unit tests
// run the backends against a fake cgroupfs (a temp directory whose mkdir also creates the
// control files, as the kernel would) and record every write in order.
#pragma once

#include <linux/bpf.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace launcher {

class CgroupFs {
 public:
  virtual ~CgroupFs() = default;
  virtual bool exists(const std::string& path) const;
  // 0 or errno. EEXIST is reported, not hidden: callers decide.
  virtual int make_dir(const std::string& path);
  virtual int remove_dir(const std::string& path);
  // 0 or errno. Files are never created: a missing control file is ENOENT.
  virtual int write_file(const std::string& path, const std::string& value);
  // Several values into one file through one descriptor, one write(2) each (v1 devices.allow
  // takes one rule per write). 0, or the errno of the first value that failed, at `*failed`.
  virtual int write_values(const std::string& path, const std::vector<std::string>& values, std::size_t* failed);
  virtual std::optional<std::string> read_file(const std::string& path) const;
  virtual std::vector<std::string> subdirectories(const std::string& dir) const;
  // O_DIRECTORY fd (close-on-exec) for clone3(CLONE_INTO_CGROUP), or -1 with errno set.
  virtual int open_dir(const std::string& path) const;
  // O_WRONLY fd (close-on-exec) of a control file, or -1 with errno set: for writes made later
  // by another process (the container joining its v1 cgroups through `tasks`).
  virtual int open_for_write(const std::string& path) const;
  virtual int kill_process(pid_t pid, int signal);
  // cgroup v2: loads `program` (BPF_PROG_TYPE_CGROUP_DEVICE) and attaches it to the directory
  // `dir`. 0 or errno, with `problem` saying what failed (device_bpf.h).
  virtual int attach_device_program(const std::string& dir, const std::vector<bpf_insn>& program,
                                    std::string& problem);
};

// Helpers over CgroupFs.
// "key value" lines (memory.events, cpu.stat, memory.oom_control): the value of `key`.
std::optional<std::uint64_t> read_keyed_value(const CgroupFs& fs, const std::string& path, const std::string& key);
// A file holding one number (memory.peak, cpuacct.usage); nullopt when missing or "max".
std::optional<std::uint64_t> read_number(const CgroupFs& fs, const std::string& path);
// The pids listed in `dir`/cgroup.procs.
std::vector<pid_t> read_procs(const CgroupFs& fs, const std::string& dir);

// Kills everything in `dir` and its descendants (cgroup.kill where the kernel has it, else
// SIGKILL each pid in cgroup.procs until empty), then removes the directories, deepest first.
// Returns "" on success, else what failed (for a warning; the caller decides).
std::string kill_and_remove_cgroup(CgroupFs& fs, const std::string& dir);
// The same without removing anything: every process in `dir` and its descendants is gone
// (or "" is not returned: what is still there after 5 s).
std::string kill_cgroup_tree(CgroupFs& fs, const std::string& dir);

}  // namespace launcher
