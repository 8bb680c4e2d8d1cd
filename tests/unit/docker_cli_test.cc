// SPDX-License-Identifier: Apache-2.0
// The policyc subcommands import-docker, export-docker and export-oci as a user runs them:
// exit codes (0 ok, 2 bad input), outputs written only on success, and the imported .pol
// compiling on its own (plan and --emit-bpf).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

namespace {

namespace fs = std::filesystem;
using testsupport::ProcessResult;
using testsupport::run_process;

const std::string kDockerDefault = std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json";

TEST(DockerCli, ImportedPolicyCompilesToAPlanAndBpf) {
  testsupport::ScratchDir dir("docker-cli-import");
  ProcessResult imported = testsupport::run_policyc({"import-docker", kDockerDefault, "-o", dir / "app.pol", "--kernel", "6.1"});
  ASSERT_EQ(imported.exit_code, 0) << imported.summary();
  EXPECT_NE(imported.err.find("note: syscalls[0].names: skipped"), std::string::npos) << imported.summary();
  ProcessResult compiled = testsupport::run_policyc({dir / "app.pol", "-o", dir / "app.plan", "--emit-bpf", dir / "app.bpf"});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.summary();
  ASSERT_TRUE(fs::exists(dir / "app.plan"));
  auto bpf_size = fs::file_size(dir / "app.bpf");
  EXPECT_GT(bpf_size, 0u);
  EXPECT_EQ(bpf_size % 8, 0u);
}

TEST(DockerCli, ImportOptionsReachTheImporter) {
  testsupport::ScratchDir dir("docker-cli-options");
  ProcessResult r = testsupport::run_policyc({"import-docker", kDockerDefault, "-o", dir / "admin.pol", "--caps",
                             "CAP_SYS_ADMIN,CAP_SYS_PTRACE", "--arch", "amd64", "--kernel", "4.4"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  std::string text = testsupport::read_text(dir / "admin.pol");
  EXPECT_NE(text.find("# syscalls[17]: has CAP_SYS_ADMIN"), std::string::npos) << text;
  EXPECT_NE(text.find("# syscalls[25]: has CAP_SYS_PTRACE"), std::string::npos) << text;
  EXPECT_EQ(text.find("# syscalls[1]: kernel >= 4.8"), std::string::npos) << text;
}

TEST(DockerCli, BadJsonExitsTwoAndWritesNothing) {
  testsupport::ScratchDir dir("docker-cli-bad");
  testsupport::write_text(dir / "bad.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\"\n  \"syscalls\": []\n}\n");
  ProcessResult r = testsupport::run_policyc({"import-docker", dir / "bad.json", "-o", dir / "out.pol"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("bad.json:3:3: error: invalid JSON"), std::string::npos) << r.summary();
  EXPECT_FALSE(fs::exists(dir / "out.pol"));

  testsupport::write_text(dir / "op.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_IN"}]}]})");
  r = testsupport::run_policyc({"import-docker", dir / "op.json", "-o", dir / "out.pol"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("syscalls[0].args[0].op: unknown operator \"SCMP_CMP_IN\""), std::string::npos) << r.summary();
  EXPECT_FALSE(fs::exists(dir / "out.pol"));

  r = testsupport::run_policyc({"import-docker", dir / "missing.json", "-o", dir / "out.pol"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("missing.json: error: cannot read the profile"), std::string::npos) << r.summary();
}

TEST(DockerCli, ExportDockerWritesProfileAndManifestThatImportBack) {
  testsupport::ScratchDir dir("docker-cli-export");
  testsupport::write_text(dir / "app.pol", R"(seccomp default errno(EPERM) {
  allow read write close exit_group
  allow socket if arg0 == AF_INET || arg0 == AF_INET6
  errno(ENOSYS) clone3
}
)");
  ProcessResult r = testsupport::run_policyc({"export-docker", dir / "app.pol", "-o", dir / "profile.json", "--k8s-manifest", "app"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  auto profile = nlohmann::json::parse(testsupport::read_text(dir / "profile.json"));
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["syscalls"][1]["names"], nlohmann::json({"socket"}));
  std::string manifest = testsupport::read_text(dir / "app.yaml");
  EXPECT_NE(manifest.find("kind: SeccompProfile\n"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("  name: app\n"), std::string::npos) << manifest;
  ProcessResult back = testsupport::run_policyc({"import-docker", dir / "profile.json", "-o", dir / "back.pol"});
  ASSERT_EQ(back.exit_code, 0) << back.summary();
  std::string text = testsupport::read_text(dir / "back.pol");
  EXPECT_NE(text.find("  allow socket if arg0 == 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  allow socket if arg0 == 10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  errno(ENOSYS) clone3\n"), std::string::npos) << text;
}

TEST(DockerCli, ExportDockerRefusalWritesNothing) {
  testsupport::ScratchDir dir("docker-cli-refuse");
  testsupport::write_text(dir / "app.pol", R"(seccomp default errno(EPERM) {
  allow read if u32(arg0) < 3
}
)");
  ProcessResult r = testsupport::run_policyc({"export-docker", dir / "app.pol", "-o", dir / "profile.json", "--k8s-manifest", "app"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("cannot be exported to Docker's format"), std::string::npos) << r.summary();
  EXPECT_FALSE(fs::exists(dir / "profile.json"));
  EXPECT_FALSE(fs::exists(dir / "app.yaml"));
}

// A seccomp profile has no place for device grants: the profile is written, and the warning
// says what to pass to Docker instead.
TEST(DockerCli, ExportDockerSaysTheGrantedDevicesAreLeftOut) {
  testsupport::ScratchDir dir("docker-cli-devices");
  testsupport::write_text(dir / "app.pol", R"(container app {
  namespaces mount
  mount dev at /dev
  device /dev/fuse /dev/net/tun
  seccomp default errno(EPERM) { allow read write exit_group }
}
)");
  ProcessResult r = testsupport::run_policyc({"export-docker", dir / "app.pol", "-o", dir / "profile.json"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  EXPECT_TRUE(fs::exists(dir / "profile.json"));
  EXPECT_NE(r.err.find("warning: a seccomp profile cannot grant the policy's devices"), std::string::npos) << r.summary();
  EXPECT_NE(r.err.find("docker run --device /dev/fuse --device /dev/net/tun"), std::string::npos) << r.summary();
}

TEST(DockerCli, ExportOciOfTheStrictExample) {
  testsupport::ScratchDir dir("docker-cli-oci");
  ProcessResult r = testsupport::run_policyc({"export-oci", std::string(SOURCE_DIR) + "/policies/strict.pol", "-o", dir / "config.json"});
  ASSERT_EQ(r.exit_code, 0) << r.summary();
  auto config = nlohmann::json::parse(testsupport::read_text(dir / "config.json"));
  EXPECT_EQ(config["ociVersion"], "1.0.2");
  EXPECT_EQ(config["hostname"], "strict");
  EXPECT_EQ(config["process"]["args"], nlohmann::json({"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(config["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(config["linux"]["resources"]["memory"]["limit"], 64 << 20);
}

}  // namespace
