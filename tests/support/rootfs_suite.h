// SPDX-License-Identifier: Apache-2.0
// The fixture the launcher's integration tests share: a root-only suite with one test rootfs
// (rootfs.h) in a scratch directory, built once for the suite and removed after it.
//   class MyTest : public testsupport::RootfsSuite<MyTest> {
//    public:
//     static constexpr const char* kScratch = "my-test";   // TEST_SCRATCH_DIR/my-test-<pid>
//   };
// A derived SetUp calls RootfsSuite::SetUp() first and returns when IsSkipped().
// HostCheckedSuite<MyTest> is the same suite whose every test must leave the host as it found it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/host_state.h"
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

// SetUp snapshots the host (host_state.h); TearDown takes another and asserts, through
// expect_host_as_before, that nothing below the suite's scratch directory is still mounted in the
// host's mount namespace. A suite whose runs leave other traces (cgroups, interfaces) overrides
// expect_host_as_before, calls this one first and compares those too with before_.
template <class Suite>
class HostCheckedSuite : public RootfsSuite<Suite> {
 protected:
  void SetUp() override {
    RootfsSuite<Suite>::SetUp();
    if (this->IsSkipped()) return;
    before_ = snapshot_host();
  }
  void TearDown() override {
    if (geteuid() != 0) return;
    expect_host_as_before(snapshot_host());
  }
  virtual void expect_host_as_before(const HostState& after) {
    EXPECT_EQ(new_entries(before_.mounts, after.mounts, this->scratch_->path()), std::vector<std::string>{});
  }

  HostState before_;
};

}  // namespace testsupport
