// SPDX-License-Identifier: Apache-2.0
// Robustness of the whole front end on damaged input: deterministic random edits of the
// shipped policies (characters and whole words dropped, duplicated, swapped for keywords or
// junk). Every variant must end in diagnostics or in a plan the launcher's strict loader
// accepts; never in a crash, a hang, or an error without a message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "compiler/driver/compile.h"
#include "plan/plan_json.h"
#include "tests/support/rootfs.h"
#include "tests/support/test_rounds.h"

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFragments = {
    "{", "}", "(", ")", "mount", "seccomp", "allow", "if", "arg0", "==", "&&", "||", "!", "\"", "/",
    "250M", "0", "-1", "0x10", "@g", "include \"x.pol\"", "veth", "container", "limits", "user", "#",
    "\n", "none", "errno(", "kill_process", "10.0.0.1/24", "u32(arg9)", "::", "=", "time"};

std::string mutate(const std::string& text, std::mt19937& rng) {
  std::string out = text;
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !out.empty(); ++i) {
    std::size_t at = rng() % out.size();
    std::size_t len = 1 + rng() % 12;
    switch (rng() % 4) {
      case 0: out.erase(at, len); break;
      case 1: out.insert(at, kFragments[rng() % kFragments.size()]); break;
      case 2: out.insert(at, out.substr(rng() % out.size(), len)); break;
      default: out[at] = static_cast<char>(32 + rng() % 95); break;
    }
  }
  return out;
}

TEST(FrontendMutation, DamagedPoliciesEndInDiagnosticsOrValidPlans) {
  fs::path dir = fs::path(TEST_SCRATCH_DIR) / ("frontend_mutation_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::vector<std::string> seeds = {testsupport::read_text(fs::path(SOURCE_DIR) / "policies" / "hello.pol"),
                                    testsupport::read_text(fs::path(SOURCE_DIR) / "policies" / "strict.pol")};
  std::mt19937 rng(20240601);
  int compiled = 0, rejected = 0;
  const int rounds = testsupport::test_rounds(400);
  for (int i = 0; i < rounds; ++i) {
    std::string text = mutate(seeds[i % seeds.size()], rng);
    fs::path path = dir / "m.pol";
    std::ofstream(path) << text;
    policyc::Diagnostics diags;
    auto result = policyc::compile_policy(path.string(), {}, diags);
    if (result) {
      ++compiled;
      EXPECT_NO_THROW(plan::from_json(plan::to_json(result->plan))) << text;
    } else {
      ++rejected;
      ASSERT_TRUE(diags.has_errors()) << "rejected without an error message:\n" << text;
      std::ostringstream out;
      diags.render(out);
      for (const auto& d : diags.all()) EXPECT_FALSE(d.message.empty()) << text;
    }
  }
  fs::remove_all(dir);
  EXPECT_GT(rejected, rounds / 4);   // the edits really break things ...
  EXPECT_GT(compiled, rounds / 80);  // ... and some harmless ones (comments, spacing) still compile
}

}  // namespace
