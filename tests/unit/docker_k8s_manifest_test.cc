// SPDX-License-Identifier: Apache-2.0
// The Kubernetes SeccompProfile manifest of `policyc export-docker --k8s-manifest`, read the way
// the cluster reads it (YAML 1.1 through tests/support/yaml_json.h) and validated against the
// security-profiles-operator's own CRD schema (tests/fixtures/k8s/, release v1.0.0): the example
// policies and Docker's default profile give manifests the CRD accepts, whose spec says what the
// JSON profile says; what the CRD cannot say is refused. The schema validator is tested too.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "compiler/docker/export.h"
#include "tests/support/json_schema.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"
#include "tests/support/yaml_json.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testsupport::ProcessResult;
using testsupport::schema_errors;

const std::string kCrdFile = std::string(SOURCE_DIR) + "/tests/fixtures/k8s/seccompprofile-crd.yaml";
const std::string kDockerDefaultProfile = std::string(SHARED_TESTDATA_DIR) + "/seccomp/docker-default.json";

// The openAPIV3Schema of the CRD version the exporter writes.
const json& manifest_schema() {
  static const json schema = [] {
    const std::vector<json> documents = testsupport::yaml_documents(testsupport::read_text(kCrdFile));
    EXPECT_EQ(documents.size(), 1u);
    const std::string api_version = policyc::docker::kK8sApiVersion;
    const std::string group = api_version.substr(0, api_version.find('/'));
    const std::string version = api_version.substr(api_version.find('/') + 1);
    const json& crd = documents.at(0);
    EXPECT_EQ(crd["spec"]["group"], group);
    EXPECT_EQ(crd["spec"]["names"]["kind"], "SeccompProfile");
    for (const json& served : crd["spec"]["versions"]) {
      if (served["name"] == version && served["served"] == true) return served["schema"]["openAPIV3Schema"];
    }
    ADD_FAILURE() << "the CRD does not serve " << api_version;
    return json::object();
  }();
  return schema;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

bool any_contains(const std::vector<std::string>& lines, const std::string& what) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(what) != std::string::npos; });
}

json valid_manifest() {
  return json::parse(R"({"apiVersion": "security-profiles-operator.x-k8s.io/v1beta1", "kind": "SeccompProfile",
    "metadata": {"name": "app"},
    "spec": {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                           "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]}})");
}

TEST(K8sSchemaValidator, AcceptsAValidManifestAndRejectsWhatTheCrdRefuses) {
  json manifest = valid_manifest();
  EXPECT_EQ(schema_errors(manifest_schema(), manifest), std::vector<std::string>{});

  json wrong_type = manifest;
  wrong_type["spec"]["syscalls"][0]["errnoRet"] = "38";
  auto errors = schema_errors(manifest_schema(), wrong_type);
  EXPECT_TRUE(any_contains(errors, "spec.syscalls[0].errnoRet: expected integer, found string")) << joined(errors);

  json unknown = manifest;
  unknown["spec"]["defaultErrnoRet"] = 1;
  unknown["spec"]["syscalls"][0]["comment"] = "why";
  errors = schema_errors(manifest_schema(), unknown);
  EXPECT_TRUE(any_contains(errors, "spec.defaultErrnoRet: unknown field")) << joined(errors);
  EXPECT_TRUE(any_contains(errors, "spec.syscalls[0].comment: unknown field")) << joined(errors);

  json out_of_range = manifest;
  out_of_range["spec"]["syscalls"][0]["args"][0]["value"] = std::uint64_t{1} << 63;
  out_of_range["spec"]["syscalls"][0]["errnoRet"] = -1;
  errors = schema_errors(manifest_schema(), out_of_range);
  EXPECT_TRUE(any_contains(errors, "args[0].value: 9223372036854775808 does not fit format int64")) << joined(errors);
  EXPECT_TRUE(any_contains(errors, "errnoRet: -1 is below the minimum 0")) << joined(errors);

  json bad_values = manifest;
  bad_values["spec"]["syscalls"][0]["names"] = json::array({"read", "read"});
  bad_values["spec"]["syscalls"][0]["action"] = "SCMP_ACT_MAYBE";
  bad_values["spec"].erase("defaultAction");
  errors = schema_errors(manifest_schema(), bad_values);
  EXPECT_TRUE(any_contains(errors, "spec.syscalls[0].names[1]: repeats item 0 of a set")) << joined(errors);
  EXPECT_TRUE(any_contains(errors, "\"SCMP_ACT_MAYBE\" is not one of")) << joined(errors);
  EXPECT_TRUE(any_contains(errors, "spec: required field defaultAction is missing")) << joined(errors);

  // A keyword the validator does not implement is an error, never a constraint skipped.
  const json stricter = json::parse(R"({"type": "object", "x-kubernetes-validations": [{"rule": "false"}]})");
  errors = schema_errors(stricter, json::object());
  EXPECT_TRUE(any_contains(errors, "x-kubernetes-validations")) << joined(errors);
}

TEST(K8sYamlReading, PlainScalarsReadAsKubernetesReadsThem) {
  using testsupport::yaml_plain_scalar;
  EXPECT_EQ(yaml_plain_scalar("yes"), json(true));
  EXPECT_EQ(yaml_plain_scalar("Off"), json(false));
  EXPECT_EQ(yaml_plain_scalar("~"), json(nullptr));
  EXPECT_EQ(yaml_plain_scalar("010"), json(8));
  EXPECT_EQ(yaml_plain_scalar("0x10"), json(16));
  EXPECT_EQ(yaml_plain_scalar("38"), json(38));
  EXPECT_EQ(yaml_plain_scalar("SCMP_ACT_ERRNO"), json("SCMP_ACT_ERRNO"));
  const auto documents = testsupport::yaml_documents("a: \"yes\"\nb: [1, two]\nc:\n- x: 1\n  w: no\n");
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0], json::parse(R"({"a": "yes", "b": [1, "two"], "c": [{"x": 1, "w": false}]})"));
  EXPECT_THROW(testsupport::yaml_documents("a: [1,\n"), std::runtime_error);
  // YAML 1.1 reads the key y as a boolean, so kubectl would refuse it as a field name.
  EXPECT_THROW(testsupport::yaml_documents("y: 1\n"), std::runtime_error);
}

// export-docker with --k8s-manifest NAME; the manifest read as YAML and the profile as JSON.
struct Exported {
  ProcessResult run;
  json profile;
  std::vector<json> manifest;
};

Exported export_with_manifest(const testsupport::ScratchDir& dir, const std::string& policy, const std::string& name) {
  Exported e;
  e.run = testsupport::run_policyc({"export-docker", policy, "-o", dir / (name + ".json"), "--k8s-manifest", name});
  if (e.run.exit_code != 0) return e;
  e.profile = json::parse(testsupport::read_text(dir / (name + ".json")));
  e.manifest = testsupport::yaml_documents(testsupport::read_text(dir / (name + ".yaml")));
  return e;
}

// The spec must say what the JSON profile says, in the CRD's fields: the same default action,
// arches and syscall entries; only the comments (no field) and an EPERM defaultErrnoRet (what the
// runtime returns without one) are left out.
json profile_as_spec(json profile) {
  if (profile.contains("defaultErrnoRet")) {
    EXPECT_EQ(profile["defaultErrnoRet"], 1);
    profile.erase("defaultErrnoRet");
  }
  for (json& entry : profile["syscalls"]) entry.erase("comment");
  return profile;
}

void expect_manifest_fits(const Exported& e, const std::string& name) {
  ASSERT_EQ(e.run.exit_code, 0) << e.run.summary();
  ASSERT_EQ(e.manifest.size(), 1u);
  const json& manifest = e.manifest[0];
  EXPECT_EQ(schema_errors(manifest_schema(), manifest), std::vector<std::string>{}) << name;
  EXPECT_EQ(manifest["apiVersion"], policyc::docker::kK8sApiVersion);
  EXPECT_EQ(manifest["kind"], "SeccompProfile");
  EXPECT_EQ(manifest["metadata"], json({{"name", name}}));
  EXPECT_EQ(manifest["spec"], profile_as_spec(e.profile)) << name;
}

TEST(K8sManifest, ExamplePoliciesAndDockersDefaultFitTheCrd) {
  testsupport::ScratchDir dir("k8s-manifest-examples");
  std::size_t examples = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(SOURCE_DIR) / "policies")) {
    if (entry.path().extension() != ".pol") continue;
    ++examples;
    const std::string name = entry.path().stem().string();
    SCOPED_TRACE(entry.path().string());
    expect_manifest_fits(export_with_manifest(dir, entry.path().string(), name), name);
  }
  EXPECT_GE(examples, 2u);

  // Docker's default profile, through a policy: import, then export with the manifest.
  ProcessResult imported = testsupport::run_policyc({"import-docker", kDockerDefaultProfile, "-o", dir / "docker.pol"});
  ASSERT_EQ(imported.exit_code, 0) << imported.summary();
  const Exported docker = export_with_manifest(dir, dir / "docker.pol", "docker-default");
  expect_manifest_fits(docker, "docker-default");
  ASSERT_FALSE(docker.manifest.empty());
  EXPECT_GT(docker.manifest[0]["spec"]["syscalls"].size(), 10u);
}

// Names that YAML 1.1 reads as a boolean or a number stay strings.
TEST(K8sManifest, NamesYamlCouldMisreadStayStrings) {
  testsupport::ScratchDir dir("k8s-manifest-names");
  testsupport::write_text(dir / "app.pol", "seccomp default errno(EPERM) {\n  allow read write exit_group\n}\n");
  for (const std::string name : {"yes", "on", "123", "0x1f", "1e3"}) {
    const Exported e = export_with_manifest(dir, dir / "app.pol", name);
    SCOPED_TRACE(name);
    expect_manifest_fits(e, name);
  }
}

TEST(K8sManifest, WhatTheCrdCannotSayIsRefusedAndNothingIsWritten) {
  testsupport::ScratchDir dir("k8s-manifest-refused");
  testsupport::write_text(dir / "enosys.pol", "seccomp default errno(ENOSYS) {\n  allow read write exit_group\n}\n");
  ProcessResult r = testsupport::run_policyc({"export-docker", dir / "enosys.pol", "-o", dir / "enosys.json", "--k8s-manifest", "enosys"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("cannot be said in a SeccompProfile: the CRD has no defaultErrnoRet"), std::string::npos) << r.summary();
  EXPECT_FALSE(fs::exists(dir / "enosys.json"));
  EXPECT_FALSE(fs::exists(dir / "enosys.yaml"));
  // Without the manifest the JSON profile says it (defaultErrnoRet is Docker's field).
  r = testsupport::run_policyc({"export-docker", dir / "enosys.pol", "-o", dir / "enosys.json"});
  EXPECT_EQ(r.exit_code, 0) << r.summary();

  testsupport::write_text(dir / "wide.pol", "seccomp default errno(EPERM) {\n  allow read if arg0 == 0x8000000000000000\n}\n");
  r = testsupport::run_policyc({"export-docker", dir / "wide.pol", "-o", dir / "wide.json", "--k8s-manifest", "wide"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("compares arg0 with 0x8000000000000000, and a SeccompProfile holds argument values as int64"),
            std::string::npos) << r.summary();
  EXPECT_FALSE(fs::exists(dir / "wide.yaml"));

  r = testsupport::run_policyc({"export-docker", dir / "wide.pol", "-o", dir / "bad.json", "--k8s-manifest", "My_App"});
  EXPECT_EQ(r.exit_code, 2) << r.summary();
  EXPECT_NE(r.err.find("--k8s-manifest \"My_App\" is no Kubernetes object name"), std::string::npos) << r.summary();
  EXPECT_FALSE(fs::exists(dir / "bad.json"));
}

}  // namespace
