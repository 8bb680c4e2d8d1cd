// SPDX-License-Identifier: Apache-2.0
// Setuid-free means privilege-free: plan-exec run by an unprivileged user must not hold any
// privilege root did not give it. File capabilities (setcap) on a copy of the binary give an
// unprivileged caller CAP_SYS_ADMIN on the host, before any namespace exists; plan-exec
// refuses to run with them (and with any privilege-changing exec: AT_SECURE). Root's own
// capabilities stay fine.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/security_suite.h"

namespace {

using security::Policy;

using testsupport::kNobody;

class SecurityPrivilege : public security::Suite<SecurityPrivilege> {
 public:
  static constexpr const char* kScratch = "security-privilege";

 protected:
  void SetUp() override {
    Suite::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    copy_ = dir() + "/plan-exec-with-caps";
    std::filesystem::copy_file(PLAN_EXEC_BIN, copy_, std::filesystem::copy_options::overwrite_existing);
    ::chmod(copy_.c_str(), 0755);
    const auto setcap = testsupport::run_process({"/usr/sbin/setcap", "cap_sys_admin+ep", copy_});
    if (setcap.exit_code == 127) GTEST_SKIP() << "no setcap here (libcap2-bin)";
    ASSERT_EQ(setcap.exit_code, 0) << "this file system must keep file capabilities\n" << setcap.summary();
  }
  // The permissive plan: no limits and no veth, so a rootless run may take it.
  testsupport::ProcessResult dry_run(int uid, const std::vector<std::string>& disabled = {}) const {
    testsupport::ProcessOptions options;
    options.run_as_uid = uid;
    std::string list;
    for (const auto& d : disabled) list += (list.empty() ? "" : ",") + d;
    if (!list.empty()) options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + list);
    return testsupport::run_process({copy_, "--dry-run", security::plan_path(dir(), Policy::Permissive)}, options);
  }

  std::string copy_;
};

TEST_F(SecurityPrivilege, FileCapabilitiesForAnUnprivilegedCallerAreRefused) {
  const auto r = dry_run(kNobody);
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("refusing to run with capabilities (permitted 0x200000, effective 0x200000) under uid 65534"),
            std::string::npos) << r.summary();
  EXPECT_NE(r.err.find("setcap -r " + copy_ + ")"), std::string::npos) << r.summary();
  EXPECT_EQ(r.out, "") << "nothing may be done, not even printed";
}

TEST_F(SecurityPrivilege, ControlWithoutTheCheckTheCallerGetsPastIt) {
  const auto r = dry_run(kNobody, {"privilege-check"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(r.err.find("refusing to run with capabilities"), std::string::npos) << r.summary();
  EXPECT_NE(r.out.find("rootless"), std::string::npos) << r.summary();
}

TEST_F(SecurityPrivilege, RootMayRunTheSameBinary) {
  const auto r = dry_run(-1);
  EXPECT_EQ(r.exit_code, 0) << r.summary();
}

}  // namespace
