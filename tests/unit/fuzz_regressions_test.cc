// SPDX-License-Identifier: Apache-2.0
// Every input a fuzzer once crashed on (tests/fuzz/regressions/), replayed through the same
// entry point as its fuzz target on every test run: policy-*.pol through compile_policy,
// plan-*.json through the strict plan loader, docker-*.json through the Docker importer. Each
// must end in diagnostics or a result, never in an escaped exception, a crash or a leak.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/docker/import.h"
#include "compiler/driver/compile.h"
#include "plan/plan_json.h"
#include "tests/support/rootfs.h"

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> regressions(const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(SOURCE_DIR) / "tests/fuzz/regressions")) {
    if (e.path().filename().string().starts_with(prefix)) files.push_back(e.path());
  }
  return files;
}

TEST(FuzzRegressions, PoliciesEndInDiagnosticsOrAPlan) {
  auto files = regressions("policy-");
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    policyc::Diagnostics diags;
    std::optional<policyc::CompileResult> result;
    EXPECT_NO_THROW(result = policyc::compile_policy(file.string(), {}, diags)) << file;
    EXPECT_TRUE(result.has_value() || diags.has_errors()) << file << ": neither a plan nor an error";
  }
}

TEST(FuzzRegressions, PlansAreAcceptedOrRefusedWithAPlanError) {
  auto files = regressions("plan-");
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    try {
      plan::from_json(testsupport::read_text(file));
    } catch (const plan::PlanError&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << file << ": escaped " << e.what();
    }
  }
}

TEST(FuzzRegressions, DockerProfilesEndInTextOrDiagnostics) {
  for (const auto& file : regressions("docker-")) {
    policyc::Diagnostics diags;
    policyc::docker::ImportOptions options;
    options.kernel = "6.1";
    std::optional<std::string> pol;
    EXPECT_NO_THROW(pol = policyc::docker::import_to_pol(testsupport::read_text(file), file.filename(), options, diags)) << file;
    EXPECT_TRUE(pol.has_value() || diags.has_errors()) << file;
  }
}

}  // namespace
