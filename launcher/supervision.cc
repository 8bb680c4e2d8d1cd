// SPDX-License-Identifier: Apache-2.0
#include "launcher/supervision.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "launcher/host/error.h"
#include "launcher/supervisor/notify_filter.h"

namespace launcher {

Supervision::~Supervision() {
  supervisor.reset();
  if (out && out != stderr) std::fclose(out);
}

std::string Supervision::describe() const {
  switch (watch) {
    case Watch::Kills: return "a kill by the filter is reported on stderr before it happens (--denials=off)";
    case Watch::Denials: return "denied calls reported to " + destination + ", repeats counted, a summary at exit";
    case Watch::All: return "learn: every call the policy would deny is let through, recorded, and allowed in " + learn_policy;
  }
  return "";
}

void Supervision::finish() {
  if (!learner) return log->print_summary();
  for (const auto& note : learner->notes()) std::fprintf(stderr, "plan-exec: learn: %s\n", note.c_str());
  const std::vector<std::string> lines = learner->lines();
  if (lines.empty()) {
    std::fprintf(stderr, "plan-exec: learn: the run needed nothing the policy does not allow; %s unchanged\n",
                 learn_policy.c_str());
    return;
  }
  try {
    write_learned_lines(learn_policy, source, lines);
    std::fprintf(stderr, "plan-exec: learn: %zu allow line%s (%zu call%s) added to %s; recompile it with policyc\n",
                 lines.size(), lines.size() == 1 ? "" : "s", learner->calls(), learner->calls() == 1 ? "" : "s", learn_policy.c_str());
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "plan-exec: %s; the lines it would have added:\n", e.what());
    for (const auto& line : lines) std::fprintf(stderr, "  %s\n", line.c_str());
  }
}

std::unique_ptr<Supervision> prepare_supervision(const plan::Plan& plan, const RunOptions& options, bool dry_run) {
  if (options.learn && !plan.seccomp) {
    throw StepError("supervisor", "--learn: the plan has no seccomp filter, so there is nothing to learn; give the "
                                  "policy a seccomp block (e.g. `seccomp default errno(EPERM) { allow execve exit_group }`)");
  }
  if (!plan.seccomp) return nullptr;
  DenialMode mode = options.denials;
  if (mode == DenialMode::Default) mode = ::isatty(STDERR_FILENO) ? DenialMode::Stderr : DenialMode::Off;
  auto s = std::make_unique<Supervision>();
  s->watch = options.learn ? Watch::All : mode == DenialMode::Off ? Watch::Kills : Watch::Denials;
  if (!returns_watched_verdict(plan.seccomp->bpf, s->watch)) {
    if (options.learn) std::fprintf(stderr, "plan-exec: learn: the policy's filter allows every call; nothing to learn\n");
    return nullptr;
  }
  auto copy = notifying_copy(plan.seccomp->bpf, s->watch);
  // The command process waits for the supervisor with a read (load_filter_handing_listener):
  // when only kills are watched and the policy denies read, the errno verdicts go through the
  // supervisor too (answered the same, not printed), so that read can.
  if (copy && s->watch == Watch::Kills && !lets_through(*copy, SYS_read, {3, 0x10000, 1, 0, 0, 0})) {
    copy = notifying_copy(plan.seccomp->bpf, Watch::Denials);
  }
  if (!copy) {
    if (options.learn) throw StepError("supervisor", "--learn: the plan's filter computes its return values (RET A), which plan-exec cannot rewrite");
    std::fprintf(stderr, "plan-exec: note: the plan's filter computes its return values (RET A); denials are not reported\n");
    return nullptr;
  }
  s->notifying_bpf = std::move(*copy);
  s->destination = options.denials_file.empty() ? "stderr" : options.denials_file;
  s->out = stderr;
  if (!options.denials_file.empty() && !dry_run) {
    const int fd = ::open(options.denials_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) throw StepError("supervisor", "open the denial report file " + options.denials_file, errno);
    s->out = ::fdopen(fd, "a");
    if (!s->out) {
      ::close(fd);
      throw StepError("supervisor", "open the denial report file " + options.denials_file, errno);
    }
  }
  const bool json = mode == DenialMode::Json;
  s->log = std::make_unique<DenialLog>(s->out, json ? DenialFormat::Json : DenialFormat::Text, s->watch != Watch::Kills);
  SupervisorConfig config{s->watch, s->log.get(), {}};
  if (options.learn) {
    try {
      check_learn_target(options.learn_policy, *plan.seccomp);
    } catch (const std::runtime_error& e) {
      throw StepError("supervisor", e.what());
    }
    s->learn_policy = options.learn_policy;
    s->source = *plan.seccomp->source;
    s->learner = std::make_unique<Learner>(*plan.seccomp);
    config.learn = [learner = s->learner.get()](const ObservedCall& call) { learner->observe(call); };
  }
  if (!dry_run) s->supervisor = std::make_unique<Supervisor>(*plan.seccomp, config);
  return s;
}

}  // namespace launcher
