// SPDX-License-Identifier: Apache-2.0
// What plan-exec says when the command cannot start because its interpreter is missing from
// the rootfs: the kernel's ENOENT names the program, plan-exec names the missing loader or #!
// interpreter (exit 127 as before).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "launcher/host/safe_path.h"
#include "launcher/process/exec_diagnosis.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

using namespace testsupport;
namespace fs = std::filesystem;

namespace {

// The loader a dynamic host program names (PT_INTERP), e.g. /lib64/ld-linux-x86-64.so.2.
std::string loader_of(const std::string& program) {
  launcher::Fd fd(::open(program.c_str(), O_RDONLY | O_CLOEXEC));
  auto interpreter = fd ? launcher::read_interpreter(fd.get()) : std::nullopt;
  return interpreter ? interpreter->path : "";
}

TEST(LauncherExitReport, MissingLoaderAndMissingScriptInterpreterAreNamed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts)";
  const std::string host_program = "/bin/true";  // coreutils: dynamically linked on Debian
  const std::string loader = loader_of(host_program);
  if (loader.empty()) GTEST_SKIP() << host_program << " is static here: no dynamic program to test with";
  ScratchDir scratch("launcher-exit-report");
  build_rootfs(scratch / "tree");  // busybox and the test programs are static: no loader in it
  fs::copy_file(host_program, scratch / "tree/home/dynamic");
  write_text(scratch / "tree/home/run.py", "#!/usr/bin/python3\nprint('hi')\n", 0755);
  const std::string plan_file = write_plan(container_plan(scratch / "tree"), scratch / "plan.json");

  auto dynamic = run_plan_exec({plan_file, "--", "/home/dynamic"});
  EXPECT_EQ(dynamic.exit_code, 127) << dynamic.summary();
  EXPECT_NE(dynamic.err.find("plan-exec: /home/dynamic needs " + loader + ", which is not in the rootfs (its ELF "
                             "interpreter"),
            std::string::npos)
      << dynamic.summary();
  EXPECT_EQ(dynamic.err.find("No such file or directory"), std::string::npos) << dynamic.summary();

  auto script = run_plan_exec({plan_file, "--", "/home/run.py"});
  EXPECT_EQ(script.exit_code, 127) << script.summary();
  EXPECT_NE(script.err.find("plan-exec: /home/run.py needs /usr/bin/python3, which is not in the rootfs (its #! "
                            "interpreter) (step: exec)"),
            std::string::npos)
      << script.summary();

  // With the loader in place the ENOENT is gone; the loader then names the missing libraries.
  fs::create_directories(fs::path(scratch / ("tree" + loader)).parent_path());
  fs::copy_file(fs::canonical(loader), scratch / ("tree" + loader));
  auto with_loader = run_plan_exec({plan_file, "--", "/home/dynamic"});
  EXPECT_EQ(with_loader.err.find("which is not in the rootfs"), std::string::npos) << with_loader.summary();
  EXPECT_NE(with_loader.err.find("error while loading shared libraries"), std::string::npos) << with_loader.summary();
  EXPECT_EQ(with_loader.exit_code, 127) << with_loader.summary();
}

}  // namespace
