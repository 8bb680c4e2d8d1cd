// SPDX-License-Identifier: Apache-2.0
// Terminal injection through diagnostics: an untrusted policy or profile (downloaded, generated,
// attached to a bug report) holds terminal control sequences in comments, strings, JSON keys and
// file names. Everything policyc prints about it - text on stderr, JSON on stdout, every
// subcommand - must reach the terminal with no byte a terminal acts on: no C0 control but \n
// and \t, no DEL, no C1 control (U+0080..U+009F, 8-bit CSI for some terminals), no bidi
// override, no malformed UTF-8. The control of each attack: the hostile text itself is in the
// output, escaped (so the test sees the text reach the output and would catch it raw).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace security_diagnostics_test {
namespace {

namespace fs = std::filesystem;

struct Output {
  int exit_code = -1;
  std::string out, err;
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first byte sequence of `text` a terminal would act on, described; "" when there is none.
std::string first_unsafe(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return "control byte " + std::to_string(c) + " at " + std::to_string(i);
    if (c < 0x80) continue;
    const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (length == 0 || i + length > text.size()) return "malformed UTF-8 at " + std::to_string(i);
    std::uint32_t cp = c & (length == 2 ? 0x1Fu : length == 3 ? 0x0Fu : 0x07u);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return "malformed UTF-8 at " + std::to_string(i);
      cp = (cp << 6) | (next & 0x3Fu);
    }
    if (cp >= 0x80 && cp <= 0x9F) return "C1 control at " + std::to_string(i);
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F) {
      return "bidi control at " + std::to_string(i);
    }
    i += length - 1;
  }
  return "";
}

class DiagnosticsInjection : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("security_diagnostics_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  Output policyc(const std::vector<std::string>& args) {
    const fs::path out = dir_ / "stdout.log", err = dir_ / "stderr.log";
    const pid_t pid = fork();
    if (pid == 0) {
      const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(dir_.c_str()) != 0) _exit(127);
      std::vector<char*> argv{const_cast<char*>(POLICYC_BIN)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(POLICYC_BIN, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(out), read_all(err)};
  }

  // Runs policyc; its stdout and stderr must be safe, and `evidence` (the escaped form of the
  // hostile text) must appear in them: the attack reached the output and was neutralised.
  void expect_safe(const std::vector<std::string>& args, const std::string& evidence) {
    const Output run = policyc(args);
    EXPECT_NE(run.exit_code, -1);
    EXPECT_EQ(first_unsafe(run.err), "") << args.front() << " stderr:\n" << run.err;
    EXPECT_EQ(first_unsafe(run.out), "") << args.front() << " stdout:\n" << run.out;
    EXPECT_NE((run.err + run.out).find(evidence), std::string::npos)
        << "the hostile text did not reach the output at all (control failed): " << evidence << "\n" << run.err << run.out;
  }

  fs::path dir_;
};

const std::string kTitle = "\x1b]0;owned\x07";          // sets the terminal's title
const std::string kClear = "\x1b[2J\x1b[H";              // clears the screen
const std::string kC1Csi = "\xc2\x9b" "31m";             // U+009B: CSI in one character
const std::string kBidi = "\xe2\x80\xae" "lmth.exe";     // U+202E: shows as "exe.html"

TEST_F(DiagnosticsInjection, PolicyCommentsAndStringsAreEscapedInEveryFormat) {
  write("hostile.pol", "container web {\n  rootfs \"/srv/rootfs\"\n  hostname \"x" + kTitle + "\"  # " + kClear +
                           "\n  mount tmpfs at /tmp size 9Q  # " + kC1Csi + " " + kBidi + " \x7f\n}\n");
  expect_safe({"check", "hostile.pol"}, "\\e]0;owned\\x07");
  expect_safe({"check", "hostile.pol"}, "\\e[2J");
  expect_safe({"check", "hostile.pol"}, "\\u{009b}31m");
  expect_safe({"check", "hostile.pol"}, "\\u{202e}lmth.exe");
  expect_safe({"hostile.pol", "-o", "x.plan"}, "\\e]0;owned");
  expect_safe({"check", "--format", "json", "hostile.pol"}, "\\\\e]0;owned");
  expect_safe({"export-docker", "hostile.pol", "-o", "p.json"}, "\\e]0;owned");
  expect_safe({"explain", "hostile.pol"}, "\\e]0;owned");
}

TEST_F(DiagnosticsInjection, BinaryBytesInAPolicyAreEscaped) {
  write("binary.pol", "seccomp default errno(EPERM) {\n  allow read # \xff\xfe\x1b[31m\x01\n}\n");
  expect_safe({"check", "binary.pol"}, "\\xff\\xfe\\e[31m\\x01");
}

TEST_F(DiagnosticsInjection, DockerJsonKeysAndValuesAreEscaped) {
  write("hostile.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"x\\u001b]0;owned\\u0007\": 1, \"syscalls\": "
                        "[{\"names\": [\"read\"], \"action\": \"SCMP_ACT_\\u001b[2Jnope\"}]}");
  expect_safe({"import-docker", "hostile.json", "-o", "out.pol"}, "x\\e]0;owned\\x07");
  expect_safe({"import-docker", "hostile.json", "-o", "out.pol"}, "SCMP_ACT_\\e[2Jnope");
  write("inc.pol", "seccomp default errno(EPERM) {\n  include \"hostile.json\"\n}\n");
  expect_safe({"check", "inc.pol"}, "\\e]0;owned");
}

TEST_F(DiagnosticsInjection, FileNamesAndArgumentsAreEscaped) {
  const std::string name = "evil" + kTitle + ".pol";
  write(name, "container web {\n  rootfs relative\n}\n");
  expect_safe({"check", name}, "evil\\e]0;owned\\x07.pol");
  expect_safe({"check", "missing" + kClear + ".pol"}, "missing\\e[2J");
  write("ok.pol", "seccomp default errno(EPERM) {\n  allow read\n}\n");
  expect_safe({"query", "ok.pol", "read(" + kTitle + ")"}, "\\e]0;owned");
  expect_safe({"groups", "x" + kClear}, "x\\e[2J");
}

}  // namespace
}  // namespace security_diagnostics_test
