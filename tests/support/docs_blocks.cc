// SPDX-License-Identifier: Apache-2.0
#include "tests/support/docs_blocks.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace testsupport::docs {

// Named, not anonymous: test_support is a unity build, and these helpers must not meet another
// file's `trim` in one translation unit.
namespace docs_blocks_impl {

struct Marker {
  int line = 0;
  std::string text;  // what follows `docs-test:`
};

std::string trim_text(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool is_blank(const std::string& s) { return trim_text(s).empty(); }

std::size_t indentation(const std::string& s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] == ' ') ++n;
  return n;
}

[[noreturn]] void fail_at(const std::string& file, int line, const std::string& what) {
  throw std::runtime_error(file + ":" + std::to_string(line) + ": " + what);
}

// The text of a `<!-- docs-test: ... -->` line, or false.
bool marker_text(const std::string& line, std::string* text) {
  const std::string t = trim_text(line);
  const std::string open = "<!-- docs-test:", close = "-->";
  if (!starts_with(t, open) || t.size() < open.size() + close.size() || t.compare(t.size() - 3, 3, close) != 0) return false;
  *text = trim_text(t.substr(open.size(), t.size() - open.size() - close.size()));
  return true;
}

// "```lang" or "~~~lang" after up to any indentation: the fence, its indentation and language.
bool fence_open(const std::string& line, std::string* fence, std::size_t* indent, std::string* language) {
  const std::size_t n = indentation(line);
  const std::string rest = line.substr(n);
  for (const char c : {'`', '~'}) {
    std::size_t k = 0;
    while (k < rest.size() && rest[k] == c) ++k;
    if (k >= 3) {
      *fence = rest.substr(0, k);
      *indent = n;
      *language = trim_text(rest.substr(k));
      return true;
    }
  }
  return false;
}

// A command line without its `# comment` (a `#` after a space, outside quotes) and trailing `&`.
std::string command_key(const std::string& line) {
  char quote = 0;
  std::size_t end = line.size();
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])))) {
      end = i;
      break;
    }
  }
  std::string key = trim_text(line.substr(0, end));
  if (!key.empty() && key.back() == '&' && (key.size() < 2 || key[key.size() - 2] != '&')) {
    key = trim_text(key.substr(0, key.size() - 1));
  }
  return key;
}

BlockKind kind_of_language(const Block& block, const std::string& language) {
  if (language == "pol") return BlockKind::kPolicy;
  if (language == "sh" || language == "shell" || language == "console") return BlockKind::kCommands;
  if (language.empty()) {
    fail_at(block.file, block.line, "a fenced block without a language: write ```pol (a policy), ```sh (commands) or ```text (not run)");
  }
  return BlockKind::kText;
}

void split_commands(Block& block, int first_line) {
  bool transcript = false;
  for (const auto& l : block.body) transcript = transcript || starts_with(l, "$ ");
  for (std::size_t i = 0; i < block.body.size(); ++i) {
    const std::string& l = block.body[i];
    std::string text;
    if (transcript) {
      if (!starts_with(l, "$ ")) continue;
      text = l.substr(2);
    } else {
      if (is_blank(l) || starts_with(trim_text(l), "#")) continue;
      text = l;
    }
    Command command;
    command.line = first_line + static_cast<int>(i);
    command.text = command_key(text);
    block.commands.push_back(command);
  }
}

// `COMMAND` at the end of a directive's argument text: the command, and the text before it.
bool trailing_command(const std::string& args, std::string* before, std::string* command) {
  const std::string t = trim_text(args);
  if (t.empty() || t.back() != '`') return false;
  const std::size_t open = t.rfind('`', t.size() - 2);
  if (open == std::string::npos) return false;
  *command = t.substr(open + 1, t.size() - open - 2);
  *before = trim_text(t.substr(0, open));
  return true;
}

Command* find_command(Block& block, const Marker& marker, const std::string& key) {
  for (auto& c : block.commands) {
    if (c.text == key) return &c;
  }
  fail_at(block.file, marker.line, "docs-test marker names `" + key + "`, which is no command of the block at line " +
                                       std::to_string(block.line) + " (write it as the block does, without its # comment)");
}

int parse_exit_code(const Block& block, const Marker& marker, const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 3) {
    fail_at(block.file, marker.line, "docs-test: exit needs a number: `exit 2`, got `" + text + "`");
  }
  return std::stoi(text);
}

// Applies one marker to its block (kind markers were applied before the commands were split).
void apply_marker(Block& block, const Marker& marker) {
  const std::string& t = marker.text;
  std::string before, command;
  if (t == "skip" || starts_with(t, "skip:") || starts_with(t, "skip ")) {
    const std::string rest = trim_text(t.substr(4));
    // The target ends at its closing backtick; the reason may hold colons of its own.
    const std::size_t target_end = starts_with(rest, "`") ? rest.find('`', 1) : 0;
    const std::size_t colon = target_end == std::string::npos ? std::string::npos : rest.find(':', target_end);
    const std::string reason = colon == std::string::npos ? "" : trim_text(rest.substr(colon + 1));
    if (reason.empty()) fail_at(block.file, marker.line, "docs-test: a skip gives its reason: `skip: REASON`");
    const std::string target = trim_text(rest.substr(0, colon));
    if (target.empty()) {
      block.skip_reason = reason;
    } else if (trailing_command(target, &before, &command) && before.empty()) {
      find_command(block, marker, command)->skip_reason = reason;
    } else {
      fail_at(block.file, marker.line, "docs-test: write `skip: REASON` or `skip `COMMAND`: REASON`");
    }
  } else if (starts_with(t, "exit ")) {
    const std::string rest = trim_text(t.substr(5));
    if (trailing_command(rest, &before, &command)) {
      find_command(block, marker, command)->expected_exit = parse_exit_code(block, marker, before);
    } else {
      block.expected_exit = parse_exit_code(block, marker, rest);
      for (auto& c : block.commands) c.expected_exit = block.expected_exit;
    }
  } else if (starts_with(t, "background ")) {
    if (!trailing_command(t.substr(11), &before, &command)) {
      fail_at(block.file, marker.line, "docs-test: write `background 2s `COMMAND`` (or `background 2s keep `COMMAND``)");
    }
    Command* c = find_command(block, marker, command);
    std::istringstream words(before);
    std::string seconds, keep;
    words >> seconds >> keep;
    if (seconds.size() < 2 || seconds.back() != 's' || seconds.find_first_not_of("0123456789", 0) != seconds.size() - 1 ||
        !(keep.empty() || keep == "keep")) {
      fail_at(block.file, marker.line, "docs-test: background takes seconds and maybe `keep`: `background 2s keep `COMMAND``");
    }
    c->background_seconds = std::stoi(seconds.substr(0, seconds.size() - 1));
    c->keep_running = keep == "keep";
  } else if (starts_with(t, "terminal ")) {
    if (!trailing_command(t.substr(9), &before, &command) || before.empty()) {
      fail_at(block.file, marker.line, "docs-test: write `terminal TEXT `COMMAND``: TEXT is typed in as one line");
    }
    Command* c = find_command(block, marker, command);
    c->terminal = true;
    c->typed = before;
  } else if (starts_with(t, "setup:")) {
    const std::string shell = trim_text(t.substr(6));
    if (shell.empty()) fail_at(block.file, marker.line, "docs-test: setup needs a command: `setup: cp a b`");
    block.setup.push_back(shell);
  } else if (t == "fragment" || starts_with(t, "fragment ")) {
    std::string rest = trim_text(t.substr(8));
    if (rest == "each" || starts_with(rest, "each ")) {
      block.each_alone = true;
      rest = trim_text(rest.substr(4));
    }
    block.wrapper = "container docs {\n...\n}";
    if (!rest.empty()) {
      if (!starts_with(rest, "in ") || !trailing_command(rest.substr(3), &before, &command) || !before.empty() ||
          command.find("...") == std::string::npos) {
        fail_at(block.file, marker.line,
                "docs-test: write `fragment [each] in `TEMPLATE``, where `...` in TEMPLATE stands for the block");
      }
      block.wrapper = command;
    }
  } else if (t != "pol" && t != "text") {
    fail_at(block.file, marker.line, "unknown docs-test marker `" + t +
                                         "` (skip, exit, background, terminal, setup, fragment, pol, text: tests/support/docs_blocks.h)");
  }
  if ((!block.wrapper.empty()) && block.kind != BlockKind::kPolicy) {
    fail_at(block.file, marker.line, "docs-test: fragment is for policy blocks (```pol or `pol`)");
  }
}

void finish_block(Block& block, const std::vector<Marker>& markers, int first_body_line) {
  for (const auto& m : markers) {
    if (m.text == "pol") block.kind = BlockKind::kPolicy;
    if (m.text == "text") block.kind = BlockKind::kText;
  }
  if (block.kind == BlockKind::kCommands) split_commands(block, first_body_line);
  for (const auto& m : markers) apply_marker(block, m);
  if (block.kind != BlockKind::kCommands) {
    for (const auto& m : markers) {
      if (starts_with(m.text, "background") || starts_with(m.text, "terminal")) {
        fail_at(block.file, m.line, "docs-test: background and terminal are for command blocks");
      }
    }
  }
}

}  // namespace docs_blocks_impl

std::vector<Block::Policy> Block::policies() const {
  using docs_blocks_impl::indentation;
  using docs_blocks_impl::trim_text;
  std::size_t base = std::string::npos;
  for (const auto& l : body) {
    if (!trim_text(l).empty() && trim_text(l) != "...") base = std::min(base, indentation(l));
  }
  std::vector<Policy> parts;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const std::string& l = body[i];
    const std::string t = trim_text(l);
    if (t == "...") continue;
    const bool starts_statement = !t.empty() && indentation(l) == base && t[0] != '}' && t[0] != '#';
    if (parts.empty() || (each_alone && starts_statement && !trim_text(parts.back().text).empty())) {
      parts.push_back({line + 1 + static_cast<int>(i) - (fenced ? 0 : 1), ""});
    }
    parts.back().text += l + "\n";
  }
  if (parts.empty()) parts.push_back({line, ""});
  if (wrapper.empty()) return parts;
  const std::size_t at = wrapper.find("...");
  for (auto& p : parts) p.text = wrapper.substr(0, at) + "\n" + p.text + wrapper.substr(at + 3) + "\n";
  return parts;
}

std::vector<Block> extract_blocks(const std::string& file, const std::string& markdown) {
  using namespace docs_blocks_impl;
  std::vector<std::string> lines;
  {
    std::istringstream in(markdown);
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  std::vector<Block> blocks;
  std::vector<Marker> pending;
  int blanks_after_marker = 0;
  for (std::size_t i = 0; i < lines.size();) {
    const std::string& l = lines[i];
    const int line_no = static_cast<int>(i) + 1;
    std::string text, fence, language;
    std::size_t fence_indent = 0;
    if (marker_text(l, &text)) {
      pending.push_back({line_no, text});
      blanks_after_marker = 0;
      ++i;
      continue;
    }
    if (fence_open(l, &fence, &fence_indent, &language)) {
      Block block;
      block.file = file;
      block.line = line_no;
      block.fenced = true;
      std::size_t j = i + 1;
      for (; j < lines.size(); ++j) {
        const std::string t = trim_text(lines[j]);
        if (starts_with(t, fence) && t.find_first_not_of(fence[0]) == std::string::npos) break;
        const std::string& body = lines[j];
        block.body.push_back(body.substr(std::min(fence_indent, indentation(body))));
      }
      if (j == lines.size()) fail_at(file, line_no, "this fence is never closed");
      block.kind = kind_of_language(block, language);
      finish_block(block, pending, line_no + 1);
      blocks.push_back(block);
      pending.clear();
      i = j + 1;
      continue;
    }
    const bool after_break = i == 0 || is_blank(lines[i - 1]) || !pending.empty();
    if (!is_blank(l) && indentation(l) >= 4 && after_break) {
      Block block;
      block.file = file;
      block.line = line_no;
      std::size_t j = i;
      for (; j < lines.size(); ++j) {
        if (!is_blank(lines[j]) && indentation(lines[j]) < 4) break;
        block.body.push_back(lines[j].size() >= 4 ? lines[j].substr(4) : "");
      }
      while (!block.body.empty() && is_blank(block.body.back())) block.body.pop_back();
      finish_block(block, pending, line_no);
      blocks.push_back(block);
      pending.clear();
      i = j;
      continue;
    }
    if (!pending.empty()) {
      if (!is_blank(l) || ++blanks_after_marker > 1) {
        fail_at(file, pending.front().line, "docs-test marker not followed by a code block");
      }
    }
    ++i;
  }
  if (!pending.empty()) fail_at(file, pending.front().line, "docs-test marker not followed by a code block");
  return blocks;
}

}  // namespace testsupport::docs
