// SPDX-License-Identifier: Apache-2.0
// --learn: the calls a run needed beyond what the policy allows, turned into allow lines and
// written into the policy's seccomp block, before its closing brace (where the plan's source map
// says it is), inside one marked block that later runs extend:
//   # learned by plan-exec --learn (1 run); review before trusting it
//   allow openat  # 312 calls, first: openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC)
//   allow socket if u32(arg0) == 10  # AF_INET6: 2 calls, first: socket(AF_INET6, SOCK_STREAM, 0)
//   # end of learned lines
// The arguments rules usually test become conditions: socket's family, clone's flags, ioctl's
// request, prctl's option. A call an explicit rule of the policy denies (not the default) gets
// no allow line: first match wins, so a line added after it could not change the verdict; the
// run's summary names that rule instead, to be changed by hand.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "launcher/supervisor/supervisor.h"
#include "plan/plan.h"

namespace launcher {

class Learner {
 public:
  explicit Learner(const plan::Seccomp& seccomp) : seccomp_(seccomp) {}
  void observe(const ObservedCall& call);  // from the supervisor thread

  // The allow lines (with their comments), in syscall order, and what could not be learned.
  std::vector<std::string> lines() const;
  std::vector<std::string> notes() const;
  std::size_t calls() const { return calls_; }

 private:
  struct Seen {
    std::size_t count = 0;
    std::string first;
    std::string label;  // the value a condition tests, named: "AF_INET6"
  };
  const plan::Seccomp seccomp_;  // a copy: the plan it came from moves
  std::size_t calls_ = 0;
  // (syscall, condition text) -> seen; condition "" = unconditional
  std::map<std::tuple<int, std::string>, Seen> allow_;
  std::map<std::string, Seen> explicit_denies_;  // rule text -> seen
  std::map<std::string, Seen> foreign_;          // calls of another arch
};

// Writes `lines` into the policy file's seccomp block: before `end_line`:`end_column` (the
// closing brace), or into the learned block that ends right before it. Throws std::runtime_error
// naming the file when it does not look as the plan says (changed since it was compiled).
void write_learned_lines(const std::string& policy_file, const plan::SeccompSource& source,
                         const std::vector<std::string>& lines);

// The same on text, for tests: returns the new text.
std::string add_learned_lines(const std::string& text, unsigned end_line, unsigned end_column,
                              const std::vector<std::string>& lines);

// Checks, before the run, that `policy_file` has the plan's closing brace where the source map
// says. Throws std::runtime_error saying what to do.
void check_learn_target(const std::string& policy_file, const plan::Seccomp& seccomp);

}  // namespace launcher
