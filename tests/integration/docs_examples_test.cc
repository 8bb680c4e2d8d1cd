// SPDX-License-Identifier: Apache-2.0
// Docs are tests: every example of README.md and docs/*.md runs as written (tests/README.md,
// "Docs are tests"; the markers: tests/support/docs_blocks.h). One test per document, in one
// scratch directory per document that starts with policies/ (their rootfs pointed at the test
// rootfs) and gets the rest from the document's `setup` markers. Commands run as root with the
// build's policyc and plan-exec first in PATH; nothing may be left behind: no veth, cgroup,
// mount or registry record.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/docs_blocks.h"
#include "tests/support/docs_runner.h"
#include "tests/support/host_state.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;
namespace fs = std::filesystem;

namespace docs_examples_test {

// README.md and every docs/*.md, relative to the source tree: a new document is covered at once.
std::vector<std::string> documents() {
  std::vector<std::string> docs;
  for (const auto& entry : fs::directory_iterator(std::string(SOURCE_DIR) + "/docs")) {
    if (entry.path().extension() == ".md") docs.push_back("docs/" + entry.path().filename().string());
  }
  std::sort(docs.begin(), docs.end());
  docs.insert(docs.begin(), "README.md");
  return docs;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// Registry records (docs/instances.md) and veth host ends, as /sys/class/net and /run show them.
std::vector<std::string> registry_records() {
  std::vector<std::string> records;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/run/plan-exec", ec)) records.push_back(entry.path().string());
  return records;
}

std::vector<std::string> veths(const HostState& state) {
  std::vector<std::string> names;
  for (const auto& name : state.interfaces) {
    if (name.rfind("pe-", 0) == 0) names.push_back(name);
  }
  return names;
}

class DocsExamples : public RootfsSuite<DocsExamples>, public ::testing::WithParamInterface<std::string> {
 public:
  static constexpr const char* kScratch = "docs-examples";

 protected:
  // policies/*.pol as shipped, with the demo's rootfs trees (/var/lib/policyc/...) replaced by
  // the test rootfs: the only change the test makes to what the documents read.
  void copy_policies(const std::string& dir) {
    fs::create_directories(dir + "/policies");
    const std::regex demo_rootfs("\"/var/lib/policyc/[A-Za-z0-9_.-]+\"");
    for (const auto& entry : fs::directory_iterator(std::string(SOURCE_DIR) + "/policies")) {
      if (entry.path().extension() != ".pol") continue;
      const std::string text = read_text(entry.path().string());
      write_text(dir + "/policies/" + entry.path().filename().string(),
                 std::regex_replace(text, demo_rootfs, "\"" + rootfs() + "\""));
    }
  }

  docs::RunSettings settings_for(const std::string& dir) {
    docs::RunSettings settings;
    settings.scratch = dir;
    const std::string bins = fs::path(POLICYC_BIN).parent_path().string() + ":" +
                             fs::path(PLAN_EXEC_BIN).parent_path().string();
    settings.env = {"PATH=" + bins + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    std::string("DOCS_SOURCE=") + SOURCE_DIR,
                    std::string("DOCS_TESTDATA=") + SHARED_TESTDATA_DIR,
                    std::string("DOCS_PROGRAMS=") + TEST_PROGRAMS_DIR,
                    "DOCS_ROOTFS=" + rootfs(),
                    "LANG=C.UTF-8"};
    // DOCS_TEST_VERBOSE=1: every command with its exit code and output, passing or not.
    const char* verbose = std::getenv("DOCS_TEST_VERBOSE");
    settings.verbose = verbose != nullptr && std::string(verbose) == "1";
    return settings;
  }
};

TEST_P(DocsExamples, EveryExampleRuns) {
  const std::string& document = GetParam();
  const std::vector<docs::Block> blocks =
      docs::extract_blocks(document, read_text(std::string(SOURCE_DIR) + "/" + document));
  const std::string dir = scratch_->path() + "/" + test_name({GetParam(), 0});
  fs::create_directories(dir);
  copy_policies(dir);

  const HostState before = snapshot_host();
  const std::vector<std::string> records_before = registry_records();
  const docs::Outcome outcome = docs::run_blocks(blocks, settings_for(dir));
  const HostState after = snapshot_host();

  std::cout << "[docs] " << document << ": " << outcome.blocks << " blocks, " << outcome.not_examples
            << " not examples (text); " << outcome.ran << " ran, " << outcome.passed << " passed, " << outcome.skipped
            << " skipped\n";
  for (const auto& skip : outcome.skips) std::cout << "[docs]   skipped " << skip << "\n";
  for (const auto& failure : outcome.failures) ADD_FAILURE() << failure;
  EXPECT_EQ(outcome.passed, outcome.ran);

  EXPECT_EQ(new_entries(veths(before), veths(after)), std::vector<std::string>{}) << "veths left behind";
  EXPECT_EQ(new_entries(before.cgroups, after.cgroups), std::vector<std::string>{}) << "cgroups left behind";
  EXPECT_EQ(new_entries(before.netns, after.netns), std::vector<std::string>{}) << "named netns left behind";
  EXPECT_EQ(new_entries(before.mounts, after.mounts, scratch_->path()), std::vector<std::string>{}) << "mounts left";
  EXPECT_EQ(new_entries(records_before, registry_records()), std::vector<std::string>{}) << "registry records left";
}

INSTANTIATE_TEST_SUITE_P(Docs, DocsExamples, ::testing::ValuesIn(documents()), test_name);

}  // namespace docs_examples_test
