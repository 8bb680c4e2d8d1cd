// SPDX-License-Identifier: Apache-2.0
#include "tests/support/plan_exec_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace testsupport {

long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

namespace {


pid_t spawn(const std::vector<std::string>& argv, const ProcessOptions& options, int* out_fd, int* err_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> env;
  bool sets_path = false;
  for (const auto& e : options.env) sets_path = sets_path || e.rfind("PATH=", 0) == 0;
  if (!sets_path) env.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  env.insert(env.end(), options.env.begin(), options.env.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cargv.push_back(nullptr);
  cenv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    const int in = open(options.stdin_path.empty() ? "/dev/null" : options.stdin_path.c_str(),
                        options.stdin_path.empty() ? O_RDONLY : options.stdin_flags);
    if (in < 0) _exit(123);
    dup2(in, 0);
    if (in > 2) close(in);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(122);
    if (options.run_as_uid >= 0) {
      const auto id = static_cast<uid_t>(options.run_as_uid);
      if (setgroups(0, nullptr) != 0 || setresgid(id, id, id) != 0 || setresuid(id, id, id) != 0) _exit(124);
    }
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(errno == ENOENT ? 127 : 126);
  }
  close(out[1]);
  close(err[1]);
  *out_fd = out[0];
  *err_fd = err[0];
  return pid;
}

// Reads what is available on both pipes until both hit EOF or `deadline` passes.
void drain(int& out_fd, int& err_fd, std::string& out, std::string& err, long deadline, const std::string& until = "") {
  while (out_fd >= 0 || err_fd >= 0) {
    if (!until.empty() && out.find(until) != std::string::npos) return;
    const long left = deadline - now_ms();
    if (left <= 0) return;
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left)) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err).append(buf, static_cast<std::size_t>(n));
      } else {
        close(fd);
        fd = -1;
      }
    }
  }
}

int wait_exit(pid_t pid, long deadline) {
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (now_ms() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -2;  // timed out
    }
    usleep(2000);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

std::string ProcessResult::summary() const {
  return "exit " + std::to_string(exit_code) + "\n--- stdout\n" + out + "--- stderr\n" + err;
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  Background process(argv, options);
  return process.finish(options.timeout_seconds);
}

ProcessResult run_plan_exec(const std::vector<std::string>& args, const ProcessOptions& options) {
  std::vector<std::string> argv = {PLAN_EXEC_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}

ProcessResult run_policyc(const std::vector<std::string>& args, const ProcessOptions& options) {
  std::vector<std::string> argv{POLICYC_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}

Background::Background(const std::vector<std::string>& argv, const ProcessOptions& options) {
  pid_ = spawn(argv, options, &out_fd_, &err_fd_);
}

Background::~Background() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool Background::wait_for_output(const std::string& text, int timeout_ms) {
  drain(out_fd_, err_fd_, out_, err_, now_ms() + timeout_ms, text);
  return out_.find(text) != std::string::npos;
}

bool Background::running_after(int ms) {
  const long deadline = now_ms() + ms;
  drain(out_fd_, err_fd_, out_, err_, deadline);
  // Closed pipes end the drain early; the process may still be on its way out, or alive.
  while (now_ms() < deadline) usleep(10000);
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

ProcessResult Background::finish(int timeout_seconds) {
  const long deadline = now_ms() + timeout_seconds * 1000L;
  drain(out_fd_, err_fd_, out_, err_, deadline);
  ProcessResult result;
  result.exit_code = wait_exit(pid_, deadline);
  pid_ = -1;
  result.out = out_;
  result.err = err_;
  if (result.exit_code == -2) result.err += "\n[test runner: timed out after " + std::to_string(timeout_seconds) + " s, killed]";
  return result;
}

std::string probe_value(const std::string& output, const std::string& key) {
  const std::string needle = key + "=";
  std::size_t pos = 0;
  while ((pos = output.find(needle, pos)) != std::string::npos) {
    if (pos == 0 || output[pos - 1] == '\n') {
      const std::size_t start = pos + needle.size();
      const std::size_t end = output.find('\n', start);
      return output.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    pos += needle.size();
  }
  return "";
}

bool unprivileged_userns_available() {
  std::ifstream max("/proc/sys/user/max_user_namespaces");
  long n = 0;
  if (!(max >> n) || n == 0) return false;
  // Try it for real, as nobody, in a throwaway child.
  const pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(1);
    _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace testsupport
