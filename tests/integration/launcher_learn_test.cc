// SPDX-License-Identifier: Apache-2.0
// --learn end to end, as root: a workload is started under a policy that allows almost nothing,
// learned (runs repeat while they still add lines), recompiled, and then run again with reports
// on: it must work and see no denial. Busybox httpd, python3 -m http.server and a Go hello-world
// server (stdlib only, CGO_ENABLED=0, built by the test), each started and asked for pages over
// loopback inside the container's own net namespace.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <string>
#include <vector>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/rootfs_suite.h"

using namespace testsupport;

namespace {

const char* kPage = "<h1>learned</h1>";

class LauncherLearn : public RootfsSuite<LauncherLearn> {
 public:
  static constexpr const char* kScratch = "launcher-learn";

 protected:
  static void SetUpTestSuite() {
    RootfsSuite::SetUpTestSuite();
    if (!scratch_) return;
    ::mkdir((rootfs() + "/www").c_str(), 0755);
    write_text(rootfs() + "/www/index.html", std::string(kPage) + "\n");
    // python3 comes from the host's /usr, bound read-only; its libraries are found through these.
    ::symlink("usr/lib", (rootfs() + "/lib").c_str());
    ::symlink("usr/lib64", (rootfs() + "/lib64").c_str());
  }

  // A policy with `command`, extra container lines and a seccomp block of `allow` only.
  static std::string write_policy(const std::string& name, const std::string& extra, const std::string& command) {
    const std::string path = scratch_->path() + "/" + name + ".pol";
    write_text(path, "container " + name + " {\n"
                     "  rootfs \"" + rootfs() + "\"\n"
                     "  namespaces mount pid ipc uts net\n"
                     "  network loopback\n"
                     "  mount proc at /proc\n"
                     "  mount dev at /dev\n"
                     "  mount tmpfs at /tmp\n" +
                     extra +
                     "  command \"/bin/sh\" \"-c\" \"" + command + "\"\n"
                     "  seccomp default errno(EPERM) {\n"
                     // sched_yield and poll are allowed up front so the re-run is deterministic:
                     // Go's runtime yields only under lock contention, and a client such as
                     // busybox wget polls only when the answer is not there yet (a loaded
                     // machine); a few learning runs may hit neither.
                     "    allow execve exit exit_group sched_yield poll\n"
                     "  }\n"
                     "}\n");
    return path;
  }
  static ProcessResult compile(const std::string& policy) {
    return run_process({POLICYC_BIN, policy, "-o", policy + ".plan"});
  }
  static bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
  static std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = text.find(part, at)) != std::string::npos; ++at) ++n;
    return n;
  }

  // Learns until two runs in a row add nothing (at most `runs`: some paths, like wget's poll()
  // when the answer is not there yet, depend on timing), then runs with reports on.
  static ProcessResult learn_then_run(const std::string& policy, int runs) {
    int unchanged = 0;
    for (int i = 0; i < runs && unchanged < 2; ++i) {
      const ProcessResult compiled = compile(policy);
      EXPECT_EQ(compiled.exit_code, 0) << compiled.summary() << read_text(policy);
      const ProcessResult learned = run_plan_exec({"--learn", policy, policy + ".plan"});
      EXPECT_EQ(learned.exit_code, 0) << learned.summary();
      EXPECT_TRUE(has(learned.out, kPage)) << "the workload works while it is learned\n" << learned.summary();
      if (has(learned.err, "unchanged")) {
        ++unchanged;
        continue;
      }
      unchanged = 0;
      EXPECT_TRUE(has(learned.err, "allow line")) << learned.summary();
    }
    const ProcessResult compiled = compile(policy);
    EXPECT_EQ(compiled.exit_code, 0) << compiled.summary() << read_text(policy);
    return run_plan_exec({"--denials=stderr", policy + ".plan"});
  }
};

TEST_F(LauncherLearn, BusyboxHttpdLearnedRunsWithNoDenial) {
  const std::string policy = write_policy(
      "httpd", "",
      "/bin/busybox httpd -f -p 127.0.0.1:8080 -h /www & sleep 0.5; "
      "for i in 1 2 3; do wget -q -O - http://127.0.0.1:8080/; wget -q -O - http://127.0.0.1:8080/index.html; done; kill %1");
  const ProcessResult before = run_plan_exec({"--denials=stderr", (compile(policy), policy + ".plan")});
  EXPECT_FALSE(has(before.out, kPage)) << "the bare policy must not be enough\n" << before.summary();

  const ProcessResult r = learn_then_run(policy, 6);
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(count(r.out, kPage), 6u) << r.summary();
  EXPECT_FALSE(has(r.err, "denied")) << r.err;
  const std::string text = read_text(policy);
  EXPECT_EQ(count(text, "# learned by plan-exec --learn ("), 1u) << text;
  EXPECT_EQ(count(text, "# end of learned lines"), 1u) << text;
  EXPECT_TRUE(has(text, "allow socket if u32(arg0) == 2  # AF_INET: ")) << text;
  EXPECT_TRUE(has(text, "allow bind  # ")) << text;
}

TEST_F(LauncherLearn, PythonHttpServerLearnedRunsWithNoDenial) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 on this host";
  const std::string policy = write_policy(
      "python", "  mount bind \"/usr\" at /usr readonly\n",
      "cd /www && /usr/bin/python3 -m http.server 8000 --bind 127.0.0.1 & "
      "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.5; wget -q -O - http://127.0.0.1:8000/index.html && break; done; "
      "wget -q -O - http://127.0.0.1:8000/; kill %1");
  const ProcessResult r = learn_then_run(policy, 6);
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(has(r.out, kPage)) << r.summary();
  EXPECT_FALSE(has(r.err, "denied")) << r.err;
}

// The issue's first user story: a small Go server. Built offline from the standard library
// into a static binary; its build cache lives under the test scratch root (not the user's home),
// kept between runs so that only the first run pays for compiling net/http.
const char* kGoServer = R"(package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "<h1>learned</h1>") })
	if err := http.ListenAndServe("127.0.0.1:8081", nil); err != nil {
		fmt.Println(err)
	}
}
)";

std::string go_binary() {
  for (const char* path : {"/usr/bin/go", "/usr/local/go/bin/go"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

TEST_F(LauncherLearn, GoHelloWorldServerLearnedRunsWithNoDenial) {
  const std::string go = go_binary();
  if (go.empty()) GTEST_SKIP() << "no go toolchain (Debian: golang-go, scripts/deps.sh installs it)";
  const std::string src = scratch_->path() + "/goserver";
  std::filesystem::create_directories(src);
  write_text(src + "/main.go", kGoServer);
  const std::string cache = std::string(TEST_SCRATCH_DIR) + "/go-build-cache";
  ProcessOptions build;
  build.timeout_seconds = 600;  // a cold cache compiles net/http on a busy machine
  build.env = {"CGO_ENABLED=0", "GOCACHE=" + cache + "/cache", "GOPATH=" + cache + "/path", "HOME=" + src,
               "GOPROXY=off", "GOTOOLCHAIN=local", "GO111MODULE=off"};
  const ProcessResult built = run_process({go, "build", "-trimpath", "-o", rootfs() + "/home/goserver", src + "/main.go"}, build);
  ASSERT_EQ(built.exit_code, 0) << built.summary();

  const std::string policy = write_policy(
      "goserver", "",
      "/home/goserver & "
      "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.3; wget -q -O - http://127.0.0.1:8081/ && break; done; "
      "for i in 1 2 3; do wget -q -O - http://127.0.0.1:8081/index.html; done; kill %1");
  const ProcessResult before = run_plan_exec({"--denials=stderr", (compile(policy), policy + ".plan")});
  EXPECT_FALSE(has(before.out, kPage)) << "the bare policy must not be enough\n" << before.summary();

  // The Go runtime's background work (GC, preemption signals, the scavenger) makes some calls
  // only in some runs: learning repeats until two runs add nothing.
  const ProcessResult r = learn_then_run(policy, 10);
  EXPECT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_EQ(count(r.out, kPage), 4u) << r.summary();
  EXPECT_FALSE(has(r.err, "denied")) << r.err << read_text(policy);
  const std::string text = read_text(policy);
  EXPECT_TRUE(has(text, "allow socket if u32(arg0) == 2  # AF_INET: ")) << text;
  EXPECT_TRUE(has(text, "allow accept4  # ")) << text;
}

}  // namespace
