// SPDX-License-Identifier: Apache-2.0
// System calls without glibc's wrappers, for code that runs in another process on plan-exec's
// own memory and thread pointer (the cgroup watcher, cloned with CLONE_VM: see
// cgroup_reaper.cc). A wrapper that fails writes errno, which there is plan-exec's errno,
// changing under its feet. These return -errno instead and touch nothing but registers.
#pragma once

namespace launcher {

#if defined(__x86_64__)
inline long raw_syscall(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  register long r10 __asm__("r10") = d;
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
inline long raw_syscall(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "raw_syscall: add this architecture's system call instruction"
#endif

}  // namespace launcher
