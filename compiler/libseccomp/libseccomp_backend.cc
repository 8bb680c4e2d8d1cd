// SPDX-License-Identifier: Apache-2.0
// The libseccomp backend: the IR's rules, made order-independent by
// libseccomp_backend_rules.h, are handed to libseccomp 2.5 (binary tree layout), exported as
// BPF through a memfd (2.5.4 has no export-to-memory), decoded, and checked against the IR
// in the interpreter before anyone gets to load it.
#include "compiler/libseccomp/libseccomp_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/libseccomp/libseccomp_backend_rules.h"
#include "compiler/libseccomp/libseccomp_backend_verify.h"
#include "compiler/libseccomp/libseccomp_stub.h"

namespace policyc::seccomp {
namespace {

constexpr std::chrono::seconds kLibseccompDeadline{5};

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
 private:
  int fd_;
};

// Our actions carry the kernel's SECCOMP_RET_* values, which are libseccomp's SCMP_ACT_* too.
std::uint32_t scmp_action(const Action& action) { return seccomp_ret(action); }

scmp_compare scmp_op(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: return SCMP_CMP_EQ;
    case CmpOp::Ne: return SCMP_CMP_NE;
    case CmpOp::Lt: return SCMP_CMP_LT;
    case CmpOp::Le: return SCMP_CMP_LE;
    case CmpOp::Gt: return SCMP_CMP_GT;
    case CmpOp::Ge: return SCMP_CMP_GE;
  }
  return SCMP_CMP_EQ;
}

std::string failure(const char* what, int rc) {
  return std::string(what) + " failed: " + std::strerror(-rc);
}

Location location_of(const Rule* rule) {
  if (!rule) return {};
  return {rule->where.file, rule->where.line, rule->where.column, 1};
}

bool configure(void* ctx, const Filter& filter, int optimize, Diagnostics& diags) {
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, scmp_action(filter.bad_arch_action));
  if (rc < 0) {
    diags.error({}, failure("libseccomp: setting the bad-arch action", rc),
                "the bad-arch action must be a kill, trap or errno action");
    return false;
  }
  // The launcher sets no_new_privs itself, right before it loads the filter.
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc == 0) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, static_cast<std::uint32_t>(optimize));
  if (rc < 0) {
    diags.error({}, failure("libseccomp: setting the filter attributes", rc),
                "optimize must be 1 (linear) or 2 (binary tree)");
    return false;
  }
  for (const std::string& arch : filter.arches) {
    if (arch == "x86_64") continue;  // native: seccomp_init added it
    std::uint32_t token = arch == "x86" ? SCMP_ARCH_X86 : arch == "x32" ? SCMP_ARCH_X32 : 0;
    if (token == 0) {
      diags.error({}, "the libseccomp backend does not know arch \"" + arch + "\"",
                  "on x86_64 only x86_64, x86 and x32 are possible");
      return false;
    }
    rc = seccomp_arch_add(ctx, token);
    if (rc < 0 && rc != -EEXIST) {
      diags.error({}, failure(("libseccomp: adding arch " + arch).c_str(), rc));
      return false;
    }
  }
  return true;
}

bool add_rules(void* ctx, const std::vector<LibseccompRule>& rules, Diagnostics& diags) {
  for (const LibseccompRule& rule : rules) {
    std::vector<scmp_arg_cmp> comparisons;
    for (const ArgCondition& c : rule.conditions) {
      if (is_masked_eq(c)) comparisons.push_back({c.arg, SCMP_CMP_MASKED_EQ, c.mask, c.value});
      else comparisons.push_back({c.arg, scmp_op(c.op), c.value, 0});
    }
    int rc = seccomp_rule_add_array(ctx, scmp_action(rule.action), rule.nr,
                                    static_cast<unsigned>(comparisons.size()), comparisons.data());
    if (rc < 0) {
      std::string name = rule.source ? rule.source->syscall : std::to_string(rule.nr);
      diags.error(location_of(rule.source), "libseccomp refused the rule for " + name + ": " + std::strerror(-rc),
                  "simplify the rule's condition, or try the policyc backend");
      return false;
    }
  }
  return true;
}

std::optional<std::vector<sock_filter>> read_bpf(int fd, Diagnostics& diags) {
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<std::uint8_t> bytes(size > 0 ? static_cast<std::size_t>(size) : 0);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) {
      diags.error({}, std::string("reading back the exported BPF failed: ") + std::strerror(errno));
      return std::nullopt;
    }
    done += static_cast<std::size_t>(n);
  }
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0) {
    diags.error({}, "libseccomp exported " + std::to_string(bytes.size()) +
                        " bytes, not a whole number of BPF instructions");
    return std::nullopt;
  }
  return bpf::decode(bytes);
}

// Everything that calls libseccomp: build the filter and export it into `bpf_fd`.
bool build_and_export(const Filter& filter, const std::vector<LibseccompRule>& rules, int optimize, int bpf_fd,
                      Diagnostics& diags) {
  Context ctx(seccomp_init(scmp_action(filter.default_action)));
  if (!ctx) {
    diags.error({}, "libseccomp refused the default action " + filter.default_action.to_string(),
                "use allow, errno(E), kill_thread, kill_process, trap, log or trace(N)");
    return false;
  }
  if (!configure(ctx.get(), filter, optimize, diags) || !add_rules(ctx.get(), rules, diags)) return false;
  int rc = seccomp_export_bpf(ctx.get(), bpf_fd);
  if (rc < 0) {
    diags.error({}, failure("libseccomp: exporting the BPF program", rc));
    return false;
  }
  return true;
}

// Diagnostics cross the pipe from the child as fields separated by \x1f, records by \x1e.
std::string serialize(const Diagnostics& diags) {
  std::string out;
  for (const Diagnostic& d : diags.all()) {
    out += d.where.file + '\x1f' + std::to_string(d.where.line) + '\x1f' + std::to_string(d.where.column) +
           '\x1f' + d.message + '\x1f' + d.hint + '\x1e';
  }
  return out;
}

void deserialize(const std::string& text, Diagnostics& diags) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\x1e', start);
    if (end == std::string::npos) break;
    std::vector<std::string> fields;
    std::size_t field_start = start;
    for (std::size_t i = start; i <= end; ++i) {
      if (i == end || text[i] == '\x1f') {
        fields.push_back(text.substr(field_start, i - field_start));
        field_start = i + 1;
      }
    }
    if (fields.size() == 5) {
      Location where{fields[0], static_cast<unsigned>(std::stoul(fields[1])),
                     static_cast<unsigned>(std::stoul(fields[2])), 1};
      diags.error(where, fields[3], fields[4]);
    }
    start = end + 1;
  }
}

// libseccomp 2.5.4 can loop forever merging some overlapping rules, so it runs in a forked
// child with a deadline; the BPF comes back through a memfd both share, the diagnostics
// through a pipe. (policyc is single-threaded, so the child may call malloc.)
std::optional<std::vector<sock_filter>> build_in_child(const Filter& filter, const std::vector<LibseccompRule>& rules,
                                                       int optimize, Diagnostics& diags) {
  Fd bpf_fd(memfd_create("policyc-bpf", MFD_CLOEXEC));
  int pipe_fds[2];
  if (bpf_fd.get() < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    diags.error({}, std::string("creating the memfd/pipe for libseccomp's export failed: ") + std::strerror(errno),
                "the kernel must support memfd_create (Linux >= 3.17)");
    return std::nullopt;
  }
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  pid_t pid = fork();
  if (pid < 0) {
    diags.error({}, std::string("fork for the libseccomp backend failed: ") + std::strerror(errno));
    return std::nullopt;
  }
  if (pid == 0) {
    Diagnostics child_diags;
    bool ok = build_and_export(filter, rules, optimize, bpf_fd.get(), child_diags);
    std::string report = serialize(child_diags);
    for (std::size_t done = 0; done < report.size();) {
      ssize_t n = write(write_end.get(), report.data() + done, report.size() - done);
      if (n <= 0) _exit(3);
      done += static_cast<std::size_t>(n);
    }
    _exit(ok ? 0 : 1);
  }
  write_end.reset();  // so the read below sees EOF when the child is done
  std::string report;
  bool timed_out = false;
  auto deadline = std::chrono::steady_clock::now() + kLibseccompDeadline;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{read_end.get(), POLLIN, 0};
    int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = true;
      break;
    }
    char buffer[4096];
    ssize_t n = read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    report.append(buffer, static_cast<std::size_t>(n));
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    diags.error({}, "libseccomp did not finish merging the rules within " +
                        std::to_string(kLibseccompDeadline.count()) + " s (a libseccomp 2.5.4 weakness with "
                        "many overlapping argument conditions on one syscall)",
                "simplify the conditions of the syscalls with many rules, or use the policyc backend");
    return std::nullopt;
  }
  deserialize(report, diags);
  if (WIFSIGNALED(status)) {
    diags.error({}, "libseccomp crashed (signal " + std::to_string(WTERMSIG(status)) + ") building the filter",
                "please report this policy; the policyc backend may compile it");
    return std::nullopt;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (report.empty()) diags.error({}, "the libseccomp backend failed without a message");
    return std::nullopt;
  }
  return read_bpf(bpf_fd.get(), diags);
}

// One attempt with one rule form; verification errors go to `check_diags`.
std::vector<sock_filter> attempt(const Filter& filter, LibseccompForm form, int optimize, Diagnostics& diags,
                                 Diagnostics& check_diags) {
  std::optional<std::vector<sock_filter>> stub = libseccomp_stub(filter, diags);
  if (!stub) return {};
  Filter known = filter;  // the rules libseccomp can take: the stub decides the others
  std::erase_if(known.rules, needs_stub);
  std::optional<std::vector<LibseccompRule>> rules = to_libseccomp_rules(known, form, diags);
  if (!rules) return {};
  std::optional<std::vector<sock_filter>> program = build_in_child(known, *rules, optimize, diags);
  if (!program) return {};
  program->insert(program->begin(), stub->begin(), stub->end());
  if (program->size() > BPF_MAXINSNS) {
    diags.error({}, "libseccomp's filter has " + std::to_string(program->size()) + " instructions, more than the "
                    "kernel's limit of " + std::to_string(BPF_MAXINSNS),
                "use the policyc backend (the default)");
    return {};
  }
  if (!verify_filter(filter, *program, "libseccomp", check_diags)) return {};
  return *program;
}

}  // namespace

std::vector<sock_filter> compile_libseccomp(const Filter& filter, Diagnostics& diags, int optimize) {
  Diagnostics first_problems;
  std::vector<sock_filter> program = attempt(filter, LibseccompForm::Auto, optimize, first_problems, first_problems);
  if (!program.empty()) return program;
  // A limit, a refused rule or a hang is final; a wrong merge may not recur in the other shape.
  bool libseccomp_fault = std::any_of(first_problems.all().begin(), first_problems.all().end(), [](const Diagnostic& d) {
    return d.message.find("backend's filter gives") != std::string::npos;
  });
  if (libseccomp_fault) {
    Diagnostics second_problems;
    program = attempt(filter, LibseccompForm::NativeRanges, optimize, second_problems, second_problems);
    if (!program.empty()) return program;
  }
  for (const Diagnostic& d : first_problems.all()) diags.error(d.where, d.message, d.hint);
  return {};
}

}  // namespace policyc::seccomp
