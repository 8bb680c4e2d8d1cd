// SPDX-License-Identifier: Apache-2.0
// "The plan is the plan": a tampered plan is refused by plan-exec, in a dry run and in a real
// run, with exit 125 naming the key, before any side effect (no veth, cgroup, mount or process
// left, no dry-run step printed). Each case starts from a real plan compiled by policyc
// (policies/hello.pol pointed at a test rootfs) and edits one key of its JSON; the CONTROL, the
// same plan untouched, dry-runs fine, so each refusal is due to its tampering. The duplicate-key
// cases are files (tests/fixtures/plans/): nlohmann's writer cannot produce them.
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>

#include "plan/encoding.h"
#include "plan/plan_json.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/proof_env.h"
#include "tests/support/rootfs.h"

namespace {

using nlohmann::ordered_json;
using namespace std::chrono_literals;

std::vector<std::uint8_t> bpf_of(const ordered_json& plan) {
  return plan::base64_decode(plan["seccomp"]["bpf"].get<std::string>()).value();
}

// Replaces the filter, keeping its sha256 and instruction count matching, so the structure
// check (not the checksum) is what refuses it.
void set_bpf(ordered_json& plan, const std::vector<std::uint8_t>& bytes) {
  plan["seccomp"]["bpf"] = plan::base64_encode(bytes);
  plan["seccomp"]["sha256"] = plan::sha256_hex(bytes);
  plan["seccomp"]["instructions"] = bytes.size() / 8;
}

// Edits instruction `index` (negative: from the end) of the filter: code, jt, jf, k.
void patch_insn(ordered_json& plan, int index, std::uint16_t code, std::uint8_t jt, std::uint8_t jf, std::uint32_t k) {
  auto bytes = bpf_of(plan);
  const std::size_t at = (index < 0 ? bytes.size() / 8 + index : index) * 8;
  bytes[at] = code & 0xff;
  bytes[at + 1] = code >> 8;
  bytes[at + 2] = jt;
  bytes[at + 3] = jf;
  for (int i = 0; i < 4; ++i) bytes[at + 4 + i] = (k >> (8 * i)) & 0xff;
  set_bpf(plan, bytes);
}

// The index of the first conditional jump of the filter.
int first_jump(const ordered_json& plan) {
  const auto bytes = bpf_of(plan);
  for (std::size_t i = 0; i < bytes.size() / 8; ++i) {
    if ((bytes[i * 8] & 0x07) == 0x05 && (bytes[i * 8] & 0xf0) != 0x00) return static_cast<int>(i);
  }
  return -1;
}

struct Tampering {
  const char* name;
  const char* key;  // named in plan-exec's message
  std::function<void(ordered_json&)> edit;
};

const std::vector<Tampering>& tamperings() {
  static const std::vector<Tampering> cases = {
      {"rootfs_root", "plan.rootfs.path", [](ordered_json& p) { p["rootfs"]["path"] = "/"; }},
      {"rootfs_double_slash", "plan.rootfs.path", [](ordered_json& p) { p["rootfs"]["path"] = "//"; }},
      {"rootfs_dot", "plan.rootfs.path", [](ordered_json& p) { p["rootfs"]["path"] = "/."; }},
      {"rootfs_dotdot", "plan.rootfs.path", [](ordered_json& p) { p["rootfs"]["path"] = "/x/.."; }},
      {"mount_target_double_slash", "plan.mounts[2].target", [](ordered_json& p) { p["mounts"][2]["target"] = "//"; }},
      {"mount_target_dot", "plan.mounts[2].target", [](ordered_json& p) { p["mounts"][2]["target"] = "/."; }},
      {"mount_target_twice", "plan.mounts[2].target", [](ordered_json& p) { p["mounts"][2]["target"] = "/proc/"; }},
      {"proc_source", "plan.mounts[0].source", [](ordered_json& p) { p["mounts"][0]["source"] = "/"; }},
      {"proc_fstype", "plan.mounts[0].fstype", [](ordered_json& p) { p["mounts"][0]["fstype"] = "ext4"; }},
      {"proc_bind_flags", "plan.mounts[0].flags",
       [](ordered_json& p) { p["mounts"][0]["flags"] = p["mounts"][0]["flags"].get<std::uint64_t>() | MS_BIND | MS_REC; }},
      {"tmpfs_without_nosuid", "plan.mounts[2].flags", [](ordered_json& p) { p["mounts"][2]["flags"] = MS_NODEV; }},
      {"tmpfs_option", "plan.mounts[2].data", [](ordered_json& p) { p["mounts"][2]["data"] = "size=1,uid=0"; }},
      {"proc_without_pid", "plan.mounts[0]",
       [](ordered_json& p) {
         auto& ns = p["namespaces"];
         for (std::size_t i = 0; i < ns.size(); ++i) if (ns[i] == "pid") ns.erase(i);
       }},
      {"namespace_twice", "plan.namespaces[5]", [](ordered_json& p) { p["namespaces"].push_back("uts"); }},
      {"masked_root", "plan.masked_paths[0]", [](ordered_json& p) { p["masked_paths"][0] = "/."; }},
      {"hostname_charset", "plan.hostname", [](ordered_json& p) { p["hostname"] = "bad name;"; }},
      {"network_host_in_netns", "plan.network.mode", [](ordered_json& p) { p["network"] = {{"mode", "host"}}; }},
      {"veth_prefix_4", "plan.network.veth.host_prefix",
       [](ordered_json& p) { p["network"]["veth"]["host_prefix"] = 4; p["network"]["veth"]["container_prefix"] = 4; }},
      {"veth_other_subnet", "plan.network.veth.container_address",
       [](ordered_json& p) { p["network"]["veth"]["container_address"] = "10.254.254.2"; }},
      {"veth_gateway_outside", "plan.network.veth.gateway",
       [](ordered_json& p) { p["network"]["veth"]["gateway"] = "10.254.254.1"; }},
      {"veth_mtu", "plan.network.veth.mtu", [](ordered_json& p) { p["network"]["veth"]["mtu"] = 20; }},
      {"bpf_bad_opcode", "plan.seccomp.bpf", [](ordered_json& p) { patch_insn(p, 0, 0x30, 0, 0, 0); }},
      {"bpf_load_offset", "plan.seccomp.bpf", [](ordered_json& p) { patch_insn(p, 0, 0x20, 0, 0, 66); }},
      {"bpf_jump_out_of_range", "plan.seccomp.bpf",
       [](ordered_json& p) {
         const int at = first_jump(p);
         auto bytes = bpf_of(p);
         bytes[at * 8 + 2] = 255;
         set_bpf(p, bytes);
       }},
      {"bpf_no_final_return", "plan.seccomp.bpf", [](ordered_json& p) { patch_insn(p, -1, 0x20, 0, 0, 0); }},
      {"bpf_truncated", "plan.seccomp.bpf",
       [](ordered_json& p) {
         auto bytes = bpf_of(p);
         bytes.resize(bytes.size() - 5);
         set_bpf(p, bytes);
       }},
      {"bpf_checksum", "plan.seccomp.sha256",
       [](ordered_json& p) {
         auto bytes = bpf_of(p);
         bytes[4] ^= 1;
         p["seccomp"]["bpf"] = plan::base64_encode(bytes);
       }},
      {"seccomp_without_nnp", "plan.no_new_privs", [](ordered_json& p) { p["no_new_privs"] = false; }},
      {"memory_small", "plan.cgroups.memory_max_bytes", [](ordered_json& p) { p["cgroups"]["memory_max_bytes"] = 1 << 20; }},
      {"swap_without_memory", "plan.cgroups.swap_max_bytes", [](ordered_json& p) { p["cgroups"].erase("memory_max_bytes"); }},
      {"cpu_quota_small", "plan.cgroups.cpu_quota_us", [](ordered_json& p) { p["cgroups"]["cpu_quota_us"] = 10; }},
      {"cpu_period_long", "plan.cgroups.cpu_period_us", [](ordered_json& p) { p["cgroups"]["cpu_period_us"] = 5000000; }},
      {"pids_zero", "plan.cgroups.pids_max", [](ordered_json& p) { p["cgroups"]["pids_max"] = 0; }},
      {"cpu_weight", "plan.cgroups.cpu_weight", [](ordered_json& p) { p["cgroups"]["cpu_weight"] = 0; }},
      {"cgroup_file", "plan.cgroups.v2[0].file", [](ordered_json& p) { p["cgroups"]["v2"][0]["file"] = "cgroup.procs"; }},
      {"rlimit_soft_above_hard", "plan.rlimits[0].soft", [](ordered_json& p) { p["rlimits"][0]["soft"] = 1 << 20; }},
      {"uid_outside_map", "plan.user.uid",
       [](ordered_json& p) {
         p["namespaces"].push_back("user");
         p["user"]["uid"] = 1000;
         p["user"]["uid_map"] = ordered_json::array({{{"inside", 0}, {"outside", 100000}, {"count", 1000}}});
       }},
      {"env_name", "plan.env[0]", [](ordered_json& p) { p["env"][0] = "1PATH=/bin"; }},
      {"cwd_dotdot", "plan.cwd", [](ordered_json& p) { p["cwd"] = "/home/../.."; }},
  };
  return cases;
}

class PlanRules : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    try {
      scratch_ = new testsupport::ScratchDir("plan-rules");
      testsupport::build_rootfs(scratch_->path() + "/rootfs");
      const std::string subnet = "10.203." + std::to_string(10 + getpid() % 240);
      const std::string good = proof::compile_hello_variant(scratch_->path(), "good", scratch_->path() + "/rootfs", subnet);
      good_ = new ordered_json(ordered_json::parse(testsupport::read_text(good)));
    } catch (const std::exception& e) {
      setup_error_ = new std::string(e.what());
    }
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete good_;
    delete setup_error_;
    scratch_ = nullptr;
    good_ = nullptr;
    setup_error_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: the real runs would make a veth and cgroups";
    ASSERT_EQ(setup_error_, nullptr) << *setup_error_;
  }

  static std::string write(const std::string& name, const ordered_json& plan) {
    const std::string path = scratch_->path() + "/" + name + ".plan";
    testsupport::write_text(path, plan.dump(2) + "\n");
    return path;
  }

  // plan-exec --dry-run and a real run of `path`: both exit 125 naming `key`, and nothing of the
  // run is left on the host (it had nothing to leave: it stopped before its first step).
  void expect_refused(const std::string& name, const std::string& path, const std::string& key) {
    const auto dry = testsupport::run_plan_exec({"--dry-run", path});
    EXPECT_EQ(dry.exit_code, 125) << name << ": " << dry.summary();
    EXPECT_NE(dry.err.find(key + ":"), std::string::npos) << name << ": " << dry.summary();
    EXPECT_EQ(dry.out, "") << name << ": the dry run printed steps before refusing";

    const auto before = proof::baseline();
    testsupport::Background real({PLAN_EXEC_BIN, path, "--", "/home/probe", "plan-rules-" + name});
    const pid_t pid = real.pid();
    const auto result = real.finish(30);
    EXPECT_EQ(result.exit_code, 125) << name << ": " << result.summary();
    EXPECT_NE(result.err.find(key + ":"), std::string::npos) << name << ": " << result.summary();
    const proof::InstanceTraces traces{pid, "hello", scratch_->path(), "plan-rules-" + name};
    const auto left = proof::leftovers(traces, before);
    EXPECT_TRUE(left.empty()) << name << " left:\n" << proof::lines(left);
  }

  static testsupport::ScratchDir* scratch_;
  static ordered_json* good_;
  static std::string* setup_error_;
};

testsupport::ScratchDir* PlanRules::scratch_ = nullptr;
ordered_json* PlanRules::good_ = nullptr;
std::string* PlanRules::setup_error_ = nullptr;

TEST_F(PlanRules, ControlTheGoodPlanLoadsAndDryRuns) {
  const std::string path = write("control", *good_);
  EXPECT_NO_THROW(plan::load_file(path));
  const auto dry = testsupport::run_plan_exec({"--dry-run", path});
  EXPECT_EQ(dry.exit_code, 0) << dry.summary();
  EXPECT_NE(dry.out.find("dry run of"), std::string::npos) << dry.summary();
}

TEST_F(PlanRules, EachTamperedPlanIsRefusedBeforeAnySideEffect) {
  for (const auto& t : tamperings()) {
    ordered_json plan = *good_;
    t.edit(plan);
    ASSERT_NE(plan, *good_) << t.name << " changed nothing";
    expect_refused(t.name, write(t.name, plan), t.key);
  }
}

TEST_F(PlanRules, DuplicateKeyFixturesAreRefusedBeforeAnySideEffect) {
  const std::string dir = std::string(SOURCE_DIR) + "/tests/fixtures/plans/";
  expect_refused("duplicate_rootfs", dir + "duplicate_rootfs.plan", "plan.rootfs");
  expect_refused("duplicate_mount_target", dir + "duplicate_mount_target.plan", "plan.mounts[2].target");
  expect_refused("duplicate_veth_address", dir + "duplicate_veth_address.plan", "plan.network.veth.container_address");
}

TEST_F(PlanRules, AFileOver16MiBIsRefused) {
  const std::string path = scratch_->path() + "/big.plan";
  testsupport::write_text(path, good_->dump(2) + std::string((16 << 20) + 1, ' '));
  const auto dry = testsupport::run_plan_exec({"--dry-run", path});
  EXPECT_EQ(dry.exit_code, 125) << dry.summary();
  EXPECT_NE(dry.err.find("16 MiB"), std::string::npos) << dry.summary();
}

}  // namespace
