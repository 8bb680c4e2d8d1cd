// SPDX-License-Identifier: Apache-2.0
#include "compiler/query/call.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/seccomp/constants.h"

namespace policyc::query {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\n") - begin + 1);
}

// Splits at top-level commas (not inside quotes, braces or brackets).
std::optional<std::vector<std::string>> split_args(const std::string& text, std::string& error) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      current += c;
      if (c == '\\' && i + 1 < text.size()) current += text[++i];
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (quoted || depth != 0) {
    error = "unbalanced quotes, braces or brackets in the arguments";
    return std::nullopt;
  }
  if (!trim(current).empty() || !out.empty()) out.push_back(trim(current));
  return out;
}

std::optional<std::uint64_t> term_value(const std::string& term, std::string& error) {
  if (term.empty()) {
    error = "empty term";
    return std::nullopt;
  }
  if (term == "NULL") return 0;
  if (std::isdigit(static_cast<unsigned char>(term[0])) || term[0] == '-') {
    errno = 0;
    char* end = nullptr;
    const bool negative = term[0] == '-';
    // strace prints modes in octal (0644), like C.
    const unsigned long long magnitude = std::strtoull(term.c_str() + (negative ? 1 : 0), &end, 0);
    if (errno != 0 || *end != '\0') {
      error = "\"" + term + "\" is not a number";
      return std::nullopt;
    }
    return negative ? ~static_cast<std::uint64_t>(magnitude) + 1 : static_cast<std::uint64_t>(magnitude);
  }
  if (auto value = seccomp::constant_value(term)) return *value;
  error = "unknown constant \"" + term + "\"";
  const std::string guess = did_you_mean(term, seccomp::all_constant_names());
  if (!guess.empty()) error += "; did you mean " + guess + "?";
  return std::nullopt;
}

std::optional<CallArg> parse_arg(const std::string& text, std::string& error) {
  CallArg arg;
  arg.text = text;
  if (text.empty()) {
    error = "empty argument";
    return std::nullopt;
  }
  if (text[0] == '"' || text[0] == '{' || text[0] == '[') {
    arg.kind = ArgKind::Pointer;
    return arg;
  }
  std::uint64_t value = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t bar = text.find('|', start);
    const std::string term = trim(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    const auto v = term_value(term, error);
    if (!v) return std::nullopt;
    value |= *v;
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  arg.kind = ArgKind::Value;
  arg.value = value;
  return arg;
}

}  // namespace

std::optional<Call> parse_call(const std::string& written, std::string& error) {
  const std::string text = trim(written);
  Call call;
  const std::size_t open = text.find('(');
  call.name = trim(text.substr(0, open));
  const bool name_ok = !call.name.empty() && std::all_of(call.name.begin(), call.name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  if (!name_ok) {
    error = "expected a call like 'openat(AT_FDCWD, \"/x\", O_RDONLY)', got \"" + text + "\"";
    return std::nullopt;
  }
  if (open == std::string::npos) return call;
  if (text.back() != ')') {
    error = "the call has no closing parenthesis";
    return std::nullopt;
  }
  const auto args = split_args(text.substr(open + 1, text.size() - open - 2), error);
  if (!args) return std::nullopt;
  for (std::size_t i = 0; i < args->size(); ++i) {
    if ((*args)[i] == "...") {
      if (i + 1 != args->size()) {
        error = "`...` stands for the remaining arguments, so it must come last";
        return std::nullopt;
      }
      break;
    }
    if (i >= 6) {
      error = "a system call has at most 6 arguments";
      return std::nullopt;
    }
    auto arg = parse_arg((*args)[i], error);
    if (!arg) {
      error = "argument " + std::to_string(i) + ": " + error;
      return std::nullopt;
    }
    call.args[i] = *arg;
    call.written = i + 1;
  }
  return call;
}

}  // namespace policyc::query
