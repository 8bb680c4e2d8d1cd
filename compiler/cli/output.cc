// SPDX-License-Identifier: Apache-2.0
#include "compiler/cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "compiler/diag/printable.h"

namespace policyc::cli {
namespace {

namespace fs = std::filesystem;

const char* severity_name(Severity s) {
  return s == Severity::Error ? "error" : s == Severity::Warning ? "warning" : "note";
}

// The same file as `input`, whether the output exists yet or not (then: the same path).
bool same_file(const std::string& output, const std::string& input) {
  std::error_code ec;
  if (fs::exists(output, ec) && fs::exists(input, ec)) return fs::equivalent(output, input, ec) && !ec;
  return fs::weakly_canonical(output, ec) == fs::weakly_canonical(input, ec);
}

struct Staged {
  std::string path;
  std::string temporary;
};

// Writes `text` to a new temporary file next to `path`; its name, or "" with `error` set.
std::string stage(const std::string& path, const std::string& text, std::string& error) {
  std::string temporary = path + ".tmp.XXXXXX";
  int fd = mkstemp(temporary.data());
  if (fd < 0) {
    error = std::strerror(errno);
    return "";
  }
  const char* p = text.data();
  std::size_t left = text.size();
  int err = 0;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { err = errno; break; }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!err && fchmod(fd, 0644) != 0) err = errno;
  if (!err && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && !err) err = errno;
  if (err) {
    unlink(temporary.c_str());
    error = std::strerror(err);
    return "";
  }
  return temporary;
}

}  // namespace

std::string directory_of(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}


RenderLimits OutputSettings::limits() const {
  RenderLimits limits;
  limits.max_errors = max_errors;
  limits.max_warnings = max_errors;
  limits.show_warnings = !quiet;
  limits.show_notes = !quiet;
  return limits;
}

OutputSettings& output_settings() {
  static OutputSettings settings;
  return settings;
}

void add_output_options(CLI::App& app, bool with_format) {
  OutputSettings& s = output_settings();
  app.add_flag("-q,--quiet", s.quiet, "print errors only (no warnings, notes or summary lines)");
  app.add_flag("-v,--verbose", s.verbose, "also say what was read, built and written, with sizes and times");
  app.add_option("--max-errors", s.max_errors,
                 "show at most N errors and N warnings (default 20); a summary line counts the rest; 0 = all")
      ->capture_default_str();
  if (with_format) {
    app.add_option("--format", s.format, "output format: text (default) or json (one document on stdout)")
        ->check(CLI::IsMember({"text", "json"}));
  }
}

void print_diagnostics(const Diagnostics& diags) {
  if (output_settings().json()) return;
  diags.render(std::cerr, output_settings().limits());
}

nlohmann::json diagnostics_json(const Diagnostics& diags) {
  const RenderLimits limits = output_settings().limits();
  const std::vector<bool> shown = diags.shown(limits);
  nlohmann::json list = nlohmann::json::array();
  std::size_t hidden_errors = 0, hidden_warnings = 0;
  for (std::size_t i = 0; i < diags.all().size(); ++i) {
    const Diagnostic& d = diags.all()[i];
    if (!shown[i]) {
      if (d.severity == Severity::Error) ++hidden_errors;
      if (d.severity == Severity::Warning && limits.show_warnings) ++hidden_warnings;
      continue;
    }
    nlohmann::json item{{"severity", severity_name(d.severity)},
                        {"file", printable(d.where.file)},
                        {"message", printable(d.message)}};
    if (d.where.line > 0) {
      item["line"] = d.where.line;
      item["column"] = d.where.column;
      item["length"] = d.where.length;
    }
    if (!d.hint.empty()) item["hint"] = printable(d.hint);
    list.push_back(std::move(item));
  }
  return {{"errors", diags.error_count()},
          {"warnings", diags.warning_count()},
          {"diagnostics", std::move(list)},
          {"not_shown", {{"errors", hidden_errors}, {"warnings", hidden_warnings}}}};
}

void verbose(const std::string& text) {
  if (output_settings().verbose && !output_settings().quiet) std::cerr << "policyc: " << printable(text) << "\n";
}

bool check_output_path(const std::string& output, const std::vector<std::string>& inputs, Diagnostics& diags) {
  if (output.empty() || output == "-") return true;
  for (const auto& input : inputs) {
    if (!input.empty() && same_file(output, input)) {
      diags.error({output}, "the output is the input file " + input + "; refusing to overwrite it",
                  "write the output to another file (-o app.plan)");
      return false;
    }
  }
  std::error_code ec;
  const std::string dir = directory_of(output);
  if (!fs::is_directory(dir, ec)) {
    diags.error({output}, "cannot write the output: its directory " + dir + " does not exist",
                "create it first (mkdir -p " + dir + ") or write elsewhere");
    return false;
  }
  if (fs::is_directory(output, ec)) {
    diags.error({output}, "cannot write the output: it is a directory", "name a file, e.g. -o " + output + "/app.plan");
    return false;
  }
  if (access(dir.c_str(), W_OK) != 0) {
    diags.error({output}, "cannot write the output: its directory " + dir + " is not writable (" +
                              std::strerror(errno) + ")",
                "write elsewhere, or fix the directory's permissions");
    return false;
  }
  return true;
}

bool write_outputs(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<Staged> staged;
  std::string to_stdout;
  auto fail = [&](const std::string& path, const std::string& error) {
    for (const auto& s : staged) unlink(s.temporary.c_str());
    std::cerr << "policyc: error: cannot write " << printable(path) << ": " << printable(error)
              << "\nhint: check that the output directory exists and is writable; nothing was written\n";
    return false;
  };
  for (const auto& [path, text] : files) {
    if (path == "-") {
      to_stdout += text;
      continue;
    }
    std::string error;
    std::string temporary = stage(path, text, error);
    if (temporary.empty()) return fail(path, error);
    staged.push_back({path, temporary});
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    if (rename(staged[i].temporary.c_str(), staged[i].path.c_str()) != 0) {
      std::string error = std::strerror(errno);
      staged.erase(staged.begin(), staged.begin() + static_cast<std::ptrdiff_t>(i));
      return fail(staged.front().path, error);
    }
  }
  std::cout << to_stdout << std::flush;
  return true;
}

}  // namespace policyc::cli
