// SPDX-License-Identifier: Apache-2.0
// plan::Plan values for tests, without policyc: a typical container plan, mount helpers,
// small hand-written seccomp filters, and writing a plan to a file as plan-exec reads it.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace testsupport {

// mount pid ipc uts namespaces; rootfs `rootfs`; proc, minimal /dev, tmpfs /tmp; hostname
// "probe-box"; no capabilities; uid 0; PATH=/bin; cwd /; command /home/probe status.
plan::Plan container_plan(const std::string& rootfs);

plan::Mount proc_mount();
plan::Mount sysfs_mount();
plan::Mount dev_mount();
plan::Mount tmpfs_mount(const std::string& target, const std::string& data = "mode=1777");
plan::Mount bind_mount(const std::string& source, const std::string& target, bool readonly);

// A veth link: `host_address`/`prefix` on the host's end, `container_address`/`prefix` on eth0
// inside; no gateway, the kernel's MTU, a host-side name plan-exec derives. Set the rest by name.
plan::Veth veth_link(const std::string& host_address, const std::string& container_address, std::uint8_t prefix = 24);

// Filters in the plan's form (little-endian sock_filter bytes, sha256, instruction count).
// Both check the arch first (kill_process on a foreign one) and allow everything else.
std::vector<sock_filter> errno_filter(int syscall_nr, int err);
std::vector<sock_filter> kill_filter(int syscall_nr);
plan::Seccomp seccomp_of(const std::vector<sock_filter>& program, const std::string& default_action);

// What plan::from_json says of `text`: the PlanError's message, or "(accepted)".
std::string plan_rejection(const std::string& text);

// Writes the plan as JSON (plan::to_json) to `path`; returns `path`.
std::string write_plan(const plan::Plan& plan, const std::string& path);

}  // namespace testsupport
