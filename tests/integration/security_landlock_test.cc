// SPDX-License-Identifier: Apache-2.0
// Landlock (policies/strict.pol's landlock section): the command may write only to /tmp and the
// minimal /dev's nodes and run nothing it could write. The probe (tests/programs/
// probe_landlock.c) tries what the section forbids and nothing else stops: a file and a
// directory in /dev/shm (a 1777 tmpfs), a script it wrote into /tmp (no noexec there). (The
// section's TCP lines are not probed here: strict.pol's filter refuses socket() first; the
// launcher's integration test proves bind and connect.) Held under strict.pol; the control run,
// with the defence "landlock" switched off, must reach every one of them, or the probe could
// not fail.
#include <gtest/gtest.h>

#include "tests/support/security_suite.h"

namespace security_landlock_test {
namespace {

using security::Policy;

class SecurityLandlock : public security::Suite<SecurityLandlock> {
 public:
  static constexpr const char* kScratch = "security-landlock";

 protected:
  // The script is written first (allowed: /tmp), then run (forbidden: no execute on /tmp).
  static std::vector<std::string> probe() {
    return {"/home/probe_landlock", "script", "/tmp/planted.sh", "expect-held", "write", "/dev/shm/planted",
            "mkdir",  "/dev/shm/planted-dir", "exec", "/tmp/planted.sh"};
  }
};

TEST_F(SecurityLandlock, StrictHoldsEveryPathAndPortItsSectionForbids) {
  const auto r = run(Policy::Strict, probe());
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.out.find("script:/tmp/planted.sh=ok"), 0u) << "writing to /tmp is granted\n" << r.summary();
  EXPECT_EQ(security::held_lines(r.out).size(), 3u) << r.summary();
  EXPECT_EQ(security::escaped_lines(r.out), std::vector<std::string>{}) << r.summary();
}

TEST_F(SecurityLandlock, ControlWithoutLandlockTheProbeGetsThrough) {
  const auto r = run(Policy::Strict, probe(), {"landlock"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(security::held_lines(r.out), std::vector<std::string>{}) << r.summary();
  EXPECT_EQ(security::escaped_lines(r.out).size(), 3u) << r.summary();
  EXPECT_NE(r.out.find("landlock exec /tmp/planted.sh: escaped (ok)"), std::string::npos) << r.summary();
}

}  // namespace
}  // namespace security_landlock_test
