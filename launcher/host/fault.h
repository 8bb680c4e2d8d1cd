// SPDX-License-Identifier: Apache-2.0
// Test-only switches (compiled with PLAN_EXEC_FAULT_INJECTION, i.e. the CMake option
// POLICYC_FAULT_INJECTION: on by default in builds with tests, off without them and refused by
// `cmake --install`; a build without it has none of them):
// - PLAN_EXEC_FAULT_AFTER=<step>: plan-exec SIGKILLs itself right after that parent step, so
//   tests can prove that a launcher killed at any point leaves no mount, veth or cgroup behind.
// - PLAN_EXEC_TEST_DISABLE_DEFENCES=<name>[,<name>...]: the named defences are skipped, so the
//   security suite's control runs can show that each probe really detects the escape it tries
//   (a probe that reports "held" with its defence off proves nothing).
// - PLAN_EXEC_TEST_PAUSE=<point>: plan-exec sleeps 3 s at that point, so a probe can act in a
//   window too short to hit otherwise (the exec command process just before its filter and execve).
// - PLAN_EXEC_TEST_LANDLOCK_ABI=<n>: plan-exec takes the kernel's Landlock ABI to be at most n,
//   so tests on a new kernel can show what an older one does (refusal, best_effort's warning).
#pragma once

namespace launcher {

void fault_point(const char* step);

// Sleeps 3 s when PLAN_EXEC_TEST_PAUSE names `point`; returns at once otherwise.
void fault_pause(const char* point);

// True when the test-only switch above names `defence` ("setsid", "device-cgroup", ...);
// always false in a build without fault injection.
bool defence_disabled(const char* defence);

// The ABI PLAN_EXEC_TEST_LANDLOCK_ABI names, or -1 (unset, or a build without fault injection).
int test_landlock_abi_limit();

}  // namespace launcher
