// SPDX-License-Identifier: Apache-2.0
#include "tests/support/plan_builder.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/mount.h>

#include <cstddef>
#include <cstring>

#include "plan/encoding.h"
#include "plan/plan_json.h"

namespace testsupport {

plan::Plan container_plan(const std::string& rootfs) {
  plan::Plan p;
  p.name = "probe";
  p.source = "tests/support/plan_builder.cc";
  p.namespaces = {plan::Namespace::Mount, plan::Namespace::Pid, plan::Namespace::Ipc, plan::Namespace::Uts};
  p.rootfs = plan::Rootfs{plan::RootfsKind::Directory, rootfs, false, false};
  p.mounts = {proc_mount(), dev_mount(), tmpfs_mount("/tmp")};
  p.hostname = "probe-box";
  p.network.mode = plan::NetworkMode::Host;
  p.env = {"PATH=/bin:/home", "HOME=/root"};
  p.cwd = "/";
  p.command = {"/home/probe", "status"};
  return p;
}

plan::Mount proc_mount() {
  return plan::Mount{plan::MountKind::Proc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", false};
}

plan::Mount sysfs_mount() {
  return plan::Mount{plan::MountKind::Sysfs, "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                     "", true};
}

plan::Mount dev_mount() {
  return plan::Mount{plan::MountKind::Dev, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755", false};
}

plan::Mount tmpfs_mount(const std::string& target, const std::string& data) {
  return plan::Mount{plan::MountKind::Tmpfs, "tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, data, false};
}

plan::Mount bind_mount(const std::string& source, const std::string& target, bool readonly) {
  return plan::Mount{plan::MountKind::Bind, source, target, "", 0, "", readonly};
}

plan::Veth veth_link(const std::string& host_address, const std::string& container_address, std::uint8_t prefix) {
  plan::Veth veth;
  veth.container_ifname = "eth0";
  veth.host_address = host_address;
  veth.host_prefix = prefix;
  veth.container_address = container_address;
  veth.container_prefix = prefix;
  return veth;
}

static std::vector<sock_filter> guarded(int syscall_nr, std::uint32_t action) {
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(syscall_nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
}

std::vector<sock_filter> errno_filter(int syscall_nr, int err) {
  return guarded(syscall_nr, SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(err) & SECCOMP_RET_DATA));
}

std::vector<sock_filter> kill_filter(int syscall_nr) { return guarded(syscall_nr, SECCOMP_RET_KILL_PROCESS); }

plan::Seccomp seccomp_of(const std::vector<sock_filter>& program, const std::string& default_action) {
  plan::Seccomp s;
  s.default_action = default_action;
  s.backend = "policyc";
  s.bpf.resize(program.size() * sizeof(sock_filter));
  std::memcpy(s.bpf.data(), program.data(), s.bpf.size());
  s.sha256 = plan::sha256_hex(s.bpf);
  return s;
}

std::string write_plan(const plan::Plan& plan, const std::string& path) {
  plan::write_file_atomically(path, plan::to_json(plan));
  return path;
}

std::string plan_rejection(const std::string& text) {
  try {
    plan::from_json(text);
  } catch (const plan::PlanError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace testsupport
