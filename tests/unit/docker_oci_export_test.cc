// SPDX-License-Identifier: Apache-2.0
// export-oci on hand-built plans: every section of the OCI runtime-spec config from the
// plan's resolved values, what OCI cannot say reported as warnings, and the errors.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <sstream>

#include "compiler/oci/export_oci.h"
#include "tests/support/policy_text.h"

namespace policyc::oci {
namespace {

using nlohmann::ordered_json;

plan::Plan full_plan() {
  plan::Plan p;
  p.name = "web";
  p.source = "web.pol";
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid, plan::Namespace::Ipc, plan::Namespace::Uts,
                  plan::Namespace::Net, plan::Namespace::User, plan::Namespace::Cgroup, plan::Namespace::Time};
  p.rootfs = plan::Rootfs{plan::RootfsKind::Directory, "/srv/rootfs", true, false};
  p.hostname = "web";
  p.mounts.push_back({plan::MountKind::Proc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", false});
  p.mounts.push_back({plan::MountKind::Sysfs, "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "", false});
  p.mounts.push_back({plan::MountKind::Dev, "tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755", false});
  p.mounts.push_back({plan::MountKind::Tmpfs, "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=67108864,mode=1777", false});
  p.mounts.push_back({plan::MountKind::Bind, "/srv/data", "/data", "", MS_BIND | MS_REC, "", true});
  p.masked_paths = {"/proc/kcore"};
  p.readonly_paths = {"/proc/sys"};
  p.network.mode = plan::NetworkMode::Loopback;
  plan::Cgroups cg;
  cg.memory_max_bytes = 250ULL << 20;
  cg.swap_max_bytes = 0;
  cg.memory_reservation_bytes = 100ULL << 20;
  cg.cpu_quota_us = 50000;
  cg.cpu_period_us = 100000;
  cg.cpu_weight = 100;
  cg.cpuset_cpus = "0-1";
  cg.cpuset_mems = "0";
  cg.pids_max = 64;
  p.cgroups = cg;
  p.capabilities = {10, 0};  // CAP_NET_BIND_SERVICE, CAP_CHOWN
  p.rlimits = {{7, "nofile", 1024, 2048}, {4, "core", 0, 0}};
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.user.groups = {10, 20};
  p.user.uid_map = {{0, 100000, 65536}};
  p.user.gid_map = {{0, 100000, 65536}};
  p.env = {"PATH=/bin"};
  p.cwd = "/home";
  p.command = {"/home/server", "--port", "8080"};
  return p;
}

ordered_json export_ok(const plan::Plan& plan, const seccomp::Filter* filter, Diagnostics& diags,
                       const OciOptions& options = {}) {
  auto config = export_config(plan, filter, diags, options);
  EXPECT_TRUE(config.has_value()) << policyc::testing::render(diags);
  return config.value_or(ordered_json{});
}

TEST(OciExport, ProcessSection) {
  Diagnostics diags;
  ordered_json c = export_ok(full_plan(), nullptr, diags);
  EXPECT_EQ(c["ociVersion"], "1.0.2");
  const ordered_json& p = c["process"];
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ(p["user"], ordered_json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}}));
  EXPECT_EQ(p["args"], ordered_json({"/home/server", "--port", "8080"}));
  EXPECT_EQ(p["env"], ordered_json({"PATH=/bin"}));
  EXPECT_EQ(p["cwd"], "/home");
  ordered_json caps = {"CAP_NET_BIND_SERVICE", "CAP_CHOWN"};
  EXPECT_EQ(p["capabilities"]["bounding"], caps);
  EXPECT_EQ(p["capabilities"]["effective"], caps);
  EXPECT_EQ(p["capabilities"]["permitted"], caps);
  EXPECT_TRUE(p["capabilities"]["inheritable"].empty());
  EXPECT_TRUE(p["capabilities"]["ambient"].empty());
  EXPECT_EQ(p["rlimits"][0], ordered_json({{"type", "RLIMIT_NOFILE"}, {"hard", 2048}, {"soft", 1024}}));
  EXPECT_EQ(p["rlimits"][1]["type"], "RLIMIT_CORE");
  EXPECT_EQ(p["noNewPrivileges"], true);
  EXPECT_EQ(c["root"], ordered_json({{"path", "/srv/rootfs"}, {"readonly", true}}));
  EXPECT_EQ(c["hostname"], "web");
}

TEST(OciExport, MountsIncludingTheMinimalDev) {
  Diagnostics diags;
  ordered_json m = export_ok(full_plan(), nullptr, diags)["mounts"];
  ASSERT_EQ(m.size(), 8u) << m.dump(2);  // proc, sysfs, dev x4, tmpfs, bind
  EXPECT_EQ(m[0], ordered_json({{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"},
                                {"options", {"nosuid", "nodev", "noexec"}}}));
  EXPECT_EQ(m[1]["options"], ordered_json({"ro", "nosuid", "nodev", "noexec"}));
  EXPECT_EQ(m[2]["destination"], "/dev");
  EXPECT_EQ(m[2]["type"], "tmpfs");
  EXPECT_EQ(m[3]["destination"], "/dev/pts");
  EXPECT_EQ(m[3]["type"], "devpts");
  EXPECT_EQ(m[4]["destination"], "/dev/shm");
  EXPECT_EQ(m[5]["destination"], "/dev/mqueue");
  EXPECT_EQ(m[6]["options"], ordered_json({"nosuid", "nodev", "size=67108864", "mode=1777"}));
  EXPECT_EQ(m[7], ordered_json({{"destination", "/data"}, {"type", "bind"}, {"source", "/srv/data"},
                                {"options", {"rbind", "ro"}}}));
}

TEST(OciExport, LinuxSection) {
  Diagnostics diags;
  ordered_json l = export_ok(full_plan(), nullptr, diags)["linux"];
  ordered_json types = ordered_json::array();
  for (const auto& ns : l["namespaces"]) types.push_back(ns["type"]);
  EXPECT_EQ(types, ordered_json({"mount", "pid", "ipc", "uts", "network", "user", "cgroup", "time"}));
  EXPECT_EQ(l["uidMappings"], ordered_json::array({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}}));
  EXPECT_EQ(l["gidMappings"][0]["hostID"], 100000);
  EXPECT_EQ(l["maskedPaths"], ordered_json({"/proc/kcore"}));
  EXPECT_EQ(l["readonlyPaths"], ordered_json({"/proc/sys"}));
  const ordered_json& r = l["resources"];
  EXPECT_EQ(r["memory"]["limit"], 250ULL << 20);
  EXPECT_EQ(r["memory"]["swap"], 250ULL << 20) << "OCI swap is memory + swap";
  EXPECT_EQ(r["memory"]["reservation"], 100ULL << 20);
  EXPECT_EQ(r["cpu"]["quota"], 50000);
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(r["cpu"]["shares"], 2 + (99 * 262142) / 9999);
  EXPECT_EQ(r["cpu"]["cpus"], "0-1");
  EXPECT_EQ(r["cpu"]["mems"], "0");
  EXPECT_EQ(r["pids"]["limit"], 64);
  EXPECT_FALSE(l.contains("seccomp"));
  EXPECT_FALSE(diags.has_errors()) << policyc::testing::render(diags);
}

TEST(OciExport, SharesFollowRuncsWeightMapping) {
  EXPECT_EQ(weight_to_shares(1), 2u);
  EXPECT_EQ(weight_to_shares(10000), 262144u);
  EXPECT_EQ(weight_to_shares(100), 2597u);
}

TEST(OciExport, SeccompSectionAndRuncCompat) {
  seccomp::Filter filter;
  filter.default_action = {seccomp::ActionKind::Errno, 1};
  seccomp::Rule read;
  read.syscall = "read";
  read.action = {seccomp::ActionKind::Allow, 0};
  filter.rules.push_back(read);
  Diagnostics plain;
  ordered_json s = export_ok(full_plan(), &filter, plain)["linux"]["seccomp"];
  EXPECT_EQ(s["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(s["architectures"], ordered_json({"SCMP_ARCH_X86_64"}));
  EXPECT_EQ(s["syscalls"][0]["names"], ordered_json({"read"}));
  EXPECT_NE(policyc::testing::render(plain).find("the filter denies openat write close fstatfs"), std::string::npos) << policyc::testing::render(plain);

  Diagnostics compat;
  OciOptions options;
  options.runc_compat = true;
  ordered_json t = export_ok(full_plan(), &filter, compat, options)["linux"]["seccomp"];
  ASSERT_EQ(t["syscalls"].size(), 1u) << t.dump(2);
  ordered_json names = t["syscalls"][0]["names"];
  for (const auto& name : runc_init_syscalls()) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_NE(policyc::testing::render(compat).find("--runc-compat: allowed"), std::string::npos);
}

TEST(OciExport, WhatOciCannotSayIsAWarning) {
  plan::Plan p = full_plan();
  p.network.mode = plan::NetworkMode::Veth;
  p.network.veth = plan::Veth{};
  p.rootfs->kind = plan::RootfsKind::Archive;
  p.rootfs->path = "/srv/alpine.tar.gz";
  p.cgroups->memory_max_bytes.reset();
  Diagnostics diags;
  ordered_json c = export_ok(p, nullptr, diags);
  std::string text = policyc::testing::render(diags);
  EXPECT_NE(text.find("veth network cannot be expressed"), std::string::npos) << text;
  EXPECT_NE(text.find("not the archive /srv/alpine.tar.gz"), std::string::npos) << text;
  EXPECT_NE(text.find("swap limit has no OCI form"), std::string::npos) << text;
  EXPECT_FALSE(c["linux"]["resources"]["memory"].contains("swap"));
  EXPECT_FALSE(diags.has_errors());
}

// Granted devices: runc makes them (linux.devices, this host's type and numbers) and its device
// cgroup lets them through (deny all, then allow each); one missing here is a warning.
TEST(OciExport, GrantedDevicesBecomeLinuxDevicesAndCgroupAllowRules) {
  plan::Plan p = full_plan();
  p.devices = {"/dev/null", "/dev/plan-exec-test-missing"};
  Diagnostics diags;
  ordered_json c = export_ok(p, nullptr, diags);
  ASSERT_EQ(c["linux"]["devices"].size(), 1u) << c["linux"].dump(2);
  const ordered_json& node = c["linux"]["devices"][0];
  EXPECT_EQ(node["path"], "/dev/null");
  EXPECT_EQ(node["type"], "c");
  EXPECT_EQ(node["major"], 1);
  EXPECT_EQ(node["minor"], 3);
  EXPECT_EQ(node["fileMode"], 0666);
  EXPECT_EQ(c["linux"]["resources"]["devices"],
            ordered_json::parse(R"([{"allow": false, "access": "rwm"},
                                    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}])"));
  EXPECT_EQ(c["linux"]["resources"]["memory"]["limit"], 250ULL << 20) << "the limits stay";
  EXPECT_NE(policyc::testing::render(diags).find("device /dev/plan-exec-test-missing is no device node on this host"),
            std::string::npos) << policyc::testing::render(diags);
  EXPECT_FALSE(diags.has_errors());

  Diagnostics none;
  EXPECT_FALSE(export_ok(full_plan(), nullptr, none)["linux"].contains("devices")) << "nothing granted, nothing added";
}

TEST(OciExport, NetworkNoneAddsTheNamespaceHostDoesNot) {
  plan::Plan p = full_plan();
  p.namespaces = {plan::Namespace::Mount};
  p.network.mode = plan::NetworkMode::None;
  Diagnostics diags;
  ordered_json l = export_ok(p, nullptr, diags)["linux"];
  EXPECT_EQ(l["namespaces"].back()["type"], "network");
  EXPECT_FALSE(l.contains("uidMappings")) << "no user namespace";
  p.network.mode = plan::NetworkMode::Host;
  l = export_ok(p, nullptr, diags)["linux"];
  EXPECT_EQ(l["namespaces"].size(), 1u);
}

TEST(OciExport, NoCommandIsAnError) {
  plan::Plan p = full_plan();
  p.command.clear();
  Diagnostics diags;
  EXPECT_FALSE(export_config(p, nullptr, diags).has_value());
  EXPECT_NE(policyc::testing::render(diags).find("web.pol: error: the policy has no command"), std::string::npos) << policyc::testing::render(diags);
}

TEST(OciExport, MountOptionWords) {
  EXPECT_EQ(mount_options(MS_BIND, ""), std::vector<std::string>{"bind"});
  EXPECT_EQ(mount_options(MS_BIND | MS_REC | MS_RDONLY | MS_PRIVATE, "x=1,,y"),
            (std::vector<std::string>{"rbind", "ro", "rprivate", "x=1", "y"}));
  EXPECT_EQ(mount_options(MS_RELATIME | MS_NOATIME, ""), (std::vector<std::string>{"noatime", "relatime"}));
}

}  // namespace
}  // namespace policyc::oci
