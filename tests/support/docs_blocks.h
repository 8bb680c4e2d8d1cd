// SPDX-License-Identifier: Apache-2.0
// The examples of a markdown document, as the docs test runs them (tests/README.md, "Docs are
// tests"): every ``` fenced block and every 4-space indented block, with the
// `<!-- docs-test: ... -->` markers written right before it.
//
// What a block is:
//   ```pol                 a policy, checked with `policyc check`
//   ```sh                  shell commands, one per line
//   ```text, ```json, ...  output, notation or data: not run
//   ``` (no language)      an error: say which
//   indented block         shell commands, unless a marker says `pol` or `text`
// In a command block whose lines start with `$ `, those lines are the commands and the others
// their output (not compared); otherwise every line but a `# comment` line is a command.
//
// Markers (each on a line of its own; several may precede one block; a blank line may separate
// the last one from an indented block):
//   <!-- docs-test: skip: REASON -->              the whole block is not run
//   <!-- docs-test: skip `COMMAND`: REASON -->    that command of the block is not run
//   <!-- docs-test: exit N -->                    every command (or the policy check) exits N
//   <!-- docs-test: exit N `COMMAND` -->          that command exits N
//   <!-- docs-test: background 2s `COMMAND` -->   runs until stopped: passes if it still runs
//                                                 after 2 s, then is stopped by pid (SIGTERM)
//   <!-- docs-test: background 2s keep `COMMAND` -->  the same, stopped at the end of the block
//   <!-- docs-test: terminal TEXT `COMMAND` -->   that command runs on a pseudo-terminal (util-linux
//                                                 `script`), TEXT typed in as one line (`exit`)
//   <!-- docs-test: setup: SHELL -->              run in the scratch directory before the block
//   <!-- docs-test: fragment -->                  policy sections, checked inside `container docs { ... }`
//   <!-- docs-test: fragment in `TEMPLATE` -->    checked inside TEMPLATE, whose `...` is the block
//   <!-- docs-test: fragment each ... -->         each statement of the block checked on its own
//                                                 (alternatives: `capabilities keep x` / `keep none`);
//                                                 a statement starts at the block's own indentation
//   <!-- docs-test: pol -->, <!-- docs-test: text -->  what an indented block is
// COMMAND is the command as written, without its `# comment` and a trailing `&`. In a policy
// block a line holding only `...` stands for elided text and is left out.
#pragma once

#include <string>
#include <vector>

namespace testsupport::docs {

enum class BlockKind { kCommands, kPolicy, kText };

struct Command {
  int line = 0;            // in the document
  std::string text;        // what runs: as written, without a `$ ` prompt, comment or trailing `&`
  int expected_exit = 0;
  std::string skip_reason; // not empty: not run
  int background_seconds = 0;  // > 0: must still run after this many seconds, then is stopped
  bool keep_running = false;   // background: stopped at the end of the block, not at once
  bool terminal = false;       // runs on a pseudo-terminal ...
  std::string typed;           // ... with this line typed in
};

struct Block {
  std::string file;
  int line = 0;                   // the fence's line, or the first indented line
  bool fenced = false;
  BlockKind kind = BlockKind::kCommands;
  std::vector<std::string> body;  // the block's lines, its indentation removed
  std::string skip_reason;        // not empty: the whole block is not run
  std::vector<std::string> setup; // shell commands run in the scratch directory first
  std::string wrapper;            // policy: "" for a whole policy, else a template around "..."
  bool each_alone = false;        // policy: every statement is checked on its own
  int expected_exit = 0;          // policy: `policyc check`'s exit code
  std::vector<Command> commands;  // command blocks

  struct Policy {
    int line;          // of its first statement in the document
    std::string text;  // what `policyc check` reads
  };
  // The policies `policyc check` reads: the body without `...` lines, in its wrapper; one per
  // statement with each_alone.
  std::vector<Policy> policies() const;
  std::string where() const { return file + ":" + std::to_string(line); }
};

// The blocks of `markdown` in order. Throws std::runtime_error naming FILE:LINE for a marker it
// does not know, a marker followed by no block, a fenced block without a language, a marker
// naming a command its block does not have, and an unclosed fence.
std::vector<Block> extract_blocks(const std::string& file, const std::string& markdown);

}  // namespace testsupport::docs
