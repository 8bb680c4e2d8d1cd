// SPDX-License-Identifier: Apache-2.0
#include "compiler/bpf/frequency.h"

#include <seccomp.h>

#include <fstream>
#include <sstream>

#include "compiler/diag/input_file.h"
#include "plan/syscall_table.h"

namespace policyc::seccomp {

std::optional<FrequencyProfile> parse_frequency_profile(const std::string& text, const std::string& file_name,
                                                        Diagnostics& diags) {
  FrequencyProfile profile;
  std::istringstream lines(text);
  std::string line;
  unsigned line_number = 0;
  const std::size_t errors_before = diags.error_count();
  while (std::getline(lines, line)) {
    ++line_number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string name, count_text, extra;
    if (!(fields >> name)) continue;  // blank or comment-only line
    const Location where{file_name, line_number, 1, static_cast<unsigned>(name.size())};
    if (!(fields >> count_text) || (fields >> extra)) {
      diags.error(where, "frequency profile line should be `name<TAB>count`", "write one syscall name and its call count per line");
      continue;
    }
    double count = -1;
    try {
      std::size_t used = 0;
      count = std::stod(count_text, &used);
      if (used != count_text.size()) count = -1;
    } catch (const std::exception&) {
    }
    if (!(count >= 0)) {
      diags.error(where, "call count \"" + count_text + "\" of \"" + name + "\" is not a non-negative number",
                  "write the number of calls, e.g. `read\t36263`");
      continue;
    }
    profile[name] += count;
  }
  if (diags.error_count() != errors_before) return std::nullopt;
  if (profile.empty()) {
    diags.error({file_name, 0, 0, 1}, "frequency profile has no syscalls", "write lines like `read\t36263`");
    return std::nullopt;
  }
  return profile;
}

std::optional<FrequencyProfile> load_frequency_profile(const std::string& path, Diagnostics& diags) {
  InputFile text = read_input_file(path);
  if (!text.text) {
    diags.error({path, 0, 0, 1}, "cannot read frequency profile: " + text.error, "check the path given to --profile");
    return std::nullopt;
  }
  return parse_frequency_profile(*text.text, path, diags);
}

const FrequencyProfile& default_frequency_profile() {
  static const FrequencyProfile profile = {
      {"read", 36263}, {"write", 31959}, {"newfstatat", 26460}, {"close", 17074}, {"openat", 16500},
      {"fcntl", 7284}, {"unlinkat", 6422}, {"utimensat", 6396}, {"getdents64", 5569}, {"fchown", 5281},
      {"fchmod", 5281}, {"fchownat", 1115}, {"mmap", 1084}, {"mkdirat", 1027}, {"chmod", 1027},
      {"rt_sigaction", 786}, {"rt_sigprocmask", 575}, {"execve", 269}, {"lseek", 200}, {"mprotect", 179},
      {"brk", 173}, {"ioctl", 148}, {"access", 120}, {"geteuid", 94}, {"wait4", 92},
      {"pread64", 92}, {"getuid", 91}, {"getegid", 91}, {"getgid", 91}, {"getpid", 90},
      {"symlinkat", 88}, {"readlinkat", 88}, {"set_robust_list", 88}, {"prlimit64", 78}, {"dup2", 60},
      {"futex", 55}, {"munmap", 54}, {"getppid", 50}, {"getrandom", 47}, {"rseq", 46},
      {"set_tid_address", 46}, {"arch_prctl", 46}, {"rt_sigreturn", 45}, {"clone", 42}, {"pipe2", 29},
      {"sysinfo", 17}, {"getpgrp", 16}, {"uname", 16}, {"socket", 8}, {"connect", 8},
      {"readlink", 7}, {"faccessat2", 6}, {"chdir", 6}, {"vfork", 5}, {"getcwd", 5},
      {"statfs", 4}, {"dup", 4}, {"gettid", 2}, {"creat", 1}, {"umask", 1},
      {"fstatfs", 1},
  };
  return profile;
}

std::vector<double> weights_by_nr(const FrequencyProfile& profile, std::size_t count) {
  std::vector<double> weights(count, 0.0);
  double total = 0;
  for (const auto& [name, calls] : profile) {
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
    if (nr == __NR_SCMP_ERROR) {  // newer than libseccomp: the generated table's number
      const auto generated = plan::syscall_number(plan::SyscallAbi::X86_64, name);
      nr = generated ? static_cast<int>(*generated) : -1;
    }
    if (nr < 0 || static_cast<std::size_t>(nr) >= count) continue;
    weights[static_cast<std::size_t>(nr)] += calls;
    total += calls;
  }
  if (total > 0) {
    for (double& w : weights) w /= total;
  }
  return weights;
}

}  // namespace policyc::seccomp
