// SPDX-License-Identifier: Apache-2.0
// The docs test's extractor and runner (tests/support/docs_blocks.h, docs_runner.h): which
// blocks of a markdown text it finds and what it makes of their markers, and that a failing
// unmarked example fails while marked ones are treated as their markers say.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/docs_blocks.h"
#include "tests/support/docs_runner.h"
#include "tests/support/rootfs.h"

using testsupport::docs::Block;
using testsupport::docs::BlockKind;
using testsupport::docs::extract_blocks;
using testsupport::docs::Outcome;
using testsupport::docs::run_blocks;
using testsupport::docs::RunSettings;

namespace docs_blocks_test {

const char* const kDocument = R"(# Title

Some text.

    policyc a.pol -o a.plan      # unmarked, indented: commands
    plan-exec a.plan

```pol
container a { }
```

```text
plan-exec: some output
```

<!-- docs-test: skip: needs a network -->
<!-- docs-test: setup: touch file -->

    curl http://example.org/

<!-- docs-test: fragment -->
```pol
limits { memory 1G }
...
```

- a list item with a fenced block in it:

  ```sh
  true
  ```

<!-- docs-test: exit 2 `policyc bad.pol` -->
<!-- docs-test: background 2s keep `plan-exec server.plan` -->
<!-- docs-test: skip `rm -rf /x`: touches the host -->
    $ plan-exec server.plan &
    server: 10.0.0.2 via pe-1
    $ policyc bad.pol
    bad.pol:1:1: error
    $ rm -rf /x

<!-- docs-test: pol -->
<!-- docs-test: fragment in `seccomp default errno(EPERM) { ... }` -->
    allow read
)";

std::vector<Block> blocks_of(const std::string& text) { return extract_blocks("doc.md", text); }

TEST(DocsBlocks, FindsFencedAndIndentedBlocksWithTheirKinds) {
  const auto blocks = blocks_of(kDocument);
  ASSERT_EQ(blocks.size(), 8u);
  const std::vector<int> lines = {5, 8, 12, 19, 22, 29, 36, 44};
  const std::vector<BlockKind> kinds = {BlockKind::kCommands, BlockKind::kPolicy,   BlockKind::kText,
                                        BlockKind::kCommands, BlockKind::kPolicy,   BlockKind::kCommands,
                                        BlockKind::kCommands, BlockKind::kPolicy};
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(blocks[i].line, lines[i]) << "block " << i;
    EXPECT_EQ(blocks[i].kind, kinds[i]) << "block " << i << " at line " << blocks[i].line;
  }
}

TEST(DocsBlocks, UnmarkedCommandBlockRunsEveryLineWithoutItsComment) {
  const auto blocks = blocks_of(kDocument);
  ASSERT_EQ(blocks[0].commands.size(), 2u);
  EXPECT_EQ(blocks[0].commands[0].text, "policyc a.pol -o a.plan");
  EXPECT_EQ(blocks[0].commands[0].line, 5);
  EXPECT_EQ(blocks[0].commands[0].expected_exit, 0);
  EXPECT_EQ(blocks[0].commands[1].text, "plan-exec a.plan");
  EXPECT_EQ(blocks[0].commands[1].line, 6);
  EXPECT_TRUE(blocks[0].skip_reason.empty());
  ASSERT_EQ(blocks[5].commands.size(), 1u) << "a fence inside a list item";
  EXPECT_EQ(blocks[5].commands[0].text, "true");
}

TEST(DocsBlocks, MarkersApplyToTheirBlockOnly) {
  const auto blocks = blocks_of(kDocument);
  EXPECT_EQ(blocks[3].skip_reason, "needs a network");
  EXPECT_EQ(blocks[3].setup, std::vector<std::string>{"touch file"});
  EXPECT_TRUE(blocks[4].skip_reason.empty());
  EXPECT_TRUE(blocks[4].setup.empty());
  ASSERT_EQ(blocks[4].policies().size(), 1u);
  EXPECT_EQ(blocks[4].policies()[0].text, "container docs {\n\nlimits { memory 1G }\n\n}\n")
      << "wrapped, the `...` line left out";
  EXPECT_EQ(blocks[4].policies()[0].line, 23);
  ASSERT_EQ(blocks[1].policies().size(), 1u);
  EXPECT_EQ(blocks[1].policies()[0].text, "container a { }\n") << "an unmarked policy is checked as it is";
  ASSERT_EQ(blocks[7].policies().size(), 1u);
  EXPECT_EQ(blocks[7].policies()[0].text, "seccomp default errno(EPERM) { \nallow read\n }\n");
  EXPECT_EQ(blocks[7].policies()[0].line, 44);
}

TEST(DocsBlocks, EachStatementAloneSplitsAtTheBlocksOwnIndentation) {
  const auto blocks = blocks_of(
      "<!-- docs-test: fragment each in `container c { namespaces net ... }` -->\n"
      "```pol\n"
      "network none          # no network\n"
      "network veth {\n"
      "  host 10.0.0.1/24\n"
      "  # a comment inside\n"
      "}\n"
      "network loopback\n"
      "```\n");
  ASSERT_EQ(blocks.size(), 1u);
  const auto parts = blocks[0].policies();
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].line, 3);
  EXPECT_EQ(parts[0].text, "container c { namespaces net \nnetwork none          # no network\n }\n");
  EXPECT_EQ(parts[1].line, 4);
  EXPECT_EQ(parts[1].text, "container c { namespaces net \nnetwork veth {\n  host 10.0.0.1/24\n  # a comment inside\n}\n }\n");
  EXPECT_EQ(parts[2].line, 8);
}

TEST(DocsBlocks, TranscriptRunsOnlyThePromptedLinesWithTheirMarkers) {
  const auto blocks = blocks_of(kDocument);
  const auto& block = blocks[6];
  ASSERT_EQ(block.commands.size(), 3u);
  EXPECT_EQ(block.commands[0].text, "plan-exec server.plan") << "the trailing & is the test's to do";
  EXPECT_EQ(block.commands[0].background_seconds, 2);
  EXPECT_TRUE(block.commands[0].keep_running);
  EXPECT_EQ(block.commands[1].text, "policyc bad.pol");
  EXPECT_EQ(block.commands[1].line, 38);
  EXPECT_EQ(block.commands[1].expected_exit, 2);
  EXPECT_EQ(block.commands[1].background_seconds, 0);
  EXPECT_EQ(block.commands[2].skip_reason, "touches the host");
  EXPECT_EQ(block.commands[0].skip_reason, "");
}

void expect_refused(const std::string& text, const std::string& message) {
  try {
    extract_blocks("doc.md", text);
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(DocsBlocks, RefusesWhatItCannotTellApart) {
  expect_refused("```\nx\n```\n", "doc.md:1: a fenced block without a language");
  expect_refused("<!-- docs-test: skipp: typo -->\n    ls\n", "doc.md:1: unknown docs-test marker `skipp: typo`");
  expect_refused("<!-- docs-test: skip: reason -->\n\ntext\n", "doc.md:1: docs-test marker not followed by a code block");
  expect_refused("text\n<!-- docs-test: exit 2 -->\n", "doc.md:2: docs-test marker not followed");
  expect_refused("<!-- docs-test: skip -->\n    ls\n", "a skip gives its reason");
  expect_refused("<!-- docs-test: exit 1 `ls -l` -->\n    ls\n", "names `ls -l`, which is no command of the block at line 2");
  expect_refused("<!-- docs-test: fragment -->\n    ls\n", "fragment is for policy blocks");
  expect_refused("```sh\nls\n", "doc.md:1: this fence is never closed");
  expect_refused("<!-- docs-test: background `ls` -->\n    ls\n", "background takes seconds");
}

TEST(DocsBlocks, OtherHtmlCommentsAreNotMarkers) {
  const auto blocks = blocks_of("<!-- generated: begin -->\n| a | b |\n<!-- generated: end -->\n\n    ls\n");
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].commands.size(), 1u);
}

class DocsRunner : public ::testing::Test {
 protected:
  Outcome run(const std::string& markdown) {
    RunSettings settings;
    settings.scratch = scratch_.path();
    settings.env = {"PATH=/usr/bin:/bin"};
    settings.timeout_seconds = 20;
    settings.stop_seconds = 5;
    return run_blocks(extract_blocks("doc.md", markdown), settings);
  }
  testsupport::ScratchDir scratch_{"docs-runner"};
};

TEST_F(DocsRunner, AnUnmarkedFailingBlockFails) {
  const Outcome o = run("    true\n    false        # fails\n");
  EXPECT_EQ(o.ran, 1);
  EXPECT_EQ(o.passed, 0);
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_NE(o.failures[0].find("doc.md:2: `false` exited 1, expected 0"), std::string::npos) << o.failures[0];
}

TEST_F(DocsRunner, FailureNamesTheOutput) {
  const Outcome o = run("    echo visible-out; echo visible-err >&2; exit 3\n");
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_NE(o.failures[0].find("exited 3"), std::string::npos) << o.failures[0];
  EXPECT_NE(o.failures[0].find("visible-out"), std::string::npos) << o.failures[0];
  EXPECT_NE(o.failures[0].find("visible-err"), std::string::npos) << o.failures[0];
}

TEST_F(DocsRunner, MarkedBlocksPassAsTheirMarkersSay) {
  const Outcome o = run(
      "<!-- docs-test: exit 1 -->\n    false\n\n"
      "<!-- docs-test: skip: not here -->\n    false\n\n"
      "<!-- docs-test: skip `false`: not this one -->\n    true\n    false\n\n"
      "<!-- docs-test: setup: echo made > made.txt -->\n    grep -q made made.txt   # the same directory\n\n"
      "```text\nfalse\n```\n");
  EXPECT_EQ(o.failures, std::vector<std::string>{});
  EXPECT_EQ(o.blocks, 5);
  EXPECT_EQ(o.not_examples, 1);
  EXPECT_EQ(o.ran, 3);
  EXPECT_EQ(o.passed, 3);
  EXPECT_EQ(o.skipped, 1);
  EXPECT_EQ(o.skips, (std::vector<std::string>{"doc.md:5: not here", "doc.md:9: `false`: not this one"}));
}

TEST_F(DocsRunner, TerminalCommandGetsAPtyAndTheTypedLine) {
  const Outcome o = run(
      "<!-- docs-test: terminal exit 7 `sh -c 'test -t 0 && sh -i'` -->\n<!-- docs-test: exit 7 -->\n"
      "    sh -c 'test -t 0 && sh -i'   # exits 7 only on a terminal, by the typed line\n\nText.\n\n"
      "    sh -c 'test -t 0'    # no terminal without the marker\n");
  ASSERT_EQ(o.failures.size(), 1u) << ::testing::PrintToString(o.failures);
  EXPECT_NE(o.failures[0].find("doc.md:7: `sh -c 'test -t 0'` exited 1"), std::string::npos) << o.failures[0];
  EXPECT_EQ(o.passed, 1);
}

TEST_F(DocsRunner, LaterBlocksSeeWhatEarlierOnesMade) {
  const Outcome o = run("    echo one > state\n\nText.\n\n    grep -qx one state\n");
  EXPECT_EQ(o.failures, std::vector<std::string>{});
  EXPECT_EQ(o.passed, 2);
}

TEST_F(DocsRunner, BackgroundCommandMustStillRunThenIsStopped) {
  const Outcome o = run(
      "<!-- docs-test: background 1s `sleep 60` -->\n    sleep 60\n\n"
      "<!-- docs-test: background 1s `true` -->\n    true\n\n"
      "<!-- docs-test: background 1s keep `sh -c 'touch up; exec sleep 60'` -->\n"
      "    sh -c 'touch up; exec sleep 60' &\n    test -e up   # it runs while the block goes on\n");
  ASSERT_EQ(o.failures.size(), 1u) << ::testing::PrintToString(o.failures);
  EXPECT_NE(o.failures[0].find("doc.md:5: `true` exited 0 within 1 s; it should run until stopped"), std::string::npos)
      << o.failures[0];
  EXPECT_EQ(o.passed, 2);
}

TEST_F(DocsRunner, PolicyBlocksGoThroughPolicycCheck) {
  const Outcome o = run(
      "```pol\nseccomp default errno(EPERM) { allow read }\n```\n\n"
      "<!-- docs-test: fragment in `seccomp default errno(EPERM) { ... }` -->\n```pol\nallow write\n```\n\n"
      "```pol\nseccomp default errno(EPERM) { allow reed }\n```\n\n"
      "<!-- docs-test: exit 2 -->\n```pol\nseccomp default errno(EPERM) { allow reed }\n```\n");
  EXPECT_EQ(o.ran, 4);
  EXPECT_EQ(o.passed, 3);
  ASSERT_EQ(o.failures.size(), 1u);
  EXPECT_NE(o.failures[0].find("doc.md:11: `policyc check` of this policy exited 2, expected 0"), std::string::npos)
      << o.failures[0];
  EXPECT_NE(o.failures[0].find("did you mean"), std::string::npos) << o.failures[0];
}

}  // namespace docs_blocks_test
