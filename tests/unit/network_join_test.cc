// SPDX-License-Identifier: Apache-2.0
// prepare_join() refuses, before any side effect, what it cannot join: a missing path or
// process, a file that is no namespace, and plan-exec's own namespace (that is network host).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "launcher/host/error.h"
#include "launcher/network/network_join.h"

namespace network_join_test {
namespace {

std::string join_error(const plan::NetworkJoin& join) {
  try {
    launcher::prepare_join(join);
  } catch (const launcher::StepError& e) {
    return e.describe();
  }
  return "(no error)";
}

TEST(NetworkJoin, AMissingPathSaysHowToMakeTheNamespace) {
  const std::string text = join_error({"/run/netns/plan-exec-test-does-not-exist", 0});
  EXPECT_NE(text.find("network join: /run/netns/plan-exec-test-does-not-exist does not exist; create the namespace first"),
            std::string::npos)
      << text;
}

TEST(NetworkJoin, AMissingProcessIsNamed) {
  const std::string text = join_error({"", 2147483646});
  EXPECT_NE(text.find("network join: there is no process 2147483646"), std::string::npos) << text;
}

TEST(NetworkJoin, AFileThatIsNoNamespaceIsRefused) {
  const std::filesystem::path file = std::filesystem::path(TEST_SCRATCH_DIR) / ("join-plain-" + std::to_string(getpid()));
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << "not a namespace\n";
  const std::string text = join_error({file.string(), 0});
  std::filesystem::remove(file);
  EXPECT_NE(text.find("is not a namespace file"), std::string::npos) << text;
}

TEST(NetworkJoin, ANamespaceOfAnotherKindIsRefused) {
  const std::string text = join_error({"/proc/self/ns/uts", 0});
  EXPECT_NE(text.find("is a namespace, but not a net namespace"), std::string::npos) << text;
}

TEST(NetworkJoin, OurOwnNamespaceIsNetworkHost) {
  const std::string by_path = join_error({"/proc/self/ns/net", 0});
  EXPECT_NE(by_path.find("is plan-exec's own net namespace (the host's network); write `network host`"), std::string::npos)
      << by_path;
  const std::string by_pid = join_error({"", static_cast<std::int32_t>(getpid())});
  EXPECT_NE(by_pid.find("the net namespace of pid " + std::to_string(getpid()) + " is plan-exec's own"), std::string::npos)
      << by_pid;
}

}  // namespace
}  // namespace network_join_test
