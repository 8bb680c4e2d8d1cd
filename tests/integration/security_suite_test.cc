// SPDX-License-Identifier: Apache-2.0
// The security suite's own footing: both policies compile and run a command, the strict one as
// an unprivileged user in a user namespace, the permissive one as root without one. The probes
// (security_*_test.cc) rely on exactly that difference.
#include <gtest/gtest.h>

#include "tests/support/security_suite.h"

namespace {

class SecuritySuiteFooting : public security::Suite<SecuritySuiteFooting> {
 public:
  static constexpr const char* kScratch = "security-footing";
};

TEST_F(SecuritySuiteFooting, StrictRunsAsAnUnprivilegedUserAndPermissiveAsRoot) {
  const auto strict = run(security::Policy::Strict, {"/bin/sh", "-c", "id -u; grep CapEff /proc/self/status"});
  ASSERT_EQ(strict.exit_code, 0) << strict.summary();
  EXPECT_NE(strict.out.find("1000\n"), std::string::npos) << strict.summary();
  EXPECT_NE(strict.out.find("CapEff:\t0000000000000000"), std::string::npos) << strict.summary();

  const auto permissive = run(security::Policy::Permissive, {"/bin/sh", "-c", "id -u; grep CapEff /proc/self/status"});
  ASSERT_EQ(permissive.exit_code, 0) << permissive.summary();
  EXPECT_NE(permissive.out.find("0\n"), std::string::npos) << permissive.summary();
  EXPECT_EQ(permissive.out.find("CapEff:\t0000000000000000"), std::string::npos)
      << "the permissive policy must keep Docker's default capabilities\n" << permissive.summary();
}

TEST(SecurityProbeLines, SplitsHeldFromEscaped) {
  const std::string out = "tiocsti: held (EPERM)\nmknod: escaped (opened /dev/sda)\nnoise\n";
  EXPECT_EQ(security::held_lines(out), std::vector<std::string>{"tiocsti: held (EPERM)"});
  EXPECT_EQ(security::escaped_lines(out), std::vector<std::string>{"mknod: escaped (opened /dev/sda)"});
}

}  // namespace
