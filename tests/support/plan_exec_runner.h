// SPDX-License-Identifier: Apache-2.0
// Running plan-exec (or any program) from a test: captured stdout/stderr and exit status,
// optional extra environment, optional unprivileged uid (rootless tests), a timeout, and a
// background mode for signal tests. Kills only the processes it started, by pid.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace testsupport {

// The unprivileged uid rootless tests run as (nobody).
inline constexpr int kNobody = 65534;

struct ProcessOptions {
  std::vector<std::string> env;  // added to a minimal environment (PATH, unless env sets it)
  int run_as_uid = -1;           // >= 0: setgroups({}), setresgid/setresuid to it before exec
  int timeout_seconds = 30;
  std::string stdin_path{};      // "" = /dev/null; opened with stdin_flags (a directory too)
  int stdin_flags = 0;           // O_RDONLY, or e.g. O_PATH | O_DIRECTORY
  std::string cwd{};             // "" = the test's own
};

struct ProcessResult {
  int exit_code = -1;  // as a shell reports it: the code, or 128+signal
  std::string out, err;
  std::string summary() const;  // for assertion messages
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});
// run_process({PLAN_EXEC_BIN, args...})
ProcessResult run_plan_exec(const std::vector<std::string>& args, const ProcessOptions& options = {});
// run_process({POLICYC_BIN, args...})
ProcessResult run_policyc(const std::vector<std::string>& args, const ProcessOptions& options = {});

// A process running in the background; the destructor SIGKILLs and reaps it if still running.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  pid_t pid() const { return pid_; }
  // Reads stdout until it contains `text` (true) or the timeout passes (false).
  bool wait_for_output(const std::string& text, int timeout_ms);
  // Reads its output for `ms`, then whether it still runs (it is not reaped: finish() still works).
  bool running_after(int ms);
  // Waits for exit and returns the result (stdout read so far + the rest).
  ProcessResult finish(int timeout_seconds = 30);

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
};

// Parses "key=value" lines of probe output; "" when the key is missing.
std::string probe_value(const std::string& output, const std::string& key);

// CLOCK_MONOTONIC in milliseconds, for the deadlines of the process helpers.
long now_ms();

// Whether user namespaces can be created by an unprivileged user here.
bool unprivileged_userns_available();

}  // namespace testsupport
