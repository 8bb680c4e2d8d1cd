// SPDX-License-Identifier: Apache-2.0
// The plan's rules (plan/rules.h), the loader's refusals around them (duplicate keys at any level,
// oversized files) and the BPF structure checker (plan/bpf_check.h): each rule refuses the plan
// naming the key, and the good plan it was made from passes, so the refusal is the rule's.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <functional>

#include "compiler/driver/compile.h"
#include "plan/bpf_check.h"
#include "plan/encoding.h"
#include "plan/plan_json.h"
#include "plan/rules.h"
#include "tests/support/plan_builder.h"

namespace {

plan::Plan good_plan() {
  plan::Plan p = testsupport::container_plan("/srv/rootfs");
  p.arch = plan::host_arch();
  p.namespaces.push_back(plan::Namespace::Net);
  p.mounts.push_back(testsupport::bind_mount("/srv/data", "/data", true));
  p.network.mode = plan::NetworkMode::Veth;
  p.network.veth = testsupport::veth_link("10.0.0.1", "10.0.0.2");
  p.network.veth->gateway = "10.0.0.1";
  p.network.veth->mtu = 1500;
  plan::Cgroups c;
  c.memory_max_bytes = 250u << 20;
  c.swap_max_bytes = 0;
  c.cpu_quota_us = 50000;
  c.cpu_period_us = 100000;
  c.pids_max = 64;
  c.parent = "plan-exec";
  c.v2 = {{"memory.max", "262144000"}, {"cpu.max", "50000 100000"}, {"pids.max", "64"}};
  c.v1 = {{"memory", {{"memory.limit_in_bytes", "262144000"}}}, {"cpu", {{"cpu.cfs_quota_us", "50000"}}}};
  p.cgroups = c;
  p.rlimits = {{7, "nofile", 1024, 1024}};
  p.seccomp = testsupport::seccomp_of(testsupport::errno_filter(101, 1), "allow");
  return p;
}

std::vector<std::string> broken_keys(const plan::Plan& p) {
  std::vector<std::string> keys;
  for (const auto& v : plan::check_plan(p)) keys.push_back(v.key);
  return keys;
}

struct RuleCase {
  const char* name;
  const char* key;
  std::function<void(plan::Plan&)> tamper;
};

const std::vector<RuleCase>& rule_cases() {
  static const std::vector<RuleCase> cases = {
      {"rootfs_root", "plan.rootfs.path", [](plan::Plan& p) { p.rootfs->path = "/"; }},
      {"rootfs_double_slash", "plan.rootfs.path", [](plan::Plan& p) { p.rootfs->path = "//"; }},
      {"rootfs_dot", "plan.rootfs.path", [](plan::Plan& p) { p.rootfs->path = "/."; }},
      {"rootfs_dotdot", "plan.rootfs.path", [](plan::Plan& p) { p.rootfs->path = "/x/.."; }},
      {"rootfs_archive_suffix", "plan.rootfs.path",
       [](plan::Plan& p) { p.rootfs->kind = plan::RootfsKind::Archive; p.rootfs->path = "/srv/x.zip"; }},
      {"rootfs_writethrough_readonly", "plan.rootfs.writethrough",
       [](plan::Plan& p) { p.rootfs->writethrough = p.rootfs->readonly = true; }},
      {"rootfs_writethrough_archive", "plan.rootfs.writethrough",
       [](plan::Plan& p) { p.rootfs->writethrough = true; p.rootfs->kind = plan::RootfsKind::Archive; p.rootfs->path = "/srv/x.tar"; }},
      {"device_outside_dev", "plan.devices[0]", [](plan::Plan& p) { p.devices = {"/etc/passwd"}; }},
      {"rootfs_without_mount_ns", "plan.rootfs", [](plan::Plan& p) { std::erase(p.namespaces, plan::Namespace::Mount); }},
      {"mount_target_double_slash", "plan.mounts[2].target", [](plan::Plan& p) { p.mounts[2].target = "//"; }},
      {"mount_target_dot", "plan.mounts[2].target", [](plan::Plan& p) { p.mounts[2].target = "/."; }},
      {"mount_target_duplicate", "plan.mounts[2].target", [](plan::Plan& p) { p.mounts[2].target = "/proc/"; }},
      {"proc_source", "plan.mounts[0].source", [](plan::Plan& p) { p.mounts[0].source = "/"; }},
      {"proc_fstype", "plan.mounts[0].fstype", [](plan::Plan& p) { p.mounts[0].fstype = "ext4"; }},
      {"proc_bind_flag", "plan.mounts[0].flags", [](plan::Plan& p) { p.mounts[0].flags |= MS_BIND | MS_REC; }},
      {"tmpfs_without_nosuid", "plan.mounts[2].flags", [](plan::Plan& p) { p.mounts[2].flags = MS_NODEV; }},
      {"tmpfs_move_flag", "plan.mounts[2].flags", [](plan::Plan& p) { p.mounts[2].flags |= MS_MOVE; }},
      {"tmpfs_uid_option", "plan.mounts[2].data", [](plan::Plan& p) { p.mounts[2].data = "mode=1777,uid=0"; }},
      {"bind_relative_source", "plan.mounts[3].source", [](plan::Plan& p) { p.mounts[3].source = "srv/data"; }},
      {"bind_shared_flag", "plan.mounts[3].flags", [](plan::Plan& p) { p.mounts[3].flags = MS_BIND | MS_SHARED; }},
      {"dev_elsewhere", "plan.mounts[1].target", [](plan::Plan& p) { p.mounts[1].target = "/mnt"; }},
      {"proc_without_pid", "plan.mounts[0]", [](plan::Plan& p) { std::erase(p.namespaces, plan::Namespace::Pid); }},
      {"masked_root", "plan.masked_paths[0]", [](plan::Plan& p) { p.masked_paths = {"/./"}; }},
      {"namespace_twice", "plan.namespaces[5]", [](plan::Plan& p) { p.namespaces.push_back(plan::Namespace::Uts); }},
      {"hostname_charset", "plan.hostname", [](plan::Plan& p) { p.hostname = "bad name"; }},
      {"hostname_without_uts", "plan.hostname", [](plan::Plan& p) { std::erase(p.namespaces, plan::Namespace::Uts); }},
      {"network_host_with_netns", "plan.network.mode",
       [](plan::Plan& p) { p.network.mode = plan::NetworkMode::Host; p.network.veth.reset(); }},
      {"veth_prefix_4", "plan.network.veth.host_prefix",
       [](plan::Plan& p) { p.network.veth->host_prefix = 4; p.network.veth->container_prefix = 4; }},
      {"veth_ipv6_prefix_48", "plan.network.veth.host_prefix",
       [](plan::Plan& p) {
         p.network.veth = testsupport::veth_link("fd00::1", "fd00::2", 64);
         p.network.veth->host_prefix = 48;
       }},
      {"veth_other_subnet", "plan.network.veth.container_address",
       [](plan::Plan& p) { p.network.veth->container_address = "10.9.0.2"; }},
      {"veth_one_way_subnet", "plan.network.veth.container_address",
       [](plan::Plan& p) { p.network.veth->container_address = "10.0.1.2"; p.network.veth->container_prefix = 16; }},
      {"veth_same_address", "plan.network.veth.container_address",
       [](plan::Plan& p) { p.network.veth->container_address = "10.0.0.1"; }},
      {"veth_gateway_outside", "plan.network.veth.gateway", [](plan::Plan& p) { p.network.veth->gateway = "10.7.0.1"; }},
      {"veth_mtu", "plan.network.veth.mtu", [](plan::Plan& p) { p.network.veth->mtu = 20; }},
      {"veth_ifname", "plan.network.veth.container_ifname",
       [](plan::Plan& p) { p.network.veth->container_ifname = "a-very-long-interface"; }},
      {"memory_small", "plan.cgroups.memory_max_bytes", [](plan::Plan& p) { p.cgroups->memory_max_bytes = 1 << 20; }},
      {"swap_without_memory", "plan.cgroups.swap_max_bytes", [](plan::Plan& p) { p.cgroups->memory_max_bytes.reset(); }},
      {"cpu_quota_small", "plan.cgroups.cpu_quota_us", [](plan::Plan& p) { p.cgroups->cpu_quota_us = 10; }},
      {"cpu_period_long", "plan.cgroups.cpu_period_us", [](plan::Plan& p) { p.cgroups->cpu_period_us = 5000000; }},
      {"cpu_weight", "plan.cgroups.cpu_weight", [](plan::Plan& p) { p.cgroups->cpu_weight = 20000; }},
      {"pids_zero", "plan.cgroups.pids_max", [](plan::Plan& p) { p.cgroups->pids_max = 0; }},
      {"cgroup_file", "plan.cgroups.v2[0].file", [](plan::Plan& p) { p.cgroups->v2[0].file = "cgroup.procs"; }},
      {"cgroup_v1_file", "plan.cgroups.v1[0].writes[0].file",
       [](plan::Plan& p) { p.cgroups->v1[0].writes[0].file = "release_agent"; }},
      {"cgroup_v1_controller", "plan.cgroups.v1[0].controller",
       [](plan::Plan& p) { p.cgroups->v1[0].controller = "devices"; }},
      {"cgroup_parent", "plan.cgroups.parent", [](plan::Plan& p) { p.cgroups->parent = "a/../../b"; }},
      {"rlimit_soft_above_hard", "plan.rlimits[0].soft", [](plan::Plan& p) { p.rlimits[0].soft = 4096; }},
      {"rlimit_unknown", "plan.rlimits[0].resource", [](plan::Plan& p) { p.rlimits[0].resource = 40; }},
      {"uid_outside_map", "plan.user.uid",
       [](plan::Plan& p) {
         p.namespaces.push_back(plan::Namespace::User);
         p.user.uid = 1000;
         p.user.uid_map = {{0, 100000, 1000}};
       }},
      {"map_without_userns", "plan.user.uid_map", [](plan::Plan& p) { p.user.uid_map = {{0, 100000, 1}}; }},
      {"env_name", "plan.env[1]", [](plan::Plan& p) { p.env[1] = "1HOME=/root"; }},
      {"env_twice", "plan.env[2]", [](plan::Plan& p) { p.env.push_back("HOME=/tmp"); }},
      {"cwd_dotdot", "plan.cwd", [](plan::Plan& p) { p.cwd = "/home/../.."; }},
      {"cwd_relative", "plan.cwd", [](plan::Plan& p) { p.cwd = "home"; }},
      {"seccomp_without_nnp", "plan.no_new_privs", [](plan::Plan& p) { p.no_new_privs = false; }},
      {"seccomp_no_return", "plan.seccomp.bpf", [](plan::Plan& p) { p.seccomp->bpf.resize(p.seccomp->bpf.size() - 8); }},
  };
  return cases;
}

TEST(PlanRules, TheGoodPlanPasses) {
  EXPECT_EQ(broken_keys(good_plan()), std::vector<std::string>{});
  EXPECT_NO_THROW(plan::from_json(plan::to_json(good_plan())));
}

TEST(PlanRules, EachTamperingIsRefusedNamingItsKey) {
  for (const auto& c : rule_cases()) {
    plan::Plan p = good_plan();
    c.tamper(p);
    const auto keys = broken_keys(p);
    EXPECT_NE(std::find(keys.begin(), keys.end(), c.key), keys.end())
        << c.name << ": expected " << c.key << ", got " << testing::PrintToString(keys);
    // The loader refuses it too (a filter's sha256 is made to match, so the rule is what refuses).
    if (p.seccomp) p.seccomp->sha256 = plan::sha256_hex(p.seccomp->bpf);
    try {
      plan::from_json(plan::to_json(p));
      ADD_FAILURE() << c.name << ": the loader accepted it";
    } catch (const plan::PlanError& e) {
      EXPECT_NE(std::string(e.what()).find("plan."), std::string::npos) << c.name << ": " << e.what();
    }
  }
}

TEST(PlanRules, NormalPath) {
  EXPECT_EQ(plan::normal_path("/"), "/");
  EXPECT_EQ(plan::normal_path("//"), "/");
  EXPECT_EQ(plan::normal_path("/."), "/");
  EXPECT_EQ(plan::normal_path("/./."), "/");
  EXPECT_EQ(plan::normal_path("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(plan::normal_path("/x/.."), std::nullopt);
  EXPECT_EQ(plan::normal_path("a/b"), std::nullopt);
  EXPECT_EQ(plan::normal_path(""), std::nullopt);
  EXPECT_EQ(plan::normal_path(std::string_view("/a\0b", 4)), std::nullopt);
  EXPECT_EQ(plan::normal_path("/a..b/..c"), "/a..b/..c");
}

// ---- the loader ----------------------------------------------------------------------------

// The good plan's JSON with `line` inserted right after the first line holding `after`.
std::string with_line_after(const std::string& after, const std::string& line) {
  std::string text = plan::to_json(good_plan());
  const auto at = text.find(after);
  const auto end = text.find('\n', at);
  return text.insert(end + 1, line + "\n");
}

TEST(PlanLoader, RefusesDuplicateKeysAtEveryLevelNamingThePath) {
  EXPECT_EQ(testsupport::plan_rejection(with_line_after("\"version\"", "\"version\": 1,")), "plan.version: duplicate key");
  EXPECT_EQ(testsupport::plan_rejection(with_line_after("\"/tmp\"", "\"target\": \"/\",")), "plan.mounts[2].target: duplicate key");
  EXPECT_EQ(testsupport::plan_rejection(with_line_after("\"container_address\"", "\"container_address\": \"10.0.0.3\",")),
            "plan.network.veth.container_address: duplicate key");
  EXPECT_EQ(testsupport::plan_rejection(with_line_after("\"controller\": \"cpu\"", "\"controller\": \"cpu\",")),
            "plan.cgroups.v1[1].controller: duplicate key");
  EXPECT_EQ(testsupport::plan_rejection(R"({"a": [[{}, {"k": 1, "k": 2}]]})"), "plan.a[0][1].k: duplicate key");
  // The same key in two different objects is fine (then the unknown key is what is refused).
  EXPECT_EQ(testsupport::plan_rejection(R"({"version": 1, "x": {"k": 1}, "y": {"k": 1}})").find("duplicate"), std::string::npos);
}

TEST(PlanLoader, DuplicateKeyFixturesAreRefused) {
  const std::string dir = std::string(SOURCE_DIR) + "/tests/fixtures/plans/";
  const std::pair<const char*, const char*> fixtures[] = {
      {"duplicate_rootfs.plan", "plan.rootfs: duplicate key"},
      {"duplicate_mount_target.plan", "plan.mounts[2].target: duplicate key"},
      {"duplicate_veth_address.plan", "plan.network.veth.container_address: duplicate key"}};
  for (const auto& [file, message] : fixtures) {
    try {
      plan::load_file(dir + file);
      ADD_FAILURE() << file << " was accepted";
    } catch (const plan::PlanError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(PlanLoader, RefusesAFileOver16MiBBeforeReadingIt) {
  char path[] = "/tmp/plan-rules-big-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, (16 << 20) + 1), 0);  // sparse: reading it all would still work, slowly
  close(fd);
  try {
    plan::load_file(path);
    ADD_FAILURE() << "accepted";
  } catch (const plan::PlanError& e) {
    EXPECT_NE(std::string(e.what()).find("16 MiB"), std::string::npos) << e.what();
  }
  unlink(path);
  EXPECT_NE(testsupport::plan_rejection(std::string((16 << 20) + 1, ' ')).find("16 MiB"), std::string::npos);
}

// ---- the BPF structure checker ---------------------------------------------------------------

std::vector<std::uint8_t> bytes_of(const std::vector<sock_filter>& program) {
  std::vector<std::uint8_t> out(program.size() * sizeof(sock_filter));
  std::memcpy(out.data(), program.data(), out.size());
  return out;
}

std::vector<sock_filter> sample_filter() { return testsupport::errno_filter(101, 1); }

std::string error_of(const std::vector<sock_filter>& program) {
  return plan::bpf_program_error(bytes_of(program)).value_or("(accepted)");
}

TEST(BpfCheck, FiltersOfBothBackendsPass) {
  for (const char* policy : {"/policies/hello.pol", "/policies/strict.pol"}) {
    for (auto backend : {policyc::seccomp::Backend::Policyc, policyc::seccomp::Backend::Libseccomp}) {
      policyc::Diagnostics diags;
      policyc::CompileOptions options;
      options.backend = backend;
      auto result = policyc::compile_policy(std::string(SOURCE_DIR) + policy, options, diags);
      ASSERT_TRUE(result && result->plan.seccomp) << policy;
      EXPECT_EQ(plan::bpf_program_error(result->plan.seccomp->bpf), std::nullopt) << policy;
      EXPECT_EQ(plan::check_plan(result->plan).size(), 0u) << policy;
    }
  }
  EXPECT_EQ(error_of(sample_filter()), "(accepted)");
}

TEST(BpfCheck, RefusesTruncatedAndOversizedPrograms) {
  auto bytes = bytes_of(sample_filter());
  bytes.resize(bytes.size() - 3);
  EXPECT_NE(plan::bpf_program_error(bytes).value_or("").find("not a multiple of 8"), std::string::npos);
  EXPECT_NE(plan::bpf_program_error({}).value_or("").find("empty"), std::string::npos);
  std::vector<sock_filter> huge(4097, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  EXPECT_NE(error_of(huge).find("4096"), std::string::npos);
  huge.resize(4096);
  EXPECT_EQ(error_of(huge), "(accepted)");
}

TEST(BpfCheck, RefusesOpcodesSeccompDoesNot) {
  auto program = sample_filter();
  program[0] = BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0);  // byte loads: packet filters only
  EXPECT_NE(error_of(program).find("instruction 0"), std::string::npos);
  program[0] = BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3);
  EXPECT_NE(error_of(program).find("not an opcode seccomp accepts"), std::string::npos);
  program[0] = BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0);
  EXPECT_NE(error_of(program).find("not an opcode"), std::string::npos);
  program[0] = BPF_STMT(0xffff, 0);
  EXPECT_NE(error_of(program).find("not an opcode"), std::string::npos);
  program[0] = BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0);
  EXPECT_NE(error_of(program).find("divides by the constant 0"), std::string::npos);
}

TEST(BpfCheck, RefusesLoadsOutsideSeccompData) {
  auto program = sample_filter();
  program[0] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64);
  EXPECT_NE(error_of(program).find("offset 64"), std::string::npos);
  program[0] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2);
  EXPECT_NE(error_of(program).find("offset 2"), std::string::npos);
  program[0] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 60);  // args[5]'s high half: fine
  EXPECT_EQ(error_of(program), "(accepted)");
}

TEST(BpfCheck, RefusesJumpsOutOfRange) {
  auto program = sample_filter();
  program[1].jt = 200;
  EXPECT_NE(error_of(program).find("instruction 1"), std::string::npos);
  program = sample_filter();
  program[4].jf = 2;  // 4 + 1 + 2 = 7 = the length: one past the last instruction
  EXPECT_NE(error_of(program).find("jumps past the end"), std::string::npos);
  program = sample_filter();
  program[2] = BPF_JUMP(BPF_JMP | BPF_JA, 4, 0, 0);
  EXPECT_NE(error_of(program).find("instruction 2"), std::string::npos);
  program[2] = BPF_JUMP(BPF_JMP | BPF_JA, 3, 0, 0);  // to the last instruction: fine
  EXPECT_EQ(error_of(program), "(accepted)");
}

TEST(BpfCheck, RefusesAProgramNotEndingInAReturn) {
  auto program = sample_filter();
  program.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0));
  EXPECT_NE(error_of(program).find("not a return"), std::string::npos);
  program.back() = BPF_STMT(BPF_RET | BPF_A, 0);
  EXPECT_EQ(error_of(program), "(accepted)");
}

TEST(BpfCheck, RefusesScratchMemoryReadBeforeWritten) {
  std::vector<sock_filter> program = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
      BPF_STMT(BPF_ST, 3),               // only on the true path
      BPF_STMT(BPF_LD | BPF_MEM, 3),     // reached by both paths
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_NE(error_of(program).find("scratch cell 3"), std::string::npos);
  program[1] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0);
  EXPECT_EQ(error_of(program), "(accepted)");
  program[2] = BPF_STMT(BPF_ST, 16);
  EXPECT_NE(error_of(program).find("scratch cell 16"), std::string::npos);
}

}  // namespace
