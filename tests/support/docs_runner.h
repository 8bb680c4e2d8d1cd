// SPDX-License-Identifier: Apache-2.0
// Runs the examples of one markdown document (docs_blocks.h) in order in one scratch directory,
// as a reader following the document would: a file an earlier block made is there for the
// later ones. Policy blocks go through `policyc check` (POLICYC_BIN) as snippet-LINE.pol in
// that directory; commands through `bash -c`, with the directory as cwd and HOME.
#pragma once

#include <string>
#include <vector>

#include "tests/support/docs_blocks.h"

namespace testsupport::docs {

struct RunSettings {
  std::string scratch;            // cwd and HOME of every command; snippets are written here
  std::vector<std::string> env;   // NAME=value for every command (PATH included)
  int timeout_seconds = 120;      // per command; then it is killed and fails
  int stop_seconds = 20;          // a background command's time to end after SIGTERM
  bool verbose = false;           // print every command, its exit code and output on stdout
};

struct Outcome {
  int blocks = 0;        // every block of the document
  int not_examples = 0;  // text blocks (output, notation, data): never run
  int ran = 0;           // examples run (whole-block skips excluded)
  int passed = 0;        // of those, the ones whose every part passed
  int skipped = 0;       // examples skipped whole
  std::vector<std::string> failures;  // FILE:LINE, the command, its exit code and output
  std::vector<std::string> skips;     // FILE:LINE: reason, for blocks and single commands
};

Outcome run_blocks(const std::vector<Block>& blocks, const RunSettings& settings);

}  // namespace testsupport::docs
