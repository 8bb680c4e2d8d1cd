// Test-only fault injection (compiled with PLAN_EXEC_FAULT_INJECTION): with
// PLAN_EXEC_FAULT_AFTER=<step>, plan-exec SIGKILLs itself right after that parent step, so tests
// can prove that a launcher killed at any point leaves no mount, veth or cgroup behind.
#pragma once

namespace launcher {

void fault_point(const char* step);

}  // namespace launcher
