// SPDX-License-Identifier: Apache-2.0
// policyc on any input and any arguments: the input size limit, --max-errors, -q/-v, `-o -`,
// the input never overwritten, exit 2 for every input or argument error (a missing output
// directory too), nothing written on failure, --format json, and Docker's errnoRet above 4095.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace frontend_cli_safety_test {
namespace {

namespace fs = std::filesystem;

struct SafetyRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::string kHello = std::string(SOURCE_DIR) + "/policies/hello.pol";
const std::string kDockerDefault = std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json";

class CliSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(TEST_SCRATCH_DIR) / ("cli_safety_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "work");
    fs::create_directories(dir_ / "logs");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs policyc in dir_/work with `args`; stdout and stderr to files in dir_/logs.
  SafetyRun policyc(const std::vector<std::string>& args) {
    const fs::path out = dir_ / "logs/stdout", err = dir_ / "logs/stderr";
    pid_t pid = fork();
    if (pid == 0) {
      int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir((dir_ / "work").c_str()) != 0) _exit(127);
      std::vector<char*> argv{const_cast<char*>(POLICYC_BIN)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(POLICYC_BIN, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    SafetyRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = contents(out);
    run.err = contents(err);
    return run;
  }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / "work" / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::vector<std::string> work_files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ / "work")) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

// A policy with `errors` unknown rlimits and `warnings` duplicate allow lines.
std::string policy_with(int errors, int warnings) {
  std::string text = "container web {\n  namespaces mount\n  rootfs \"/srv/rootfs\"\n";
  for (int i = 0; i < errors; ++i) text += "  rlimit nofilez" + std::to_string(i) + " 10\n";
  text += "  seccomp default errno(EPERM) {\n";
  for (int i = 0; i < warnings; ++i) text += "    allow read\n";
  return text + "  }\n}\n";
}

// ---- the input size limit ------------------------------------------------------------------

TEST_F(CliSafety, APolicyOverTheInputLimitIsRefusedNamingFileSizeAndLimit) {
  std::string big = "seccomp default errno(EPERM) {\n  allow read\n}\n";
  while (big.size() <= 1024 * 1024) big += "# padding padding padding padding padding padding padding\n";
  write("big.pol", big);
  for (const auto& args : std::vector<std::vector<std::string>>{{"big.pol", "-o", "big.plan"}, {"check", "big.pol"}}) {
    SafetyRun run = policyc(args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("big.pol"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("it holds 1.0 MiB"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("over policyc's input limit of 1 MiB"), std::string::npos) << run.err;
  }
  EXPECT_EQ(work_files(), std::vector<std::string>{"big.pol"});
}

TEST_F(CliSafety, APolicyJustUnderTheLimitIsRead) {
  std::string text = "seccomp default errno(EPERM) {\n  allow read\n}\n";
  std::string line = "# padding padding padding padding padding padding padding\n";
  while (text.size() + line.size() <= 1024 * 1024) text += line;
  write("fits.pol", text);
  SafetyRun run = policyc({"check", "fits.pol"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(CliSafety, JsonOverTheLimitIsRefusedByImportAndInclude) {
  std::string json = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [], \"x\": \"";
  json += std::string(1024 * 1024, 'a') + "\"}";
  write("big.json", json);
  SafetyRun import = policyc({"import-docker", "big.json", "-o", "big.pol"});
  EXPECT_EQ(import.exit_code, 2) << import.err;
  EXPECT_NE(import.err.find("big.json"), std::string::npos) << import.err;
  EXPECT_NE(import.err.find("input limit of 1 MiB"), std::string::npos) << import.err;
  write("inc.pol", "seccomp default errno(EPERM) {\n  include \"big.json\"\n}\n");
  SafetyRun include = policyc({"check", "inc.pol"});
  EXPECT_EQ(include.exit_code, 2) << include.err;
  EXPECT_NE(include.err.find("input limit of 1 MiB"), std::string::npos) << include.err;
}

TEST_F(CliSafety, AnEndlessInputIsCutAtTheLimit) {
  SafetyRun run = policyc({"check", "/dev/zero"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("more than 1 MiB"), std::string::npos) << run.err;
}

// ---- how many diagnostics --------------------------------------------------------------------

TEST_F(CliSafety, AtMostTwentyErrorsAndTwentyWarningsByDefault) {
  write("errors.pol", policy_with(25, 0));
  SafetyRun errors = policyc({"check", "errors.pol"});
  EXPECT_EQ(errors.exit_code, 2);
  EXPECT_EQ(count_of(errors.err, ": error: "), 20u) << errors.err;
  EXPECT_NE(errors.err.find("policyc: 5 more errors not shown (--max-errors N"), std::string::npos) << errors.err;
  EXPECT_NE(errors.err.find("errors.pol: 25 errors"), std::string::npos) << errors.err;

  write("warnings.pol", policy_with(0, 30));
  SafetyRun warnings = policyc({"check", "warnings.pol"});
  EXPECT_EQ(warnings.exit_code, 0) << warnings.err;
  EXPECT_EQ(count_of(warnings.err, ": warning: "), 20u) << warnings.err;
  EXPECT_NE(warnings.err.find("more warnings not shown"), std::string::npos) << warnings.err;
}

TEST_F(CliSafety, MaxErrorsSetsTheLimitAndZeroShowsAll) {
  write("errors.pol", policy_with(25, 0));
  SafetyRun three = policyc({"check", "--max-errors", "3", "errors.pol"});
  EXPECT_EQ(count_of(three.err, ": error: "), 3u) << three.err;
  EXPECT_NE(three.err.find("22 more errors not shown"), std::string::npos) << three.err;
  SafetyRun all = policyc({"check", "--max-errors", "0", "errors.pol"});
  EXPECT_EQ(count_of(all.err, ": error: "), 25u) << all.err;
  EXPECT_EQ(all.err.find("not shown"), std::string::npos) << all.err;
  SafetyRun compile = policyc({"--max-errors", "2", "errors.pol", "-o", "x.plan"});
  EXPECT_EQ(count_of(compile.err, ": error: "), 2u) << compile.err;
  EXPECT_EQ(compile.exit_code, 2);
}

// The parser stops reporting syntax errors at the same limit, not at a fixed 20.
TEST_F(CliSafety, MaxErrorsAppliesToSyntaxErrors) {
  std::string text = "seccomp default errno(EPERM) {\n";
  for (int i = 0; i < 30; ++i) text += "  allow read ;\n";
  write("syntax.pol", text + "}\n");
  SafetyRun some = policyc({"check", "--max-errors", "25", "syntax.pol"});
  EXPECT_EQ(some.exit_code, 2);
  EXPECT_EQ(count_of(some.err, ": error: "), 25u) << some.err;
  SafetyRun all = policyc({"check", "--max-errors", "0", "syntax.pol"});
  EXPECT_EQ(all.exit_code, 2);
  EXPECT_EQ(count_of(all.err, ": error: "), 30u) << all.err;
  EXPECT_EQ(all.err.find("too many syntax errors"), std::string::npos) << all.err;
  SafetyRun few = policyc({"check", "--max-errors", "3", "syntax.pol"});
  EXPECT_EQ(count_of(few.err, ": error: "), 3u) << few.err;
  EXPECT_NE(few.err.find("too many syntax errors; stopping here"), std::string::npos) << few.err;
}

TEST_F(CliSafety, QuietPrintsErrorsOnlyAndVerboseSaysWhatWasDone) {
  write("warnings.pol", policy_with(0, 2));
  SafetyRun quiet = policyc({"check", "-q", "warnings.pol"});
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
  EXPECT_EQ(quiet.err, "");
  SafetyRun normal = policyc({"check", "warnings.pol"});
  EXPECT_NE(normal.err.find(": warning: "), std::string::npos) << normal.err;
  EXPECT_NE(normal.out.find("warnings.pol: ok"), std::string::npos) << normal.out;

  write("errors.pol", policy_with(1, 2));
  SafetyRun quiet_error = policyc({"check", "-q", "errors.pol"});
  EXPECT_EQ(quiet_error.exit_code, 2);
  EXPECT_NE(quiet_error.err.find(": error: unknown rlimit"), std::string::npos) << quiet_error.err;
  EXPECT_EQ(quiet_error.err.find(": warning: "), std::string::npos) << quiet_error.err;

  SafetyRun verbose = policyc({"-v", kHello, "-o", "hello.plan"});
  EXPECT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_NE(verbose.err.find("policyc: wrote hello.plan ("), std::string::npos) << verbose.err;
  EXPECT_NE(verbose.err.find("instructions (policyc backend)"), std::string::npos) << verbose.err;

  SafetyRun both = policyc({"check", "-q", "-v", kHello});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("-q and -v"), std::string::npos) << both.err;
}

// ---- outputs -----------------------------------------------------------------------------------

TEST_F(CliSafety, DashOutputIsStdoutAndNoFileNamedDash) {
  SafetyRun run = policyc({kHello, "-o", "-"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("{", 0), 0u) << run.out.substr(0, 80);
  EXPECT_NE(run.out.find("\"seccomp\""), std::string::npos);
  SafetyRun docker = policyc({"export-docker", kHello, "-o", "-"});
  EXPECT_EQ(docker.exit_code, 0) << docker.err;
  EXPECT_NE(docker.out.find("\"defaultAction\""), std::string::npos);
  SafetyRun oci = policyc({"export-oci", kHello, "-o", "-"});
  EXPECT_EQ(oci.exit_code, 0) << oci.err;
  EXPECT_NE(oci.out.find("\"ociVersion\""), std::string::npos);
  SafetyRun import = policyc({"import-docker", kDockerDefault, "-o", "-"});
  EXPECT_EQ(import.exit_code, 0) << import.err;
  EXPECT_NE(import.out.find("seccomp default"), std::string::npos);
  EXPECT_TRUE(work_files().empty()) << work_files().front();
}

TEST_F(CliSafety, TheInputIsNeverOverwritten) {
  const std::string original = contents(kHello);
  fs::path pol = write("app.pol", original);
  fs::create_directories(dir_ / "work/sub");
  fs::create_hard_link(pol, dir_ / "work/link.pol");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"app.pol", "-o", "app.pol"},
           {"app.pol", "-o", "sub/../app.pol"},
           {"app.pol", "-o", "link.pol"},
           {"app.pol", "-o", "x.plan", "--emit-bpf", "app.pol"},
           {"export-docker", "app.pol", "-o", "app.pol"},
           {"export-oci", "app.pol", "-o", "./app.pol"}}) {
    SafetyRun run = policyc(args);
    EXPECT_EQ(run.exit_code, 2) << args.back() << ": " << run.err;
    EXPECT_NE(run.err.find("refusing to overwrite it"), std::string::npos) << run.err;
  }
  EXPECT_EQ(contents(pol), original);
  EXPECT_EQ(work_files(), (std::vector<std::string>{"app.pol", "link.pol", "sub"}));
  fs::path json = write("profile.json", contents(kDockerDefault));
  SafetyRun import = policyc({"import-docker", "profile.json", "-o", "profile.json"});
  EXPECT_EQ(import.exit_code, 2) << import.err;
  EXPECT_EQ(contents(json), contents(kDockerDefault));
}

TEST_F(CliSafety, AMissingOutputDirectoryIsAnInputErrorAndNothingIsWritten) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {kHello, "-o", "missing/app.plan"},
           {kHello, "-o", "app.plan", "--emit-bpf", "missing/app.bpf"},
           {"export-docker", kHello, "-o", "missing/profile.json"},
           {"export-oci", kHello, "-o", "missing/config.json"},
           {"import-docker", kDockerDefault, "-o", "missing/d.pol"}}) {
    SafetyRun run = policyc(args);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("its directory missing does not exist"), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("internal error"), std::string::npos) << run.err;
  }
  EXPECT_TRUE(work_files().empty());
}

TEST_F(CliSafety, AnOutputThatIsADirectoryIsRefusedBeforeCompiling) {
  fs::create_directories(dir_ / "work/out");
  SafetyRun run = policyc({kHello, "-o", "out"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find("it is a directory"), std::string::npos) << run.err;
  EXPECT_EQ(work_files(), std::vector<std::string>{"out"});
}

// ---- --format json ---------------------------------------------------------------------------

TEST_F(CliSafety, CheckJsonCarriesEveryDiagnosticWithItsPosition) {
  write("errors.pol", policy_with(2, 1));
  SafetyRun run = policyc({"check", "--format", "json", "errors.pol"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "");   // the document alone, on stdout
  const auto doc = nlohmann::json::parse(run.out);
  EXPECT_FALSE(doc["ok"].get<bool>());
  EXPECT_EQ(doc["exit_code"], 2);
  EXPECT_EQ(doc["errors"], 2);
  ASSERT_EQ(doc["diagnostics"].size(), 2u);
  const auto& first = doc["diagnostics"][0];
  EXPECT_EQ(first["severity"], "error");
  EXPECT_EQ(first["file"], "errors.pol");
  EXPECT_EQ(first["line"], 4);
  EXPECT_EQ(first["column"], 10);
  EXPECT_NE(first["message"].get<std::string>().find("unknown rlimit \"nofilez0\""), std::string::npos);
  EXPECT_TRUE(first.contains("hint"));

  SafetyRun ok = policyc({"check", "--format", "json", kHello});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const auto good = nlohmann::json::parse(ok.out);
  EXPECT_TRUE(good["ok"].get<bool>());
  EXPECT_GT(good["seccomp"]["instructions"].get<int>(), 10);
  EXPECT_EQ(good["seccomp"]["backend"], "policyc");

  write("errors30.pol", policy_with(30, 0));
  const auto limited = nlohmann::json::parse(policyc({"check", "--format", "json", "errors30.pol"}).out);
  EXPECT_EQ(limited["diagnostics"].size(), 20u);
  EXPECT_EQ(limited["not_shown"]["errors"], 10);
}

TEST_F(CliSafety, ExplainQueryAndDiffSpeakJson) {
  SafetyRun explain = policyc({"explain", "--format", "json", kHello});
  EXPECT_EQ(explain.exit_code, 0) << explain.err;
  const auto e = nlohmann::json::parse(explain.out);
  EXPECT_GT(e["filter"]["instructions"].get<int>(), 10);
  EXPECT_GT(e["filter"]["syscalls"].size(), 300u);
  bool ptrace_denied = false, read_allowed = false;
  for (const auto& s : e["filter"]["syscalls"]) {
    ptrace_denied |= s["name"] == "ptrace" && s["verdict"] == "errno(EPERM)";
    read_allowed |= s["name"] == "read" && s["verdict"] == "allow";
  }
  EXPECT_TRUE(ptrace_denied && read_allowed) << "hello.pol denies ptrace (its default) and allows read";

  SafetyRun query = policyc({"query", "--format", "json", kHello, "ptrace(...)"});
  EXPECT_EQ(query.exit_code, 0) << query.err;
  const auto q = nlohmann::json::parse(query.out);
  ASSERT_FALSE(q["answers"].empty());
  EXPECT_EQ(q["answers"][0]["arch"], "x86_64");
  EXPECT_EQ(q["answers"][0]["cases"][0]["verdict"], "errno(EPERM)");
  EXPECT_NE(q["answers"][0]["cases"][0]["rule"].get<std::string>().find("hello.pol:"), std::string::npos);

  SafetyRun same = policyc({"diff", "--format", "json", kHello, kHello});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_TRUE(nlohmann::json::parse(same.out)["same"].get<bool>());
  write("more.pol", "seccomp default errno(EPERM) {\n  allow read write\n}\n");
  write("less.pol", "seccomp default errno(EPERM) {\n  allow read\n}\n");
  SafetyRun differ = policyc({"diff", "--format", "json", "more.pol", "less.pol"});
  EXPECT_EQ(differ.exit_code, 1) << differ.err;
  const auto d = nlohmann::json::parse(differ.out);
  EXPECT_FALSE(d["same"].get<bool>());
  EXPECT_GE(d["count"].get<int>(), 1);
  bool write_changed = false;
  for (const auto& item : d["differences"]) {
    write_changed |= item["text"].get<std::string>().find("write") != std::string::npos && item["from"] == "allow";
  }
  EXPECT_TRUE(write_changed) << differ.out;

  SafetyRun bad = policyc({"query", "--format", "json", kHello, "nosuchcall(1)"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_FALSE(nlohmann::json::parse(bad.out)["ok"].get<bool>());
}

// ---- Docker's errnoRet -------------------------------------------------------------------------

TEST_F(CliSafety, ErrnoRetAbove4095IsClampedWithAWarning) {
  write("big-errno.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5000}]})");
  SafetyRun run = policyc({"import-docker", "big-errno.json", "-o", "-"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("warning: syscalls[0].errnoRet: 5000 is above the largest errno (4095)"), std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("errno(4095) mkdir"), std::string::npos) << run.out;

  write("huge-errno.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536}]})");
  SafetyRun huge = policyc({"import-docker", "huge-errno.json", "-o", "-"});
  EXPECT_EQ(huge.exit_code, 2) << huge.err;
  EXPECT_NE(huge.err.find("65536 is out of range"), std::string::npos) << huge.err;
}

// A profile's comment is copied into the imported policy as a `#` comment; a \r in it must not
// end the comment and turn the rest into a rule.
TEST_F(CliSafety, AJsonCommentCannotInjectRules) {
  write("comment.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "innocent\rallow ptrace"}]})");
  SafetyRun import = policyc({"import-docker", "comment.json", "-o", "-"});
  EXPECT_EQ(import.exit_code, 0) << import.err;
  EXPECT_EQ(import.out.find('\r'), std::string::npos);
  EXPECT_NE(import.out.find("# innocent\\rallow ptrace"), std::string::npos) << import.out;
  SafetyRun query = policyc({"query", "--format", "json", "comment.json", "ptrace(...)"});
  EXPECT_EQ(query.exit_code, 0) << query.err;
  EXPECT_EQ(nlohmann::json::parse(query.out)["answers"][0]["cases"][0]["verdict"], "errno(EPERM)") << query.out;
}

}  // namespace
}  // namespace frontend_cli_safety_test
