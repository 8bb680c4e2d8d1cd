// The libseccomp backend: the IR's rules, made order-independent by
// libseccomp_backend_rules.h, are handed to libseccomp 2.5 (binary tree layout), exported as
// BPF through a memfd (2.5.4 has no export-to-memory), decoded, and checked against the IR
// in the interpreter before anyone gets to load it.
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "compiler/seccomp/backend.h"
#include "compiler/seccomp/bpf_interp.h"
#include "compiler/seccomp/libseccomp_backend_rules.h"
#include "compiler/seccomp/libseccomp_backend_verify.h"

namespace policyc::seccomp {
namespace {

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
 private:
  int fd_;
};

// Our actions carry the kernel's SECCOMP_RET_* values, which are libseccomp's SCMP_ACT_* too.
std::uint32_t scmp_action(const Action& action) { return seccomp_ret_of(action); }

scmp_compare scmp_op(CmpOp op) {
  switch (op) {
    case CmpOp::Eq: return SCMP_CMP_EQ;
    case CmpOp::Ne: return SCMP_CMP_NE;
    case CmpOp::Lt: return SCMP_CMP_LT;
    case CmpOp::Le: return SCMP_CMP_LE;
    case CmpOp::Gt: return SCMP_CMP_GT;
    case CmpOp::Ge: return SCMP_CMP_GE;
    case CmpOp::MaskedEq: return SCMP_CMP_MASKED_EQ;
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
      if (c.op == CmpOp::MaskedEq) comparisons.push_back({c.arg, scmp_op(c.op), c.mask, c.value});
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

std::optional<std::vector<sock_filter>> export_bpf(void* ctx, Diagnostics& diags) {
  Fd fd(memfd_create("policyc-bpf", MFD_CLOEXEC));
  if (fd.get() < 0) {
    diags.error({}, std::string("memfd_create for the BPF export failed: ") + std::strerror(errno),
                "the kernel must support memfd_create (Linux >= 3.17)");
    return std::nullopt;
  }
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc < 0) {
    diags.error({}, failure("libseccomp: exporting the BPF program", rc));
    return std::nullopt;
  }
  off_t size = lseek(fd.get(), 0, SEEK_END);
  std::vector<std::uint8_t> bytes(size > 0 ? static_cast<std::size_t>(size) : 0);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
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

// One attempt with one rule form; verification errors go to `check_diags`.
std::vector<sock_filter> attempt(const Filter& filter, LibseccompForm form, int optimize, Diagnostics& diags,
                                 Diagnostics& check_diags) {
  std::optional<std::vector<LibseccompRule>> rules = to_libseccomp_rules(filter, form, diags);
  if (!rules) return {};
  Context ctx(seccomp_init(scmp_action(filter.default_action)));
  if (!ctx) {
    diags.error({}, "libseccomp refused the default action " + filter.default_action.to_string(),
                "use allow, errno(E), kill_thread, kill_process, trap, log or trace(N)");
    return {};
  }
  if (!configure(ctx.get(), filter, optimize, diags) || !add_rules(ctx.get(), *rules, diags)) return {};
  std::optional<std::vector<sock_filter>> program = export_bpf(ctx.get(), diags);
  if (!program || !verify_filter(filter, *program, "libseccomp", check_diags)) return {};
  return *program;
}

}  // namespace

std::vector<sock_filter> compile_libseccomp(const Filter& filter, Diagnostics& diags, int optimize) {
  Diagnostics first_check;
  std::size_t errors_before = diags.error_count();
  std::vector<sock_filter> program = attempt(filter, LibseccompForm::NativeRanges, optimize, diags, first_check);
  if (!program.empty() || diags.error_count() > errors_before) return program;
  // libseccomp merged the compact form wrongly: retry with equality nodes only.
  Diagnostics second_check;
  program = attempt(filter, LibseccompForm::EqualityOnly, optimize, diags, second_check);
  if (program.empty() && diags.error_count() == errors_before) {
    for (const Diagnostic& d : second_check.all()) diags.error(d.where, d.message, d.hint);
  }
  return program;
}

}  // namespace policyc::seccomp
