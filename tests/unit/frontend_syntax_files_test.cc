// SPDX-License-Identifier: Apache-2.0
// The editor syntax files under share/ (vim, TextMate/VS Code) against the grammar: every
// keyword grammar/*.g4 defines must be highlighted by both, the TextMate grammar must be valid
// JSON whose patterns compile, and vim must load the syntax file without an error and colour a
// keyword with it (when vim is installed; scripts/deps.sh installs vim-tiny).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace frontend_syntax_files_test {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = SOURCE_DIR;

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Lexer rules of the form `NAME : 'word';`: the language's keywords.
std::set<std::string> grammar_keywords() {
  std::set<std::string> words;
  const std::regex rule(R"(^[A-Z_0-9]+\s*:\s*'([a-z_][a-z_0-9]*)'\s*;)");
  for (const auto& entry : fs::directory_iterator(kSource / "grammar")) {
    if (entry.path().extension() != ".g4") continue;
    std::istringstream lines(file_text(entry.path()));
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (std::regex_search(line, m, rule)) words.insert(m[1]);
    }
  }
  return words;
}

// Words listed by `syn keyword GROUP word word ...` lines.
std::set<std::string> vim_keywords(const std::string& vim) {
  std::set<std::string> words;
  std::istringstream lines(vim);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream tokens(line);
    std::string syn, keyword, group;
    if (!(tokens >> syn >> keyword >> group) || syn != "syn" || keyword != "keyword") continue;
    for (std::string word; tokens >> word;) words.insert(word);
  }
  return words;
}

void collect_matches(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const char* key : {"match", "begin", "end"}) {
      if (node.contains(key) && node[key].is_string()) out.push_back(node[key].get<std::string>());
    }
    for (const auto& item : node) collect_matches(item, out);
  } else if (node.is_array()) {
    for (const auto& item : node) collect_matches(item, out);
  }
}

TEST(SyntaxFiles, GrammarHasTheKeywordsThisTestExpects) {
  const std::set<std::string> words = grammar_keywords();
  EXPECT_GT(words.size(), 50u);
  for (const char* known : {"container", "seccomp", "kill_process", "writethrough", "u32", "expect"}) {
    EXPECT_TRUE(words.count(known)) << known;
  }
}

TEST(SyntaxFiles, VimNamesEveryGrammarKeyword) {
  const std::set<std::string> vim = vim_keywords(file_text(kSource / "share/vim/syntax/pol.vim"));
  for (const auto& word : grammar_keywords()) EXPECT_TRUE(vim.count(word)) << "pol.vim lacks the keyword " << word;
}

TEST(SyntaxFiles, TextMateGrammarParsesAndNamesEveryGrammarKeyword) {
  const nlohmann::json grammar = nlohmann::json::parse(file_text(kSource / "share/textmate/pol.tmLanguage.json"));
  EXPECT_EQ(grammar["scopeName"], "source.pol");
  std::vector<std::string> patterns;
  collect_matches(grammar, patterns);
  ASSERT_FALSE(patterns.empty());
  for (const auto& word : grammar_keywords()) {
    const std::regex as_word("\\b" + word + "\\b");
    bool matched = false;
    // The pattern that highlights it must match the bare word (not only mention it).
    for (const auto& p : patterns) {
      if (p.find(word) == std::string::npos) continue;
      std::string ecma = std::regex_replace(p, std::regex(R"(\(\?<=[^)]*\))"), "");
      matched = matched || std::regex_search(word, std::regex(ecma)) || std::regex_search(p, as_word);
    }
    EXPECT_TRUE(matched) << "pol.tmLanguage.json lacks the keyword " << word;
  }
}

std::string vim_binary() {
  for (const char* candidate : {"/usr/bin/vim", "/usr/bin/vim.basic", "/usr/bin/vim.tiny"}) {
    if (fs::exists(candidate)) return candidate;
  }
  return "";
}

// Runs vim in Ex mode on `file` with share/vim first in 'runtimepath'; `check` is an Ex
// command that fails (cquit) when the buffer is not as expected. Exit 0 = loaded, no error.
int run_vim(const std::string& vim, const fs::path& file, const std::string& check) {
  std::string command = vim + " -es -u NONE -N -i NONE -c 'set rtp^=" + (kSource / "share/vim").string() +
                        "' -c 'filetype on' -c 'syntax on' -c 'e " + file.string() + "' -c '" + check +
                        "' -c 'qall!' </dev/null >/dev/null 2>&1";
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SyntaxFiles, VimLoadsTheSyntaxFileAndColoursKeywords) {
  const std::string vim = vim_binary();
  if (vim.empty()) GTEST_SKIP() << "vim is not installed (scripts/deps.sh installs vim-tiny)";
  const fs::path hello = kSource / "policies/hello.pol";
  EXPECT_EQ(run_vim(vim, hello, "if &ft != \"pol\" || get(b:, \"current_syntax\", \"\") != \"pol\" | cquit | endif"), 0);
  // The line of hello.pol that starts with `container`: a section keyword.
  const std::string text = file_text(hello);
  const std::size_t at = text.find("\ncontainer ");
  ASSERT_NE(at, std::string::npos);
  const std::string line = std::to_string(std::count(text.begin(), text.begin() + static_cast<long>(at) + 1, '\n') + 1);
  auto group_is = [&](const std::string& group) {
    return "if synIDattr(synID(" + line + ", 1, 1), \"name\") != \"" + group + "\" | cquit | endif";
  };
  EXPECT_EQ(run_vim(vim, hello, group_is("polSection")), 0);
  EXPECT_NE(run_vim(vim, hello, group_is("polAction")), 0);   // the check can fail
}

}  // namespace
}  // namespace frontend_syntax_files_test
