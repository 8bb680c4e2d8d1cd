// SPDX-License-Identifier: Apache-2.0
// The caller checks (launcher/caller.h): privileges a non-root caller must not hold, and
// directory descriptors on stdio.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "launcher/caller.h"
#include "launcher/host/error.h"

namespace {

using launcher::CallerPrivileges;
using launcher::refuse_elevated_privileges;
using launcher::StepError;

std::string refusal(const CallerPrivileges& p) {
  try {
    refuse_elevated_privileges(p);
  } catch (const StepError& e) {
    EXPECT_EQ(e.step(), "validate");
    return e.what();
  }
  return "";
}

TEST(LauncherCaller, RootKeepsItsCapabilities) {
  EXPECT_EQ(refusal({0, ~0ULL >> 23, ~0ULL >> 23, false}), "");
}

TEST(LauncherCaller, AnUnprivilegedCallerWithoutCapabilitiesRuns) {
  EXPECT_EQ(refusal({1000, 0, 0, false}), "");
}

TEST(LauncherCaller, CapabilitiesOfANonRootCallerAreRefused) {
  EXPECT_NE(refusal({1000, 1ULL << 21, 1ULL << 21, true}).find("refusing to run with capabilities (permitted 0x200000"),
            std::string::npos);
  // Permitted without effective (a program could raise them) is a privilege too.
  EXPECT_NE(refusal({1000, 1ULL << 12, 0, false}).find("permitted 0x1000, effective 0x0"), std::string::npos);
}

TEST(LauncherCaller, APrivilegeChangingExecIsRefused) {
  EXPECT_NE(refusal({1000, 0, 0, true}).find("AT_SECURE"), std::string::npos);
  EXPECT_NE(refusal({0, 0, 0, true}).find("AT_SECURE"), std::string::npos);
}

TEST(LauncherCaller, ThisTestProcessIsNotElevated) {
  EXPECT_EQ(refusal(launcher::current_privileges()), "");
}

TEST(LauncherCaller, DirectoryDescriptorsAreRefused) {
  for (int flags : {O_RDONLY | O_DIRECTORY, O_PATH | O_DIRECTORY}) {
    const int fd = ::open("/", flags | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    try {
      launcher::refuse_directory_descriptor(fd, "stdout");
      ADD_FAILURE() << "a directory descriptor was accepted";
    } catch (const StepError& e) {
      EXPECT_NE(std::string(e.what()).find("stdout (descriptor " + std::to_string(fd) + ") is a directory"),
                std::string::npos);
    }
    ::close(fd);
  }
}

TEST(LauncherCaller, FilesPipesAndClosedDescriptorsAreFine) {
  const int file = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  const int file_path = ::open("/proc/self/status", O_PATH | O_CLOEXEC);
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  for (int fd : {file, file_path, pipe_fds[0], pipe_fds[1]}) {
    EXPECT_NO_THROW(launcher::refuse_directory_descriptor(fd, "stdin"));
    ::close(fd);
  }
  EXPECT_NO_THROW(launcher::refuse_directory_descriptor(pipe_fds[0], "stdin"));  // closed now
}

}  // namespace
