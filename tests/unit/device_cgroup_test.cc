// SPDX-License-Identifier: Apache-2.0
// The device cgroup without a kernel: the allow-list, the v1 lines, the cgroup v2 program run
// in a small eBPF interpreter (only the opcodes the generator may emit; anything else fails the
// test) over a decision table, and both backends against the fake cgroupfs. The kernel cannot
// run the program itself here: BPF_PROG_TEST_RUN has no cgroup_device support (ENOTSUPP on
// 6.18); tests/integration/security_devices_test.cc attaches it to a real cgroup2 directory.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>

#include "launcher/cgroup/device_bpf.h"
#include "launcher/cgroup/device_rules.h"
#include "tests/unit/cgroup_fake_fs.h"

namespace launcher {
namespace {

using cgroup_test::FakeCgroupFs;
using cgroup_test::message_of;
using cgroup_test::TempDir;
using cgroup_test::Warnings;
using cgroup_test::Write;

// ---- a tiny interpreter ----------------------------------------------------------------------

struct RunResult {
  std::uint64_t r0 = 0;
  std::string error;  // a program the kernel's verifier or our generator should never produce
};

RunResult interpret(const std::vector<bpf_insn>& program, char type, std::uint32_t major, std::uint32_t minor,
                    std::uint32_t access) {
  const bpf_cgroup_dev_ctx ctx{(access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major, minor};
  std::uint64_t reg[11] = {};
  bool r1_is_ctx = true, initialised[11] = {false, true};
  initialised[10] = true;
  RunResult result;
  for (std::size_t pc = 0, steps = 0; pc < program.size() && steps < 10000; ++pc, ++steps) {
    const bpf_insn& i = program[pc];
    auto set = [&](std::uint64_t value) {
      reg[i.dst_reg] = value;
      initialised[i.dst_reg] = true;
      if (i.dst_reg == 1) r1_is_ctx = false;
    };
    auto read = [&](int r) -> std::uint64_t {
      if (!initialised[r]) result.error = "reads uninitialised r" + std::to_string(r) + " at " + std::to_string(pc);
      return reg[r];
    };
    if (i.dst_reg > 10 || i.src_reg > 10) return {0, "bad register at " + std::to_string(pc)};
    switch (i.code) {
      case BPF_LDX | BPF_W | BPF_MEM: {
        if (i.src_reg != 1 || !r1_is_ctx) return {0, "load not from the context at " + std::to_string(pc)};
        if (i.off < 0 || i.off % 4 != 0 || static_cast<std::size_t>(i.off) + 4 > sizeof ctx)
          return {0, "context load out of bounds at " + std::to_string(pc)};
        std::uint32_t value = 0;
        std::memcpy(&value, reinterpret_cast<const char*>(&ctx) + i.off, 4);
        set(value);
        break;
      }
      case BPF_ALU64 | BPF_MOV | BPF_X: set(read(i.src_reg)); break;
      case BPF_ALU64 | BPF_MOV | BPF_K: set(static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm))); break;
      case BPF_ALU64 | BPF_AND | BPF_K: set(read(i.dst_reg) & static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm))); break;
      case BPF_ALU64 | BPF_RSH | BPF_K: set(read(i.dst_reg) >> i.imm); break;
      case BPF_JMP | BPF_JNE | BPF_K: {
        if (i.off < 0) return {0, "backward jump at " + std::to_string(pc)};
        if (pc + 1 + i.off >= program.size()) return {0, "jump out of the program at " + std::to_string(pc)};
        if (read(i.dst_reg) != static_cast<std::uint64_t>(static_cast<std::int64_t>(i.imm))) pc += i.off;
        break;
      }
      case BPF_JMP | BPF_EXIT:
        result.r0 = read(0);
        return result;
      default:
        return {0, "unexpected opcode " + std::to_string(i.code) + " at " + std::to_string(pc)};
    }
    if (!result.error.empty()) return result;
  }
  return {0, "ran off the end of the program"};
}

bool program_allows(const std::vector<DeviceRule>& rules, char type, std::uint32_t major, std::uint32_t minor,
                    std::uint32_t access) {
  const RunResult r = interpret(device_program(rules), type, major, minor, access);
  EXPECT_EQ(r.error, "") << type << " " << major << ":" << minor << " access " << access;
  EXPECT_TRUE(r.r0 == 0 || r.r0 == 1) << "returns " << r.r0;
  return r.r0 == 1;
}

std::vector<DeviceRule> with_fuse() {
  auto rules = default_device_rules();
  rules.push_back({'c', 10, 229, kDeviceAll});
  return rules;
}

// ---- the rules and their program -------------------------------------------------------------

TEST(DeviceRules, DefaultListIsDockers) {
  std::vector<std::string> lines;
  for (const auto& rule : default_device_rules()) lines.push_back(v1_line(rule));
  const std::vector<std::string> expected = {"c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",   "c 1:7 rwm",
                                             "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"};
  EXPECT_EQ(lines, expected);
}

TEST(DeviceRules, GrantedNodesAreStatted) {
  const auto rules = device_rules_for({"/dev/null"});
  ASSERT_EQ(rules.size(), default_device_rules().size() + 1);
  EXPECT_EQ(rules.back(), (DeviceRule{'c', 1, 3, kDeviceAll}));
  EXPECT_NE(message_of([] { device_rules_for({"/dev/null", "/no/such/node"}); }).find("plan.devices[1]"), std::string::npos);
  const std::string not_device = message_of([] { device_rules_for({"/"}); });
  EXPECT_NE(not_device.find("plan.devices[0]"), std::string::npos) << not_device;
  EXPECT_NE(not_device.find("not a device node"), std::string::npos) << not_device;
}

TEST(DeviceProgram, DecisionTable) {
  struct Case {
    char type;
    std::uint32_t major, minor, access;
    bool allowed;
  };
  const std::uint32_t r = kDeviceRead, w = kDeviceWrite, m = kDeviceMknod;
  const Case cases[] = {
      {'c', 1, 3, r | w, true},     // /dev/null
      {'c', 1, 9, r, true},         // urandom
      {'c', 5, 2, r | w, true},     // ptmx
      {'c', 136, 7, r | w, true},   // a pts
      {'c', 136, 70000, r, true},   // any pts minor
      {'c', 1, 11, w, false},       // /dev/kmsg
      {'c', 1, 11, m, true},        // ... may be made, not opened
      {'c', 1, 1, r, false},        // /dev/mem
      {'c', 5, 1, r | w, false},    // /dev/console
      {'c', 10, 229, r | w, false}, // /dev/fuse, not granted
      {'b', 8, 0, r, false},        // sda
      {'b', 8, 0, m, true},
      {'b', 1, 3, r, false},        // a block device with null's numbers is not null
      {'b', 136, 0, w, false},
      {'c', 1, 3, r | m, true},
      {'c', 1, 11, r | m, false},   // mknod is allowed, read is not: one rule must allow all bits
  };
  for (const auto& c : cases) {
    EXPECT_EQ(program_allows(default_device_rules(), c.type, c.major, c.minor, c.access), c.allowed)
        << c.type << " " << c.major << ":" << c.minor << " access " << c.access;
    EXPECT_EQ(device_allowed(default_device_rules(), c.type, c.major, c.minor, c.access), c.allowed)
        << "reference, " << c.type << " " << c.major << ":" << c.minor;
  }
  EXPECT_TRUE(program_allows(with_fuse(), 'c', 10, 229, r | w));
  EXPECT_FALSE(program_allows(with_fuse(), 'b', 10, 229, r));
  EXPECT_FALSE(program_allows(with_fuse(), 'c', 10, 228, r));
}

TEST(DeviceProgram, AgreesWithTheRulesEverywhere) {
  std::vector<std::vector<DeviceRule>> lists = {default_device_rules(), with_fuse(), {},
                                                {{'a', -1, -1, kDeviceRead}},
                                                {{'b', 7, -1, kDeviceRead | kDeviceWrite}, {'a', 4, 2, kDeviceMknod}}};
  int checked = 0;
  for (const auto& rules : lists)
    for (char type : {'c', 'b'})
      for (std::uint32_t major : {0u, 1u, 4u, 5u, 7u, 8u, 10u, 136u, 254u, 0xffffffffu})
        for (std::uint32_t minor : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 9u, 11u, 229u, 0xffffffffu})
          for (std::uint32_t access = 1; access <= 7; ++access, ++checked)
            ASSERT_EQ(program_allows(rules, type, major, minor, access), device_allowed(rules, type, major, minor, access))
                << type << " " << major << ":" << minor << " access " << access << " rules " << rules.size();
  EXPECT_GT(checked, 3000);
}

TEST(DeviceProgram, IsShortAndEndsDenying) {
  const auto program = device_program(default_device_rules());
  EXPECT_LT(program.size(), 80u);
  ASSERT_GE(program.size(), 2u);
  EXPECT_EQ(program[program.size() - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
  EXPECT_EQ(program[program.size() - 2].imm, 0);
  EXPECT_EQ(program.back().code, BPF_JMP | BPF_EXIT);
}

// ---- the backends ----------------------------------------------------------------------------

class DeviceCgroupBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_->set_files("devices", {{"cgroup.procs", ""}, {"tasks", ""}, {"devices.allow", ""}, {"devices.deny", ""}});
    fake_->set_files("memory", {{"cgroup.procs", ""}, {"tasks", ""}, {"memory.limit_in_bytes", "max\n"},
                                {"memory.oom_control", "oom_kill 0\n"}, {"memory.failcnt", "0\n"}});
    fake_->set_files("unified", {{"cgroup.procs", ""}, {"cgroup.controllers", "memory\n"}, {"cgroup.subtree_control", "\n"}});
    for (const char* dir : {"devices", "memory", "unified"}) fake_->make_existing(dir);
    fake_->writes_.clear();
  }
  std::string root() const { return tmp_.path(); }

  std::unique_ptr<ContainerCgroup> make(const std::string& mountinfo, const std::string& proc_cgroup,
                                        const std::optional<plan::Cgroups>& limits) {
    CgroupEnv env;
    env.layout = parse_cgroup_layout(mountinfo, proc_cgroup);
    env.fs = fake_;
    env.spawn_reaper = false;
    env.warn = warnings_.sink();
    env.limits = limits.has_value();
    env.devices = default_device_rules();
    return make_cgroup_backend(limits.value_or(plan::Cgroups{}), "web", 4242, std::move(env));
  }
  std::string v1_mountinfo() const {
    return "33 31 0:30 / " + root() + "/devices rw - cgroup cgroup rw,devices\n" + "35 31 0:32 / " + root() +
           "/memory rw - cgroup cgroup rw,memory\n";
  }
  std::string v2_mountinfo() const { return "30 25 0:26 / " + root() + "/unified rw - cgroup2 cgroup2 rw\n"; }

  TempDir tmp_;
  std::shared_ptr<FakeCgroupFs> fake_ = std::make_shared<FakeCgroupFs>(tmp_.path());
  Warnings warnings_;
};

TEST_F(DeviceCgroupBackendTest, V1WithoutLimitsMakesOnlyTheDevicesCgroupDenyingAllButTheList) {
  auto cg = make(v1_mountinfo(), "5:devices:/\n4:memory:/\n", std::nullopt);
  EXPECT_EQ(cg->paths(), std::vector<std::string>{root() + "/devices/plan-exec/web-4242"});
  EXPECT_NE(cg->describe().find("device cgroup: deny all devices but c *:* m"), std::string::npos) << cg->describe();
  cg->create();
  std::vector<Write> expected = {{"devices/plan-exec/web-4242/devices.deny", "a"}};
  for (const auto& rule : default_device_rules()) expected.push_back({"devices/plan-exec/web-4242/devices.allow", v1_line(rule)});
  EXPECT_EQ(fake_->writes_, expected);
  EXPECT_TRUE(cg->joins_from_child());
  cg->finish();
  EXPECT_FALSE(std::filesystem::exists(root() + "/devices/plan-exec"));
}

TEST_F(DeviceCgroupBackendTest, V1DeviceFailuresAreErrorsEvenWithBestEffortLimits) {
  plan::Cgroups limits;
  limits.best_effort = true;
  limits.v1 = {{"memory", {{"memory.limit_in_bytes", "1000000"}}}};
  fake_->fail_write("devices/plan-exec/web-4242/devices.deny", EINVAL);
  fake_->fail_write("memory/plan-exec/web-4242/memory.limit_in_bytes", EINVAL);
  auto cg = make(v1_mountinfo(), "5:devices:/\n4:memory:/\n", limits);
  const std::string message = message_of([&] { cg->create(); });
  EXPECT_NE(message.find("devices.deny"), std::string::npos) << message;
  EXPECT_NE(message.find("device cgroup"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(root() + "/devices/plan-exec/web-4242")) << "rolled back";
}

TEST_F(DeviceCgroupBackendTest, V1HostWithoutTheDevicesHierarchyIsRefused) {
  const std::string memory_only = "35 31 0:32 / " + root() + "/memory rw - cgroup cgroup rw,memory\n";
  const std::string message = message_of([&] { make(memory_only, "4:memory:/\n", std::nullopt); });
  EXPECT_NE(message.find("no device controller"), std::string::npos) << message;
  EXPECT_TRUE(fake_->made_.empty());
}

TEST_F(DeviceCgroupBackendTest, NoCgroupFilesystemIsRefused) {
  const std::string message = message_of([&] { make("", "", std::nullopt); });
  EXPECT_NE(message.find("no device controller"), std::string::npos) << message;
}

TEST_F(DeviceCgroupBackendTest, APlanCannotWriteTheDeviceFilesItself) {
  plan::Cgroups limits;
  limits.v1 = {{"devices", {{"devices.allow", "a"}}}};
  const std::string message = message_of([&] { make(v1_mountinfo(), "5:devices:/\n4:memory:/\n", limits); });
  EXPECT_NE(message.find("devices.allow"), std::string::npos) << message;
}

TEST_F(DeviceCgroupBackendTest, CleanupRemovesDeviceCgroupsOfDeadInstances) {
  fake_->make_existing("devices/plan-exec/web-99999");
  fake_->make_existing("devices/plan-exec/web-4242");
  auto alive = [](pid_t pid, const std::string&) { return pid == 4242; };
  const auto removed =
      cleanup_cgroup_leftovers_in(parse_cgroup_layout(v1_mountinfo(), "5:devices:/\n4:memory:/\n"), *fake_, alive);
  EXPECT_EQ(removed, std::vector<std::string>{root() + "/devices/plan-exec/web-99999"});
  EXPECT_TRUE(std::filesystem::exists(root() + "/devices/plan-exec/web-4242"));
}

TEST_F(DeviceCgroupBackendTest, V2AttachesTheProgramToTheLeafBeforeCloneAndEnablesNothing) {
  auto cg = make(v2_mountinfo(), "0::/\n", std::nullopt);
  cg->create();
  ASSERT_EQ(fake_->programs_.size(), 1u);
  EXPECT_EQ(fake_->programs_[0].first, "unified/plan-exec/web-4242");
  EXPECT_EQ(fake_->programs_[0].second.size(), device_program(default_device_rules()).size());
  EXPECT_TRUE(fake_->writes_.empty()) << "no controller to enable, no limit to write";
  EXPECT_GE(cg->clone_into_fd(), 0);
  cg->finish();
  EXPECT_FALSE(std::filesystem::exists(root() + "/unified/plan-exec"));
}

TEST_F(DeviceCgroupBackendTest, V2ProgramFailureIsAnErrorEvenWithBestEffortLimits) {
  plan::Cgroups limits;
  limits.best_effort = true;
  fake_->program_errno_ = EPERM;
  auto cg = make(v2_mountinfo(), "0::/\n", limits);
  const std::string message = message_of([&] { cg->create(); });
  EXPECT_NE(message.find("BPF device program"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(root() + "/unified/plan-exec/web-4242")) << "rolled back";
}

}  // namespace
}  // namespace launcher
