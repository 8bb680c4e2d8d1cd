// SPDX-License-Identifier: Apache-2.0
// A program run on a pseudo-terminal as if from an interactive shell: the test holds the
// master (a terminal emulator's side) and a slave descriptor (to read the terminal's settings
// and what is queued for its reader); the program is a session leader whose controlling
// terminal and stdin/stdout/stderr are the slave. Kills only the process it started, by pid.
#pragma once

#include <sys/types.h>
#include <termios.h>

#include <string>
#include <vector>

namespace testsupport {

class PtySession {
 public:
  // Starts `argv` (argv[0] an absolute path) with PATH plus `env`, on a new pty of rows x cols.
  PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env, unsigned short rows = 24,
             unsigned short cols = 80);
  ~PtySession();  // SIGKILLs and reaps the program if it still runs
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  pid_t pid() const { return pid_; }
  int master() const { return master_; }
  // Reads the master until the output contains `text` (true) or `timeout_ms` passes (false).
  bool wait_for_output(const std::string& text, int timeout_ms);
  // Writes to the master: what a user types.
  void type(const std::string& bytes);
  // The window size, as a terminal emulator sets it (the foreground group gets SIGWINCH).
  void resize(unsigned short rows, unsigned short cols);
  // The terminal's settings now (tcgetattr on the slave), and before the program started.
  termios settings() const;
  const termios& initial_settings() const { return initial_; }
  // Waits for the exit, reading the master meanwhile; the code as a shell reports it (128+signal),
  // -2 after a timeout (the program is then killed).
  int finish(int timeout_seconds = 30);
  // Everything the master read so far: the program's output and the terminal's echo.
  const std::string& output() const { return out_; }
  // What the terminal holds for its reader (a shell would read it next); without waiting.
  std::string pending_input();

 private:
  void read_available(int timeout_ms);
  pid_t pid_ = -1;
  int master_ = -1, slave_ = -1;
  std::string out_;
  termios initial_{};
};

// Same terminal settings (modes, control characters, speeds)?
bool same_settings(const termios& a, const termios& b);

}  // namespace testsupport
