// SPDX-License-Identifier: Apache-2.0
// Inherited descriptors (runc CVE-2024-21626): close-fds keeps 0, 1 and 2 for the command, so a
// directory there (plain or O_PATH) would be a handle outside the container's root, and
// openat(fd, "..") walks up the host's tree from it. plan-exec refuses such stdio before any
// side effect. The probe walks up from each directory descriptor looking for a marker file the
// test put on the host, outside the rootfs.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "tests/support/security_suite.h"

namespace {

using security::Policy;

constexpr const char* kMarker = "stdio-marker-outside-the-rootfs";

class SecurityStdio : public security::Suite<SecurityStdio> {
 public:
  static constexpr const char* kScratch = "security-stdio";
  // The marker sits next to the rootfs, in the scratch directory: on the host, outside it.
  static void prepare_rootfs(const std::string& rootfs) {
    testsupport::write_text(rootfs + "/../" + kMarker, "host side\n");
  }

 protected:
  // stdin: the rootfs's /home, seen from the host: inside the image, but its ".." leads out.
  static testsupport::ProcessOptions directory_on_stdin(int flags = O_RDONLY | O_DIRECTORY) {
    testsupport::ProcessOptions options;
    options.stdin_path = rootfs() + "/home";
    options.stdin_flags = flags;
    return options;
  }
};

TEST_F(SecurityStdio, OrdinaryStdioHolds) {
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    const auto r = run(policy, {"/home/probe_stdio", kMarker});
    EXPECT_EQ(r.exit_code, 0) << r.summary();
    EXPECT_EQ(security::held_lines(r.out).size(), 3u) << r.summary();
  }
}

TEST_F(SecurityStdio, ADirectoryOnStdinIsRefusedBeforeAnything) {
  for (Policy policy : security::kBothPolicies) {
    for (int flags : {O_RDONLY | O_DIRECTORY, O_PATH | O_DIRECTORY}) {
      SCOPED_TRACE(std::string(security::name_of(policy)) + (flags & O_PATH ? " O_PATH" : " O_RDONLY"));
      const auto r = run(policy, {"/home/probe_stdio", kMarker}, {}, {}, directory_on_stdin(flags));
      EXPECT_EQ(r.exit_code, 125) << r.summary();
      EXPECT_NE(r.err.find("stdin (descriptor 0) is a directory"), std::string::npos) << r.summary();
      EXPECT_EQ(r.out, "") << "the probe must not have run";
    }
  }
}

TEST_F(SecurityStdio, ControlWithoutTheCheckTheProbeWalksOutOfTheRoot) {
  // Under both: the scratch directories on the way up are searchable by anyone (0755).
  for (Policy policy : security::kBothPolicies) {
    SCOPED_TRACE(security::name_of(policy));
    // Landlock (strict.pol's section) would hold the walk on its own: off too, so the control
    // shows what the stdio check alone prevents.
    const auto r = run(policy, {"/home/probe_stdio", kMarker}, {"stdio-check", "landlock"}, {}, directory_on_stdin());
    EXPECT_EQ(r.exit_code, 1) << r.summary();
    ASSERT_EQ(security::escaped_lines(r.out).size(), 1u) << r.summary();
    EXPECT_NE(r.out.find("stdio fd 0: escaped (saw the host's"), std::string::npos) << r.summary();
  }
}

TEST_F(SecurityStdio, ADirectoryOnStdoutOrStderrIsRefusedToo) {
  // stdout and stderr become directories inside a shell that then runs plan-exec.
  for (const char* redirect : {"1<", "2<"}) {
    SCOPED_TRACE(redirect);
    const std::string script = std::string(PLAN_EXEC_BIN) + " " + security::plan_path(dir(), Policy::Strict) +
                               " -- /bin/true " + redirect + " " + rootfs() + "/home; echo exit=$?";
    const auto r = testsupport::run_process({"/bin/sh", "-c", script});
    const std::string which = redirect[0] == '1' ? "stdout (descriptor 1)" : "stderr (descriptor 2)";
    EXPECT_NE(r.out.find("exit=125"), std::string::npos) << r.summary();
    if (redirect[0] == '1') {
      EXPECT_NE(r.err.find(which + " is a directory"), std::string::npos) << r.summary();
    }
  }
}

}  // namespace
