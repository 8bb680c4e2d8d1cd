// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the whole compiler (parse -> checks -> lowering -> backend) on arbitrary
// policy text. Any input must end in a plan or in diagnostics, never in a crash; a plan it
// produces must pass the launcher's strict loader.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/driver/compile.h"
#include "plan/plan_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // compile_policy reads a path; a memfd gives one without touching the disk.
  int fd = memfd_create("fuzz.pol", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  policyc::Diagnostics diags;
  auto result = policyc::compile_policy(path, {}, diags);
  if (result) {
    try {
      plan::from_json(plan::to_json(result->plan));
    } catch (const plan::PlanError&) {
      std::abort();  // the compiler wrote a plan the launcher refuses
    }
  }
  close(fd);
  return 0;
}
