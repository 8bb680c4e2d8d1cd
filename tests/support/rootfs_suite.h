// SPDX-License-Identifier: Apache-2.0
// The fixture the launcher's integration tests share: a root-only suite with one test rootfs
// (rootfs.h) in a scratch directory, built once for the suite and removed after it.
//   class MyTest : public testsupport::RootfsSuite<MyTest> {
//    public:
//     static constexpr const char* kScratch = "my-test";   // TEST_SCRATCH_DIR/my-test-<pid>
//   };
// A derived SetUp calls RootfsSuite::SetUp() first and returns when IsSkipped().
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/support/rootfs.h"

namespace testsupport {

template <class Suite>
class RootfsSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    scratch_ = new ScratchDir(Suite::kScratch);
    build_rootfs(rootfs());
  }
  static void TearDownTestSuite() {
    delete scratch_;
    scratch_ = nullptr;
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts, cgroups)";
  }
  static std::string rootfs() { return scratch_->path() + "/rootfs"; }

  static inline ScratchDir* scratch_ = nullptr;
};

}  // namespace testsupport
