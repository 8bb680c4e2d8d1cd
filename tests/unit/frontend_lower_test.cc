// SPDX-License-Identifier: Apache-2.0
// Lowering: a checked policy -> plan fields. Sizes, cpu, weights, mount flags, masked-path
// defaults, network defaults, cgroup writes for v1 and v2 (exact files, values and order),
// capabilities, rlimits, user, env; the shipped policies compile, their filters decide the
// verdicts they promise (run in the BPF interpreter), and every plan passes the strict loader.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/bpf/bpf_interp.h"
#include "compiler/driver/compile.h"
#include "compiler/values/values.h"
#include "plan/encoding.h"
#include "plan/plan_json.h"
#include "tests/support/policy_text.h"

namespace policyc {
namespace {

namespace fs = std::filesystem;

class FrontendLower : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("frontend_lower_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Compiles `text` (a container body when `wrap`), expecting success.
  plan::Plan compile(const std::string& text, CompileOptions options = {}) {
    fs::path path = dir_ / "p.pol";
    std::ofstream(path) << text;
    Diagnostics diags;
    auto result = compile_policy(path.string(), options, diags);
    EXPECT_TRUE(result) << testing::render(diags);
    return result ? result->plan : plan::Plan{};
  }
  Diagnostics compile_broken(const std::string& text, CompileOptions options = {}) {
    fs::path path = dir_ / "p.pol";
    std::ofstream(path) << text;
    Diagnostics diags;
    EXPECT_FALSE(compile_policy(path.string(), options, diags));
    return diags;
  }
  fs::path dir_;
};

plan::Plan compile_shipped(const std::string& name) {
  Diagnostics diags;
  auto result = compile_policy(std::string(SOURCE_DIR) + "/policies/" + name, CompileOptions{}, diags);
  EXPECT_TRUE(result) << testing::render(diags);
  EXPECT_FALSE(diags.has_errors()) << testing::render(diags);
  return result ? result->plan : plan::Plan{};
}

// ---- values ---------------------------------------------------------------------------------

TEST(FrontendValues, SizesAreBinaryUnits) {
  std::string why;
  EXPECT_EQ(lower::parse_size("250M", why), 250ull << 20);
  EXPECT_EQ(lower::parse_size("64K", why), 64ull << 10);
  EXPECT_EQ(lower::parse_size("1G", why), 1ull << 30);
  EXPECT_EQ(lower::parse_size("1.5G", why), 3ull << 29);
  EXPECT_EQ(lower::parse_size("4096", why), 4096u);
  EXPECT_EQ(lower::parse_size("2MiB", why), 2ull << 20);
  EXPECT_EQ(lower::parse_size("0", why), 0u);
  EXPECT_FALSE(lower::parse_size("10Q", why));
  EXPECT_NE(why.find("unknown unit"), std::string::npos);
  EXPECT_FALSE(lower::parse_size("1.5", why));       // a fraction of a byte
  EXPECT_FALSE(lower::parse_size("99999999T", why));  // overflows 64 bits
}

TEST(FrontendValues, CpuAsFractionOrQuotaOverPeriod) {
  std::string why;
  auto half = lower::parse_cpu("0.5", why);
  ASSERT_TRUE(half);
  EXPECT_EQ(half->quota_us, 50000u);
  EXPECT_EQ(half->period_us, 100000u);
  auto two = lower::parse_cpu("2", why);
  EXPECT_EQ(two->quota_us, 200000u);
  auto ratio = lower::parse_cpu("20ms/100ms", why);
  ASSERT_TRUE(ratio);
  EXPECT_EQ(ratio->quota_us, 20000u);
  EXPECT_EQ(ratio->period_us, 100000u);
  auto seconds = lower::parse_cpu("1s/2s", why);
  EXPECT_EQ(seconds->quota_us, 1000000u);
  EXPECT_FALSE(lower::parse_cpu("0.5x", why));
}

TEST(FrontendValues, CpuWeightToSharesMatchesRuncsFormula) {
  EXPECT_EQ(lower::cpu_weight_to_shares(1), 2u);
  EXPECT_EQ(lower::cpu_weight_to_shares(100), 2597u);
  EXPECT_EQ(lower::cpu_weight_to_shares(10000), 262144u);
}

TEST(FrontendValues, CapabilityAndRlimitNamesComeFromTheSystemHeaders) {
  EXPECT_EQ(lower::capability_number("net_bind_service"), CAP_NET_BIND_SERVICE);
  EXPECT_EQ(lower::capability_number("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(lower::capability_number("cap_kill"), CAP_KILL);
  EXPECT_FALSE(lower::capability_number("all"));
  EXPECT_FALSE(lower::capability_number("net_bind_servce"));
  EXPECT_EQ(lower::rlimit_number("nofile"), RLIMIT_NOFILE);
  EXPECT_EQ(lower::rlimit_number("as"), RLIMIT_AS);
  EXPECT_FALSE(lower::rlimit_number("nofiles"));
  std::string why;
  EXPECT_EQ(lower::parse_rlimit_value("unlimited", why), static_cast<std::uint64_t>(RLIM_INFINITY));
}

TEST(FrontendValues, AddressesAndSubnets) {
  std::string why;
  auto v4 = lower::parse_cidr("10.0.0.2/16", why);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->address, "10.0.0.2");
  EXPECT_EQ(v4->prefix, 16u);
  EXPECT_TRUE(lower::in_subnet(*v4, "10.0.255.1"));
  EXPECT_FALSE(lower::in_subnet(*v4, "10.1.0.1"));
  auto v6 = lower::parse_cidr("fd00::2/64", why);
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ipv6);
  EXPECT_TRUE(lower::in_subnet(*v6, "fd00::1"));
  EXPECT_FALSE(lower::in_subnet(*v6, "10.0.0.1"));
  EXPECT_FALSE(lower::parse_cidr("10.0.0.300/24", why));
  EXPECT_FALSE(lower::parse_cidr("10.0.0.1/33", why));
}

// ---- the shipped policies ---------------------------------------------------------------------

TEST(FrontendShipped, HelloPlanHasEveryPromisedField) {
  plan::Plan p = compile_shipped("hello.pol");
  EXPECT_EQ(p.name, "hello");
  EXPECT_EQ(p.arch, plan::host_arch());
  EXPECT_EQ(p.namespaces, (std::vector<plan::Namespace>{plan::Namespace::Mount, plan::Namespace::Pid,
                                                         plan::Namespace::Ipc, plan::Namespace::Uts,
                                                         plan::Namespace::Net}));
  ASSERT_TRUE(p.rootfs);
  EXPECT_EQ(p.rootfs->path, "/var/lib/policyc/hello");
  EXPECT_EQ(p.hostname, "hello");

  ASSERT_EQ(p.mounts.size(), 3u);
  EXPECT_EQ(p.mounts[0], (plan::Mount{plan::MountKind::Proc, "proc", "/proc", "proc",
                                      MS_NOSUID | MS_NODEV | MS_NOEXEC, "", false}));
  EXPECT_EQ(p.mounts[1].kind, plan::MountKind::Dev);
  EXPECT_EQ(p.mounts[1].target, "/dev");
  EXPECT_EQ(p.mounts[1].fstype, "tmpfs");
  EXPECT_EQ(p.mounts[1].data, "mode=755");
  EXPECT_EQ(p.mounts[2], (plan::Mount{plan::MountKind::Tmpfs, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
                                      "size=67108864,mode=1777", false}));
  EXPECT_EQ(p.masked_paths.size(), 11u);   // runc's defaults, because /proc is mounted
  EXPECT_EQ(p.readonly_paths, (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                        "/proc/sysrq-trigger"}));

  EXPECT_EQ(p.network.mode, plan::NetworkMode::Veth);
  ASSERT_TRUE(p.network.veth);
  EXPECT_EQ(p.network.veth->host_address, "10.200.0.1");
  EXPECT_EQ(p.network.veth->host_prefix, 24);
  EXPECT_EQ(p.network.veth->container_address, "10.200.0.2");
  EXPECT_EQ(p.network.veth->gateway, "10.200.0.1");
  EXPECT_EQ(p.network.veth->container_ifname, "eth0");
  EXPECT_EQ(p.network.veth->host_ifname, "");

  ASSERT_TRUE(p.cgroups);
  EXPECT_EQ(p.cgroups->memory_max_bytes, 262144000u);
  EXPECT_EQ(p.cgroups->swap_max_bytes, 0u);
  EXPECT_EQ(p.cgroups->cpu_quota_us, 50000u);
  EXPECT_EQ(p.cgroups->cpu_period_us, 100000u);
  EXPECT_EQ(p.cgroups->pids_max, 64u);
  EXPECT_EQ(p.cgroups->parent, "plan-exec");
  EXPECT_EQ(p.cgroups->v2, (std::vector<plan::CgroupWrite>{{"memory.max", "262144000"},
                                                           {"memory.swap.max", "0"},
                                                           {"cpu.max", "50000 100000"},
                                                           {"pids.max", "64"}}));
  EXPECT_EQ(p.cgroups->v1, (std::vector<plan::CgroupV1Controller>{
                               {"memory", {{"memory.limit_in_bytes", "262144000"},
                                           {"memory.memsw.limit_in_bytes", "262144000"}}},
                               {"cpu", {{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "50000"}}},
                               {"pids", {{"pids.max", "64"}}}}));

  EXPECT_TRUE(p.capabilities.empty());   // keep none
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0], (plan::Rlimit{RLIMIT_NOFILE, "nofile", 1024, 1024}));
  EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
  EXPECT_EQ(p.command, (std::vector<std::string>{"/home/hello-world"}));
  EXPECT_TRUE(p.no_new_privs);

  ASSERT_TRUE(p.seccomp);
  EXPECT_EQ(p.seccomp->default_action, "errno(EPERM)");
  EXPECT_EQ(p.seccomp->backend, "policyc");  // our generator is the default (native arch only)
  EXPECT_EQ(p.seccomp->bpf.size() % 8, 0u);
  EXPECT_GT(p.seccomp->instructions(), 10u);
  EXPECT_EQ(p.seccomp->sha256, plan::sha256_hex(p.seccomp->bpf));
}

bpf::Verdict verdict(const plan::Plan& p, int nr, std::array<std::uint64_t, 6> args = {}) {
  bpf::SeccompData data;
  data.nr = nr;
  data.args = args;
  std::string error;
  auto v = bpf::run(bpf::decode(p.seccomp->bpf), data, &error);
  EXPECT_TRUE(v) << error;
  return v.value_or(bpf::Verdict{});
}

TEST(FrontendShipped, HelloFilterAllowsTheServerAndNothingElse) {
  plan::Plan p = compile_shipped("hello.pol");
  EXPECT_EQ(verdict(p, SYS_accept4).action(), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(p, SYS_execve).action(), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(p, SYS_socket, {AF_INET6}).action(), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(p, SYS_socket, {AF_INET}).action(), SECCOMP_RET_ALLOW);
  auto netlink = verdict(p, SYS_socket, {AF_NETLINK});
  EXPECT_EQ(netlink.action(), SECCOMP_RET_ERRNO);
  EXPECT_EQ(netlink.data(), EPERM);
  auto clone3 = verdict(p, SYS_clone3);
  EXPECT_EQ(clone3.action(), SECCOMP_RET_ERRNO);
  EXPECT_EQ(clone3.data(), ENOSYS);
  EXPECT_EQ(verdict(p, SYS_clone, {CLONE_NEWUSER}).action(), SECCOMP_RET_ERRNO);
  EXPECT_EQ(verdict(p, SYS_ptrace).action(), SECCOMP_RET_ERRNO);
  EXPECT_EQ(verdict(p, SYS_mount).action(), SECCOMP_RET_ERRNO);
}

TEST(FrontendShipped, StrictFilterKillsEscapesAndAllowsAShell) {
  plan::Plan p = compile_shipped("strict.pol");
  for (int nr : {SYS_ptrace, SYS_mount, SYS_umount2, SYS_unshare, SYS_setns, SYS_keyctl, SYS_add_key,
                 SYS_request_key, SYS_syslog, SYS_pivot_root, SYS_chroot, SYS_bpf, SYS_perf_event_open,
                 SYS_kexec_load, SYS_init_module, SYS_finit_module}) {
    EXPECT_EQ(verdict(p, nr).action(), SECCOMP_RET_KILL_PROCESS) << "syscall " << nr;
  }
  for (int nr : {SYS_execve, SYS_read, SYS_write, SYS_openat, SYS_exit_group, SYS_wait4, SYS_rt_sigaction}) {
    EXPECT_EQ(verdict(p, nr).action(), SECCOMP_RET_ALLOW) << "syscall " << nr;
  }
  EXPECT_EQ(verdict(p, SYS_clone, {SIGCHLD}).action(), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(p, SYS_clone, {CLONE_NEWNS | SIGCHLD}).action(), SECCOMP_RET_ERRNO);
  EXPECT_EQ(verdict(p, SYS_sethostname).data(), EPERM);
  ASSERT_TRUE(p.rootfs);
  EXPECT_TRUE(p.rootfs->readonly);
  EXPECT_EQ(p.network.mode, plan::NetworkMode::None);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.uid_map, (std::vector<plan::IdMapping>{{0, 100000, 65536}}));
}

TEST(FrontendShipped, EveryPolicyInPoliciesCompilesAndItsPlanLoadsStrictly) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(SOURCE_DIR) / "policies")) {
    if (entry.path().extension() != ".pol") continue;
    ++count;
    plan::Plan p = compile_shipped(entry.path().filename().string());
    EXPECT_EQ(plan::from_json(plan::to_json(p)), p) << entry.path();
  }
  EXPECT_GE(count, 2);
}

// ---- lowering details -------------------------------------------------------------------------

TEST_F(FrontendLower, MountFlagsForEveryKind) {
  plan::Plan p = compile(R"(container m {
    namespaces mount pid
    mount sysfs at /sys
    mount tmpfs at /run readonly
    mount bind "/srv" at /srv readonly
    mount bind "/data" at /data
    mount mqueue at /dev/mqueue
    mount devpts at /dev/pts
  })");
  ASSERT_EQ(p.mounts.size(), 6u);
  EXPECT_EQ(p.mounts[0].flags, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
  EXPECT_EQ(p.mounts[1].flags, MS_NOSUID | MS_NODEV | MS_RDONLY);
  EXPECT_EQ(p.mounts[2], (plan::Mount{plan::MountKind::Bind, "/srv", "/srv", "", MS_BIND | MS_REC | MS_NODEV, "", true}));
  EXPECT_FALSE(p.mounts[3].readonly);
  EXPECT_EQ(p.mounts[4].fstype, "mqueue");
  EXPECT_EQ(p.mounts[5].fstype, "devpts");
  EXPECT_TRUE(p.masked_paths.empty()) << "no /proc mounted, so no /proc defaults";
}

TEST_F(FrontendLower, MaskNoneDropsTheDefaultsAndUserPathsAreAdded) {
  plan::Plan none = compile("container m { namespaces mount pid mount proc at /proc mask none }");
  EXPECT_TRUE(none.masked_paths.empty());
  EXPECT_TRUE(none.readonly_paths.empty());
  plan::Plan extra = compile("container m { namespaces mount pid mount proc at /proc mask /proc/kcore /secret readonly /etc }");
  EXPECT_EQ(extra.masked_paths.size(), 12u);   // 11 defaults (kcore once) + /secret
  EXPECT_EQ(extra.masked_paths.back(), "/secret");
  EXPECT_EQ(extra.readonly_paths.back(), "/etc");
}

TEST_F(FrontendLower, NetworkDefaultsFollowTheNetNamespace) {
  EXPECT_EQ(compile("container n { }").network.mode, plan::NetworkMode::Host);
  EXPECT_EQ(compile("container n { namespaces net }").network.mode, plan::NetworkMode::Loopback);
  EXPECT_EQ(compile("container n { namespaces net network none }").network.mode, plan::NetworkMode::None);
  plan::Plan veth = compile(
      "container n { namespaces net network veth { host \"fd00::1/64\" container \"fd00::2/64\" gateway \"fd00::1\" mtu 9000 "
      "host_name \"vh0\" container_name \"c0\" } }");
  ASSERT_TRUE(veth.network.veth);
  EXPECT_EQ(veth.network.veth->container_address, "fd00::2");
  EXPECT_EQ(veth.network.veth->container_prefix, 64);
  EXPECT_EQ(veth.network.veth->gateway, "fd00::1");
  EXPECT_EQ(veth.network.veth->mtu, 9000u);
  EXPECT_EQ(veth.network.veth->host_ifname, "vh0");
  EXPECT_EQ(veth.network.veth->container_ifname, "c0");
  // IPv6 needs no quotes; `user 1000:1000` (one colon) is still a uid and a gid.
  plan::Plan bare = compile(
      "container n { namespaces net user 1000:1000 network veth { host fd00::1/64 container fd00::2/64 "
      "gateway fd00::1 } }");
  ASSERT_TRUE(bare.network.veth);
  EXPECT_EQ(bare.network.veth->host_address, "fd00::1");
  EXPECT_EQ(bare.network.veth->container_address, "fd00::2");
  EXPECT_EQ(bare.network.veth->gateway, "fd00::1");
  EXPECT_EQ(bare.user.uid, 1000u);
}

TEST_F(FrontendLower, EveryLimitInBothHierarchiesInOrder) {
  plan::Plan p = compile(R"(container l {
    limits { pids 10  cpuset_mems "0"  cpuset "0-1"  cpu_weight 100  cpu 20ms/50ms
             memory_reservation 100M  swap 1G  memory 256M  best_effort  parent "jobs/batch" }
  })");
  ASSERT_TRUE(p.cgroups);
  const plan::Cgroups& c = *p.cgroups;
  EXPECT_TRUE(c.best_effort);
  EXPECT_EQ(c.parent, "jobs/batch");
  EXPECT_EQ(c.cpu_weight, 100u);
  EXPECT_EQ(c.v2, (std::vector<plan::CgroupWrite>{{"memory.max", "268435456"},
                                                   {"memory.swap.max", "1073741824"},
                                                   {"memory.low", "104857600"},
                                                   {"cpu.max", "20000 50000"},
                                                   {"cpu.weight", "100"},
                                                   {"cpuset.cpus", "0-1"},
                                                   {"cpuset.mems", "0"},
                                                   {"pids.max", "10"}}));
  EXPECT_EQ(c.v1, (std::vector<plan::CgroupV1Controller>{
                      {"cpuset", {{"cpuset.cpus", "0-1"}, {"cpuset.mems", "0"}}},
                      {"memory", {{"memory.limit_in_bytes", "268435456"},
                                  {"memory.memsw.limit_in_bytes", "1342177280"},
                                  {"memory.soft_limit_in_bytes", "104857600"}}},
                      {"cpu", {{"cpu.cfs_period_us", "50000"}, {"cpu.cfs_quota_us", "20000"}, {"cpu.shares", "2597"}}},
                      {"pids", {{"pids.max", "10"}}}}));
  EXPECT_FALSE(compile("container l { }").cgroups) << "no limits block, no cgroup";
}

TEST_F(FrontendLower, CapabilitiesRlimitsUserEnvCwd) {
  plan::Plan p = compile(R"(container u {
    namespaces user
    capabilities keep sys_chroot net_bind_service CAP_CHOWN net_bind_service
    rlimit nofile 100 200
    rlimit as 1G unlimited
    user 1000 groups 5 6
    uidmap 0 100000 65536
    env HOME="/root" PATH="/bin"
    cwd /work
  })");
  EXPECT_EQ(p.capabilities, (std::vector<int>{CAP_CHOWN, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT}));
  EXPECT_EQ(p.rlimits[0], (plan::Rlimit{RLIMIT_NOFILE, "nofile", 100, 200}));
  EXPECT_EQ(p.rlimits[1], (plan::Rlimit{RLIMIT_AS, "as", 1ull << 30, static_cast<std::uint64_t>(RLIM_INFINITY)}));
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1000u) << "`user 1000` means 1000:1000";
  EXPECT_EQ(p.user.groups, (std::vector<std::uint32_t>{5, 6}));
  EXPECT_EQ(p.user.uid_map, (std::vector<plan::IdMapping>{{0, 100000, 65536}}));
  EXPECT_EQ(p.env, (std::vector<std::string>{"HOME=/root", "PATH=/bin"})) << "no default PATH when one is given";
  EXPECT_EQ(p.cwd, "/work");
  EXPECT_EQ(compile("container d { }").capabilities.size(), 13u) << "Docker's default set without mknod";
}

TEST_F(FrontendLower, InitNoneMakesTheCommandPid1) {
  EXPECT_FALSE(compile("container d { command \"/bin/true\" }").command_is_init) << "plan-exec's init by default";
  EXPECT_FALSE(compile("container d { init minimal }").command_is_init);
  const plan::Plan own = compile("container d { command \"/sbin/tini\" init none }");
  EXPECT_TRUE(own.command_is_init);
  const std::string json = plan::to_json(own);
  EXPECT_NE(json.find("\"command_is_init\": true"), std::string::npos) << json;
  EXPECT_TRUE(plan::from_json(json).command_is_init);
  EXPECT_EQ(plan::to_json(compile("container d { }")).find("command_is_init"), std::string::npos)
      << "absent when false, as in plans made before the key existed";
}

TEST_F(FrontendLower, DefaultCapabilitiesLackMknodAndKeepMknodStillWorks) {
  const std::vector<int> docker_without_mknod = {CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID,
                                                 CAP_KILL,    CAP_SETGID,       CAP_SETUID, CAP_SETPCAP,
                                                 CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT,
                                                 CAP_AUDIT_WRITE, CAP_SETFCAP};
  EXPECT_EQ(compile("container d { }").capabilities, docker_without_mknod);
  EXPECT_EQ(compile("container d { capabilities keep mknod }").capabilities, (std::vector<int>{CAP_MKNOD}));
  plan::Plan docker = compile(
      "container d { capabilities keep chown dac_override fsetid fowner mknod net_raw setgid setuid setfcap setpcap "
      "net_bind_service sys_chroot kill audit_write }");
  std::vector<int> with_mknod = docker_without_mknod;
  with_mknod.push_back(CAP_MKNOD);
  std::sort(with_mknod.begin(), with_mknod.end());
  EXPECT_EQ(docker.capabilities, with_mknod);
}

TEST_F(FrontendLower, DevicesAreGrantedInOrderOnceWithoutTheMinimalDevsOwn) {
  plan::Plan p = compile(R"(container d {
    namespaces mount
    mount dev at /dev
    device /dev/fuse "/dev/net/tun"
    device /dev/null /dev/kvm
  })");
  EXPECT_EQ(p.devices, (std::vector<std::string>{"/dev/fuse", "/dev/net/tun", "/dev/kvm"}));
  EXPECT_TRUE(compile("container d { namespaces mount mount dev at /dev }").devices.empty());
  Diagnostics diags = compile_broken("container d { namespaces mount device /dev/fuse }");
  EXPECT_NE(testing::render(diags).find("`device` needs `mount dev at /dev`"), std::string::npos) << testing::render(diags);
}

TEST_F(FrontendLower, BareSeccompPolicyGivesAPlanWithoutRootfs) {
  plan::Plan p = compile("seccomp default allow { errno(EPERM) ptrace }");
  EXPECT_EQ(p.name, "p");
  EXPECT_FALSE(p.rootfs);
  ASSERT_TRUE(p.seccomp);
  EXPECT_EQ(p.seccomp->default_action, "allow");
  EXPECT_EQ(verdict(p, SYS_ptrace).data(), EPERM);
  EXPECT_EQ(verdict(p, SYS_read).action(), SECCOMP_RET_ALLOW);
}

TEST_F(FrontendLower, RequireContainerRefusesPoliciesWithoutRootfs) {
  CompileOptions options;
  options.require_container = true;
  Diagnostics bare = compile_broken("seccomp default allow { }", options);
  EXPECT_NE(bare.all()[0].message.find("no container"), std::string::npos) << testing::render(bare);
  Diagnostics no_rootfs = compile_broken("container x { }", options);
  EXPECT_NE(no_rootfs.all()[0].message.find("has no rootfs"), std::string::npos) << testing::render(no_rootfs);
}

TEST_F(FrontendLower, ChecksRunBeforeLoweringAndReportEverything) {
  Diagnostics diags = compile_broken(R"(container x {
    namespaces pid
    mount tmpfs at /tmp
    hostname "x"
    network veth { host 10.0.0.1/24 container 10.0.0.2/24 }
    limits { memory 1M  cpu 0 }
  })");
  EXPECT_EQ(diags.error_count(), 5u) << testing::render(diags);
}

TEST_F(FrontendLower, PolicycBackendNameReachesThePlan) {
  CompileOptions options;
  options.backend = seccomp::Backend::Policyc;
  fs::path path = dir_ / "b.pol";
  std::ofstream(path) << "seccomp default errno(EPERM) { allow read write exit_group }";
  Diagnostics diags;
  auto result = compile_policy(path.string(), options, diags);
  if (!result) GTEST_SKIP() << "policyc backend not available yet: " << testing::render(diags);
  EXPECT_EQ(result->plan.seccomp->backend, "policyc");
  EXPECT_EQ(verdict(result->plan, SYS_write).action(), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(result->plan, SYS_open).data(), EPERM);
}

}  // namespace

namespace {

// The default backend is ours, also for filters that allow i386 calls; names that exist only
// on an allowed foreign arch (socketcall on x86) are accepted there and refused elsewhere.
TEST(FrontendBackendChoice, DefaultIsPolicycAlsoForI386) {
  const std::string dir = std::string(TEST_SCRATCH_DIR) + "/backend-choice";
  std::filesystem::create_directories(dir);
  const std::string native = dir + "/native.pol", x86 = dir + "/x86.pol", wrong = dir + "/wrong.pol";
  std::ofstream(native) << "seccomp default errno(EPERM) { allow read write exit_group }\n";
  std::ofstream(x86) << "seccomp default errno(EPERM) { arch x86_64 x86  allow read write exit_group socketcall }\n";
  std::ofstream(wrong) << "seccomp default errno(EPERM) { allow read socketcall }\n";

  policyc::Diagnostics diags;
  auto a = policyc::compile_policy(native, {}, diags);
  ASSERT_TRUE(a && a->plan.seccomp);
  EXPECT_EQ(a->plan.seccomp->backend, "policyc");

  auto b = policyc::compile_policy(x86, {}, diags);
  ASSERT_TRUE(b && b->plan.seccomp) << testing::render(diags);
  EXPECT_EQ(b->plan.seccomp->backend, "policyc");
  const auto program = policyc::bpf::decode(b->plan.seccomp->bpf);
  auto i386_call = [&](int nr) {
    policyc::bpf::SeccompData data;
    data.arch = policyc::bpf::kAuditArchI386;
    data.nr = nr;
    return policyc::bpf::run(program, data)->ret;
  };
  EXPECT_EQ(i386_call(4), SECCOMP_RET_ALLOW);                // i386 write
  EXPECT_EQ(i386_call(102), SECCOMP_RET_ALLOW);              // socketcall, i386 only
  EXPECT_EQ(i386_call(20), SECCOMP_RET_ERRNO | EPERM);       // getpid: not allowed

  // Without x86, socketcall can match no call: a warning (as libseccomp ignores it), no error,
  // so `include "docker.json"` works in a native-only policy.
  policyc::Diagnostics warned;
  auto c = policyc::compile_policy(wrong, {}, warned);
  ASSERT_TRUE(c && c->filter) << testing::render(warned);
  EXPECT_FALSE(warned.has_errors());
  ASSERT_EQ(warned.all().size(), 1u) << testing::render(warned);
  EXPECT_NE(warned.all().front().message.find("socketcall exists only on x86"), std::string::npos);
  EXPECT_NE(warned.all().front().hint.find("`x86`"), std::string::npos);
  EXPECT_EQ(c->filter->rules.size(), 1u);  // read only
  std::filesystem::remove_all(dir);
}

}  // namespace

}  // namespace policyc
