// SPDX-License-Identifier: Apache-2.0
// `policyc export-oci` proven with a real OCI runtime: Debian's runc runs the exported
// config.json of policies/strict.pol and policies/hello.pol on the test rootfs. The hostname
// is the plan's, a denied syscall fails exactly as under plan-exec, and the memory and pids
// limits are in runc's cgroup. Only the bundle-specific parts are changed: the rootfs line
// of the policy (to the test rootfs), process.args (runc cannot take a command override) and
// cgroupsPath (a unique one per test). Every container is deleted (runc delete -f), and the
// bundle removed, even when a test fails.
//
// runc on this host (1.1.5, hybrid cgroups): no tweaks beyond the above; runc's own init
// calls fstatfs under the filter (the CVE-2024-21626 /proc check), so the tight example
// policies are exported with --runc-compat (the test without it proves the need).
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testsupport::ProcessResult;
using testsupport::probe_value;
using testsupport::run_process;

constexpr const char* kRunc = "/usr/sbin/runc";
constexpr std::uint32_t kMappedRoot = 100000;  // strict.pol: uidmap/gidmap 0 100000 65536

std::string unique(const std::string& what) {
  static int counter = 0;
  return "policyc-" + what + "-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

// A policy from policies/ with its rootfs pointed at `rootfs`.
std::string policy_with_rootfs(const std::string& name, const std::string& rootfs) {
  std::string text = testsupport::read_text(std::string(SOURCE_DIR) + "/policies/" + name);
  std::regex line("rootfs\\s+\"[^\"]*\"");
  std::string replaced = std::regex_replace(text, line, "rootfs \"" + rootfs + "\"",
                                            std::regex_constants::format_first_only);
  EXPECT_NE(replaced, text) << name << " has no rootfs line to point at the test rootfs";
  return replaced;
}

void chown_tree(const std::string& dir, std::uint32_t id) {
  ASSERT_EQ(::lchown(dir.c_str(), id, id), 0);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    ASSERT_EQ(::lchown(entry.path().c_str(), id, id), 0) << entry.path();
  }
}

// A bundle (rootfs + config.json) and the runc containers made from it; the destructor
// deletes every container it started, then the scratch directory goes.
class RuncBundle {
 public:
  explicit RuncBundle(const std::string& name) : dir_(name) {
    testsupport::build_rootfs(rootfs());
    fs::create_directories(dir_ / "state");
  }
  ~RuncBundle() {
    for (const auto& id : started_) run_process({kRunc, "--root", dir_ / "state", "delete", "-f", id});
  }
  std::string rootfs() const { return dir_ / "rootfs"; }
  std::string path(const std::string& child) const { return dir_ / child; }

  // policyc export-oci for `policy_text`; returns policyc's result (config in `config_`).
  ProcessResult export_oci(const std::string& policy_text, bool runc_compat) {
    std::string policy = dir_ / "policy.pol";
    testsupport::write_text(policy, policy_text);
    std::vector<std::string> argv{POLICYC_BIN, "export-oci", policy, "-o", dir_ / "exported.json"};
    if (runc_compat) argv.push_back("--runc-compat");
    ProcessResult result = run_process(argv);
    if (result.exit_code == 0) config_ = json::parse(testsupport::read_text(dir_ / "exported.json"));
    return result;
  }
  const json& config() const { return config_; }

  // Writes config.json with `args` as the process and a unique cgroup; returns the cgroup path.
  std::string prepare(const std::vector<std::string>& args) {
    json config = config_;
    config["process"]["args"] = args;
    cgroup_ = "/" + unique("runc-cg");
    config["linux"]["cgroupsPath"] = cgroup_;
    testsupport::write_text(dir_ / "config.json", config.dump(2));
    return cgroup_;
  }

  std::vector<std::string> run_argv() {
    std::string id = unique("runc");
    started_.push_back(id);
    return {kRunc, "--root", dir_ / "state", "run", "--bundle", dir_.path(), id};
  }

  ProcessResult run(const std::vector<std::string>& args) {
    prepare(args);
    testsupport::ProcessOptions options;
    options.timeout_seconds = 60;
    return run_process(run_argv(), options);
  }

 private:
  testsupport::ScratchDir dir_;
  json config_;
  std::string cgroup_;
  std::vector<std::string> started_;
};

// The plan-exec run of the same policy text, for comparison.
ProcessResult run_under_plan_exec(RuncBundle& bundle, const std::string& policy_text,
                                  const std::vector<std::string>& command) {
  std::string policy = bundle.path("plan-exec.pol"), plan = bundle.path("plan-exec.plan");
  testsupport::write_text(policy, policy_text);
  ProcessResult compiled = run_process({POLICYC_BIN, policy, "-o", plan});
  EXPECT_EQ(compiled.exit_code, 0) << compiled.summary();
  std::vector<std::string> args{plan, "--"};
  args.insert(args.end(), command.begin(), command.end());
  return testsupport::run_plan_exec(args);
}

std::string read_cgroup_file(const std::string& controller, const std::string& cgroup, const std::string& file,
                             int timeout_ms = 5000) {
  std::string path = "/sys/fs/cgroup/" + controller + cgroup + "/" + file;
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    std::ifstream in(path);
    std::string value;
    if (in >> value) return value;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "(missing " + path + ")";
}

class RuncExport : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (runc run)";
    if (!fs::exists(kRunc)) GTEST_SKIP() << "runc is not installed (apt-get install runc)";
  }
};

const std::vector<std::string> kDeniedCalls = {"/home/probe", "syscall", "170", "0", "0",   // sethostname
                                               "syscall", "435", "0", "0"};                 // clone3

TEST_F(RuncExport, StrictPolicyRunsWithItsHostnameUserFilterAndLimits) {
  RuncBundle bundle(unique("strict"));
  chown_tree(bundle.rootfs(), kMappedRoot);  // root inside the user namespace owns the rootfs
  ProcessResult exported = bundle.export_oci(policy_with_rootfs("strict.pol", bundle.rootfs()), true);
  ASSERT_EQ(exported.exit_code, 0) << exported.summary();

  std::vector<std::string> args = {"/home/probe", "status", "syscall", "170", "0", "0", "syscall", "435", "0", "0",
                                   "sleep", "2"};
  std::string cgroup = bundle.prepare(args);
  testsupport::Background runc(bundle.run_argv());
  ASSERT_TRUE(runc.wait_for_output("syscall:435", 30000)) << runc.finish().summary();
  // The limits as runc applied them (cgroup v1 controllers on this host).
  EXPECT_EQ(read_cgroup_file("memory", cgroup, "memory.limit_in_bytes"), "67108864");  // memory 64M
  EXPECT_EQ(read_cgroup_file("pids", cgroup, "pids.max"), "16");
  EXPECT_EQ(read_cgroup_file("cpu", cgroup, "cpu.cfs_quota_us"), "25000");             // cpu 0.25
  ProcessResult result = runc.finish(30);
  ASSERT_EQ(result.exit_code, 0) << result.summary();
  EXPECT_EQ(probe_value(result.out, "hostname"), "strict") << result.summary();
  EXPECT_EQ(probe_value(result.out, "uid"), "1000");
  EXPECT_EQ(probe_value(result.out, "gid"), "1000");
  EXPECT_EQ(probe_value(result.out, "NoNewPrivs"), "1");
  EXPECT_EQ(probe_value(result.out, "Seccomp"), "2");
  EXPECT_EQ(probe_value(result.out, "CapEff"), "0000000000000000");
  EXPECT_EQ(probe_value(result.out, "CapBnd"), "0000000000000000");
  EXPECT_TRUE(result.out.find("syscall:170=-1 errno=1\n") != std::string::npos) << result.summary();   // EPERM
  EXPECT_TRUE(result.out.find("syscall:435=-1 errno=38\n") != std::string::npos) << result.summary();  // ENOSYS
}

TEST_F(RuncExport, StrictPolicyDeniesLikePlanExec) {
  RuncBundle bundle(unique("strict-vs"));
  chown_tree(bundle.rootfs(), kMappedRoot);
  std::string policy = policy_with_rootfs("strict.pol", bundle.rootfs());
  ASSERT_EQ(bundle.export_oci(policy, true).exit_code, 0);
  ProcessResult runc = bundle.run(kDeniedCalls);
  ProcessResult plan_exec = run_under_plan_exec(bundle, policy, kDeniedCalls);
  ASSERT_EQ(runc.exit_code, 0) << runc.summary();
  ASSERT_EQ(plan_exec.exit_code, 0) << plan_exec.summary();
  EXPECT_EQ(probe_value(runc.out, "syscall:170"), probe_value(plan_exec.out, "syscall:170"));
  EXPECT_EQ(runc.out, plan_exec.out) << "runc:\n" << runc.out << "plan-exec:\n" << plan_exec.out;

  // kill_process ptrace: the process dies of SIGSYS under both.
  const std::vector<std::string> ptrace = {"/home/probe", "syscall", "101", "0", "0"};
  ProcessResult runc_killed = bundle.run(ptrace);
  ProcessResult plan_exec_killed = run_under_plan_exec(bundle, policy, ptrace);
  EXPECT_EQ(runc_killed.exit_code, 128 + SIGSYS) << runc_killed.summary();
  EXPECT_EQ(plan_exec_killed.exit_code, runc_killed.exit_code) << plan_exec_killed.summary();
  EXPECT_EQ(probe_value(runc_killed.out, "syscall:101"), "");
}

TEST_F(RuncExport, HelloPolicyRunsWithItsHostnameLimitsAndDeniesLikePlanExec) {
  RuncBundle bundle(unique("hello"));
  std::string policy = policy_with_rootfs("hello.pol", bundle.rootfs());
  ProcessResult exported = bundle.export_oci(policy, true);
  ASSERT_EQ(exported.exit_code, 0) << exported.summary();
  EXPECT_TRUE(exported.err.find("veth network cannot be expressed") != std::string::npos) << exported.summary();
  bool has_netns = false;
  for (const auto& ns : bundle.config()["linux"]["namespaces"]) has_netns = has_netns || ns["type"] == "network";
  EXPECT_TRUE(has_netns) << "the veth policy keeps its (then empty) network namespace";

  std::vector<std::string> args = kDeniedCalls;
  args.insert(args.end(), {"sleep", "2"});
  std::string cgroup = bundle.prepare(args);
  testsupport::Background runc(bundle.run_argv());
  ASSERT_TRUE(runc.wait_for_output("syscall:435", 30000)) << runc.finish().summary();
  EXPECT_EQ(read_cgroup_file("memory", cgroup, "memory.limit_in_bytes"), "262144000");  // memory 250M
  EXPECT_EQ(read_cgroup_file("pids", cgroup, "pids.max"), "64");
  ProcessResult result = runc.finish(30);
  ASSERT_EQ(result.exit_code, 0) << result.summary();

  ProcessResult plan_exec = run_under_plan_exec(bundle, policy, kDeniedCalls);
  ASSERT_EQ(plan_exec.exit_code, 0) << plan_exec.summary();
  for (const char* key : {"syscall:170", "syscall:435"}) {
    EXPECT_EQ(probe_value(result.out, key), probe_value(plan_exec.out, key)) << key;
  }
  EXPECT_EQ(probe_value(result.out, "syscall:170"), "-1 errno=1");

  // The hostname, in a run of its own (hello's filter denies the probe's /proc reads, not uname).
  ProcessResult status = bundle.run({"/home/probe", "status"});
  EXPECT_EQ(probe_value(status.out, "hostname"), "hello") << status.summary();
}

TEST_F(RuncExport, WithoutRuncCompatRuncItselfIsDeniedFstatfs) {
  RuncBundle bundle(unique("nocompat"));
  std::string policy = policy_with_rootfs("hello.pol", bundle.rootfs());
  ProcessResult exported = bundle.export_oci(policy, false);
  ASSERT_EQ(exported.exit_code, 0) << exported.summary();
  std::regex warning("the filter denies [a-z0-9_ ]*fstatfs");
  EXPECT_TRUE(std::regex_search(exported.err, warning)) << exported.summary();
  ProcessResult result = bundle.run({"/home/probe", "status"});
  EXPECT_NE(result.exit_code, 0) << result.summary();
  EXPECT_TRUE(result.err.find("operation not permitted") != std::string::npos) << result.summary();
}

}  // namespace
