// SPDX-License-Identifier: Apache-2.0
// Escape probes: tests/programs/escape_probe runs inside policies/strict.pol (pointed at
// a test rootfs) as uid 1000 and tries the classic ways out: ptrace, the x32 and i386 ABIs,
// mount, unshare, keyctl, syslog, /proc/sysrq-trigger, pivot_root, chroot, the host's
// /proc/1/environ, the host's cgroup files, a descriptor plan-exec inherited, a setuid binary.
// Every attempt must be refused; the probe's report is printed in the test log. Where the kernel
// has an ABI off, the compiled plan's arch guard is proven in the BPF interpreter.
//
// The probe is only ever run inside plan-exec: on the host it would really try to mount over /tmp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "plan/plan_json.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/proof_env.h"
#include "tests/support/rootfs.h"
#include "tests/support/security_suite.h"

namespace {

namespace fs = std::filesystem;
using testsupport::ProcessOptions;
using testsupport::ProcessResult;

// Host uid that the strict policy's `uidmap 0 100000 65536` makes the container's root.
constexpr uid_t kMappedRoot = 100000;
// A descriptor number the test leaves open (no O_CLOEXEC) across plan-exec's exec.
constexpr int kInheritedFd = 41;

// Lines the probe prints, in order, each "<name>: <result>".
const std::vector<std::string> kProbeNames = {
    "ptrace",  "x32 syscall ABI", "i386 ABI (int 0x80)",       "mount",   "unshare user namespace",
    "unshare mount namespace",    "keyctl", "syslog",          "write /proc/sysrq-trigger",
    "pivot_root", "chroot",       "host /proc/1/environ",      "write host cgroup files",
    "inherited file descriptor",  "setuid binary"};

// Attempts the strict policy answers with kill_process: a refusal by anything but the filter
// (a missing capability, a read-only mount) would hide a filter that does not work.
const std::vector<std::string> kKilledByTheFilter = {
    "ptrace", "mount", "unshare user namespace", "unshare mount namespace", "keyctl", "syslog", "pivot_root", "chroot"};

// A setuid copy of the euid helper (exits 0 when its euid is 0) owned by `owner`.
void install_setuid_copy(const std::string& rootfs, const std::string& name, uid_t owner) {
  const std::string path = rootfs + "/home/" + name;
  fs::copy_file(rootfs + "/home/euid", path, fs::copy_options::overwrite_existing);
  if (::chown(path.c_str(), owner, owner) != 0 || ::chmod(path.c_str(), 04755) != 0) {
    throw std::runtime_error("cannot make " + path + " setuid (owner " + std::to_string(owner) + ")");
  }
}

class EscapeProbe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    try {
      scratch_ = new testsupport::ScratchDir("escape");
      const std::string rootfs = scratch_->path() + "/rootfs";
      testsupport::build_rootfs(rootfs);
      install_setuid_copy(rootfs, "euid-setuid", 0);
      install_setuid_copy(rootfs, "euid-setuid-mapped", kMappedRoot);
      const std::string pol = scratch_->path() + "/strict.pol";
      proof::write_policy_variant(std::string(SOURCE_DIR) + "/policies/strict.pol", pol,
                                  {{"\"/var/lib/policyc/busybox\"", "\"" + rootfs + "\""}});
      proof::compile_policy_file(pol, plan_path());
    } catch (const std::exception& e) {
      setup_error_ = new std::string(e.what());
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
    delete setup_error_;
    setup_error_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: plan-exec makes namespaces, mounts and cgroups";
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
    before_ = proof::baseline();
  }
  void TearDown() override {
    if (geteuid() != 0 || !scratch_) return;
    // Nothing of the runs may stay: mounts of the rootfs, cgroups, processes.
    proof::InstanceTraces traces{-1, "strict", scratch_->path(), "/home/escape_probe"};
    const auto left = proof::wait_for_no_leftovers(traces, before_, std::chrono::milliseconds(3000));
    EXPECT_TRUE(left.empty()) << "left behind:\n" << proof::lines(left);
  }
  static std::string plan_path() { return scratch_->path() + "/strict.plan"; }
  static std::string rootfs() { return scratch_->path() + "/rootfs"; }

  static testsupport::ScratchDir* scratch_;
  static std::string* setup_error_;
  proof::Baseline before_;
};

testsupport::ScratchDir* EscapeProbe::scratch_ = nullptr;
std::string* EscapeProbe::setup_error_ = nullptr;

// A host directory opened without O_CLOEXEC at kInheritedFd for the test's lifetime: the
// descriptor runc leaked in CVE-2024-21626. plan-exec must close it before the command runs.
class InheritedFd {
 public:
  explicit InheritedFd(const std::string& host_dir) {
    const int fd = ::open(host_dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) throw std::runtime_error("cannot open " + host_dir);
    if (::dup2(fd, kInheritedFd) != kInheritedFd) throw std::runtime_error("dup2 failed");
    ::close(fd);
  }
  ~InheritedFd() { ::close(kInheritedFd); }
};

TEST_F(EscapeProbe, TheStrictPolicyRunsAsAnUnprivilegedUser) {
  const plan::Plan p = plan::load_file(plan_path());
  EXPECT_EQ(p.user.uid, 1000u) << "policies/strict.pol should say `user 1000:1000`";
  EXPECT_EQ(p.user.gid, 1000u);
  EXPECT_TRUE(p.no_new_privs);
  ASSERT_TRUE(p.seccomp.has_value()) << "the strict plan has no seccomp filter";
  EXPECT_TRUE(p.has_namespace(plan::Namespace::User));
  EXPECT_TRUE(p.has_namespace(plan::Namespace::Pid));
  EXPECT_TRUE(p.has_namespace(plan::Namespace::Mount));
}

TEST_F(EscapeProbe, EveryAttemptIsRefused) {
  InheritedFd inherited(scratch_->path());
  const std::string marker = "PROOF_HOST_MARKER_" + std::to_string(getpid());
  ProcessOptions options;
  options.env = {marker + "=host-secret"};
  options.timeout_seconds = 60;
  const ProcessResult r = testsupport::run_plan_exec(
      {plan_path(), "--", "/home/escape_probe", "--inherited-fd", std::to_string(kInheritedFd), "--setuid-helper",
       "/home/euid-setuid", "--host-environ-marker", marker},
      options);
  std::printf("---- escape_probe inside policies/strict.pol (plan-exec exit %d)\n%s", r.exit_code, r.out.c_str());
  if (!r.err.empty()) std::printf("---- plan-exec stderr\n%s", r.err.c_str());

  EXPECT_EQ(r.out.find("ESCAPED"), std::string::npos) << r.summary();
  EXPECT_NE(r.out.find("escaped: 0\n"), std::string::npos) << r.summary();
  EXPECT_EQ(r.exit_code, 0) << "the probe exits with the number of escapes\n" << r.summary();
  for (const auto& name : kProbeNames) {
    EXPECT_NE(security::probe_line(r.out, name), "") << "probe line \"" << name << "\" missing\n" << r.summary();
  }
  for (const auto& name : kKilledByTheFilter) {
    EXPECT_NE(security::probe_line(r.out, name).find("SIGSYS: seccomp"), std::string::npos)
        << name << " should be killed by the strict filter (kill_process): " << security::probe_line(r.out, name);
  }
  for (const std::string abi : {"x32 syscall ABI", "i386 ABI (int 0x80)"}) {
    const std::string line = security::probe_line(r.out, abi);
    const bool by_filter = line.find(": refused (killed by SIGSYS") != std::string::npos;
    const bool by_kernel = line.find(": kernel-refused (") != std::string::npos;
    EXPECT_TRUE(by_filter || by_kernel) << abi << ": " << line;
  }
  EXPECT_NE(security::probe_line(r.out, "inherited file descriptor").find("Bad file descriptor"), std::string::npos)
      << security::probe_line(r.out, "inherited file descriptor");
  EXPECT_NE(security::probe_line(r.out, "setuid binary").find(": refused (exit 1:"), std::string::npos)
      << "the setuid helper ran and kept a non-root euid: " << security::probe_line(r.out, "setuid binary");
}

// The kernel here has x32 and int 0x80 off, so the probe cannot show the filter's own guard:
// the interpreter does, on the very bytes plan-exec loads.
TEST_F(EscapeProbe, TheStrictFilterKillsForeignArchitectures) {
  const plan::Plan p = plan::load_file(plan_path());
  ASSERT_TRUE(p.seccomp.has_value());
  const auto program = policyc::bpf::decode(p.seccomp->bpf);
  ASSERT_FALSE(program.empty());
  struct Case {
    const char* what;
    int nr;
    std::uint32_t arch;
  };
  const Case cases[] = {
      {"x32 getpid (nr|0x40000000, AUDIT_ARCH_X86_64)", policyc::bpf::kX32SyscallBit | SYS_getpid,
       policyc::bpf::kAuditArchX86_64},
      {"x32 read", policyc::bpf::kX32SyscallBit | SYS_read, policyc::bpf::kAuditArchX86_64},
      {"i386 getpid through int 0x80 (nr 20, AUDIT_ARCH_I386)", 20, policyc::bpf::kAuditArchI386},
      {"i386 with the x32 bit", policyc::bpf::kX32SyscallBit | SYS_getpid, policyc::bpf::kAuditArchI386},
      {"i386 exit_group (nr 252)", 252, policyc::bpf::kAuditArchI386},
  };
  for (const auto& c : cases) {
    policyc::bpf::SeccompData data;
    data.nr = c.nr;
    data.arch = c.arch;
    std::string error;
    const auto verdict = policyc::bpf::run(program, data, &error);
    ASSERT_TRUE(verdict.has_value()) << c.what << ": " << error;
    std::printf("arch guard: %-55s -> ret 0x%08x after %zu instructions\n", c.what, verdict->ret, verdict->executed);
    EXPECT_EQ(verdict->action(), SECCOMP_RET_KILL_PROCESS) << c.what;
  }
  // The same numbers on the native ABI are allowed: the guard is what refuses the calls above.
  policyc::bpf::SeccompData native;
  native.nr = SYS_getpid;
  const auto verdict = policyc::bpf::run(program, native);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->action(), SECCOMP_RET_ALLOW);
}

// With the helper owned by the container's own root (host uid 100000, mapped), only
// no_new_privs stands between uid 1000 and euid 0.
TEST_F(EscapeProbe, ASetuidBinaryOfTheContainersRootGivesNoPrivileges) {
  // Control, on the host, as nobody: the helper does raise privileges when nothing stops it.
  const std::string host_copy = rootfs() + "/home/euid-setuid";
  const auto control = testsupport::run_process({host_copy}, ProcessOptions{{}, 65534, 10});
  if (control.exit_code != 0) {
    std::printf("note: the setuid helper gives no euid 0 even on the host (exit %d; nosuid file system?)\n",
                control.exit_code);
  }
  const ProcessResult r = testsupport::run_plan_exec({plan_path(), "--", "/home/euid-setuid-mapped"});
  EXPECT_EQ(r.exit_code, 1) << "exit 0 means the setuid binary ran with euid 0 inside the container\n"
                            << r.summary();
}

// Control: the probe does find escapes when the plan's defences are taken out (no filter, no
// no_new_privs, no Landlock), so the test above would fail if plan-exec stopped applying them. Still run
// inside plan-exec's namespaces: the probe never runs on the host.
TEST_F(EscapeProbe, WithoutTheFilterAndNoNewPrivsTheProbeFindsEscapes) {
  nlohmann::json j = nlohmann::json::parse(testsupport::read_text(plan_path()));
  j.erase("seccomp");
  j.erase("landlock");  // a Landlock ruleset needs no_new_privs (a plan rule): out with it
  j["no_new_privs"] = false;
  const std::string weak = scratch_->path() + "/weakened.plan";
  testsupport::write_text(weak, j.dump());
  const ProcessResult r = testsupport::run_plan_exec(
      {weak, "--", "/home/escape_probe", "--setuid-helper", "/home/euid-setuid-mapped"}, ProcessOptions{{}, -1, 60});
  std::printf("---- escape_probe in the weakened plan (exit %d)\n%s", r.exit_code, r.out.c_str());
  EXPECT_GT(r.exit_code, 0) << r.summary();
  EXPECT_NE(security::probe_line(r.out, "setuid binary").find("ESCAPED"), std::string::npos) << r.summary();
  EXPECT_NE(security::probe_line(r.out, "ptrace").find("ESCAPED"), std::string::npos) << r.summary();
}

}  // namespace
