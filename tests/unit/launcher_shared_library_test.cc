// SPDX-License-Identifier: Apache-2.0
// launcher/host/shared_library.h: a library plan-exec opens on demand names what is missing and
// the package that provides it, and resolves functions that work.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "launcher/host/shared_library.h"

namespace launcher_shared_library_test {

constexpr launcher::LibraryNeed kMissing{"libplan-exec-absent.so.9", "rootfs", "unpack the rootfs archive",
                                         "the Debian package absent9"};
constexpr launcher::LibraryNeed kLibc{"libc.so.6", "network", "test", "the Debian package libc6"};

TEST(SharedLibrary, AMissingLibraryNamesItsPurposeAndPackage) {
  try {
    launcher::open_library(kMissing);
    FAIL() << "opened a library that does not exist";
  } catch (const launcher::StepError& e) {
    EXPECT_EQ(e.step(), "rootfs");
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("load libplan-exec-absent.so.9 to unpack the rootfs archive: ", 0), 0u) << what;
    EXPECT_NE(what.find("(install the Debian package absent9)"), std::string::npos) << what;
  }
}

TEST(SharedLibrary, AMissingFunctionIsNamedAndAPresentOneWorks) {
  void* libc = launcher::open_library(kLibc);
  pid_t (*getpid_from_libc)() = nullptr;
  launcher::resolve_symbol(libc, kLibc, "getpid", getpid_from_libc);
  ASSERT_NE(getpid_from_libc, nullptr);
  EXPECT_EQ(getpid_from_libc(), ::getpid());
  try {
    launcher::library_symbol(libc, kLibc, "plan_exec_no_such_function");
    FAIL() << "resolved a function libc does not have";
  } catch (const launcher::StepError& e) {
    EXPECT_EQ(e.step(), "network");
    EXPECT_STREQ(e.what(), "libc.so.6 lacks plan_exec_no_such_function; install the Debian package libc6");
  }
}

}  // namespace launcher_shared_library_test
