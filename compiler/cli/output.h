// SPDX-License-Identifier: Apache-2.0
// What every policyc subcommand shares about its output: the options that shape it (-q, -v,
// --max-errors, --format), how diagnostics are printed (text on stderr, or JSON on stdout),
// and how output files are checked before any work and written after it (`-` is stdout, the
// input is never overwritten, a file is whole or absent).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diag/diagnostics.h"

namespace policyc::cli {

struct OutputSettings {
  std::size_t max_errors = RenderLimits::kDefault;   // and as many warnings; 0 = all
  bool quiet = false;      // errors only: no warnings, notes, summaries or "ok" lines
  bool verbose = false;    // what was read, built and written, with sizes and times
  std::string format = "text";
  bool json() const { return format == "json"; }
  RenderLimits limits() const;
};

// The one set of output settings of this run (the options below write into it).
OutputSettings& output_settings();

// -q, -v, --max-errors on `app`; with `with_format`, also --format text|json.
void add_output_options(CLI::App& app, bool with_format);

// Text format: the diagnostics on stderr within the limits. JSON format: nothing (the caller
// puts diagnostics_json into its document).
void print_diagnostics(const Diagnostics& diags);

// {"errors": N, "warnings": N, "diagnostics": [...], "not_shown": {"errors": N, "warnings": N}}
// within the same limits as text; every string through printable().
nlohmann::json diagnostics_json(const Diagnostics& diags);

// -v: one line on stderr, "policyc: TEXT".
void verbose(const std::string& text);

// An output path that will be written: "-" (stdout) or a file whose directory exists and that
// is not one of `inputs` (the same file under any name). Checked before compiling, so a run
// that cannot write does no work. Errors go to `diags`.
bool check_output_path(const std::string& output, const std::vector<std::string>& inputs, Diagnostics& diags);

// Writes each (path, text): "-" to stdout, files atomically. All files are written to
// temporary names first and renamed at the end, so a failure leaves no output, whole or partial.
// false (after printing why) on failure.
bool write_outputs(const std::vector<std::pair<std::string, std::string>>& files);

// The directory a file is (or will be) written in: "." for a bare name.
std::string directory_of(const std::string& path);

}  // namespace policyc::cli
