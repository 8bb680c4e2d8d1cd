// SPDX-License-Identifier: Apache-2.0
// Security suite, class "archive": unpacking a rootfs archive never writes outside its cache
// entry. Each crafted archive (tests/support/crafted_tar.h) tries one way out and names a host
// path it would write or change; plan-exec must refuse the archive (exit 125, nothing
// half-unpacked left) and the host path must stay as the test left it. Control runs with the
// defence "archive-secure" switched off show the escapes really happen, so the test can fail.
// Rootless runs also drop device nodes and setuid/setgid bits from the archive.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/crafted_tar.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

using namespace testsupport;
using Kind = TarMember::Kind;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMarkerText = "host file, not the container's\n";

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

class SecurityArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (plan-exec makes namespaces and mounts)";
    scratch_ = std::make_unique<ScratchDir>("security-archive");
    fs::create_directories(host_dir());
    write_text(host_marker(), kMarkerText);
  }
  std::string s() const { return scratch_->path(); }
  std::string host_dir() const { return s() + "/host-dir"; }
  std::string host_marker() const { return s() + "/host-marker"; }

  // The cache entry is unpacked in CACHE/rootfs/.unpack-<sha>-<pid>/: three ".." reach s().
  struct Case {
    std::string name;
    std::vector<TarMember> members;
    std::string escape_path;  // written or changed on the host if the archive got out
  };
  std::vector<Case> cases() const {
    return {
        {"symlink-then-write",
         {{Kind::Symlink, "evil", "", "../../../host-dir", 0777}, {Kind::File, "evil/planted-a", "x", "", 0644}},
         host_dir() + "/planted-a"},
        {"absolute-symlink",
         {{Kind::Symlink, "abs", "", host_dir(), 0777}, {Kind::File, "abs/planted-b", "x", "", 0644}},
         host_dir() + "/planted-b"},
        // A hard link to a host file gives the cache (and the container) the host's inode.
        {"hardlink-through-symlink",
         {{Kind::Symlink, "up", "", s(), 0777}, {Kind::Hardlink, "h", "", "up/host-marker", 0644}},
         host_marker()},
        {"absolute-hardlink", {{Kind::Hardlink, "h", "", host_marker(), 0644}}, host_marker()},
        // ... and a write through it must not reach the host file either.
        {"hardlink-then-write",
         {{Kind::Symlink, "up", "", s(), 0777},
          {Kind::Hardlink, "h", "", "up/host-marker", 0644},
          {Kind::File, "h", "pwned\n", "", 0644}},
         host_marker()},
        {"dotdot-member", {{Kind::File, "../../../planted-d", "x", "", 0644}}, s() + "/planted-d"},
        {"absolute-member", {{Kind::File, s() + "/planted-e", "x", "", 0644}}, s() + "/planted-e"},
    };
  }

  // Whether `c` got out: its file appeared, or the host marker changed or gained a link.
  bool escaped(const Case& c) const {
    if (c.escape_path != host_marker()) return exists(c.escape_path);
    struct stat st {};
    if (::stat(host_marker().c_str(), &st) != 0) return true;
    return read_text(host_marker()) != kMarkerText || st.st_nlink != 1;
  }

  ProcessResult unpack(const Case& c, const std::vector<std::string>& disabled = {}, int uid = -1) {
    const std::string archive = s() + "/" + c.name + (disabled.empty() ? "" : "-control") + ".tar";
    write_crafted_tar(archive, c.members);
    return unpack_archive(archive, s() + "/cache-" + c.name + (disabled.empty() ? "" : "-control"), disabled, uid);
  }

  ProcessResult unpack_archive(const std::string& archive, const std::string& cache,
                               const std::vector<std::string>& disabled = {}, int uid = -1) {
    plan::Plan p = container_plan(archive);
    p.rootfs->kind = plan::RootfsKind::Archive;
    p.command = {"/bin/true"};  // not in the archive: plan-exec stops right after unpacking
    const std::string plan_file = write_plan(p, archive + ".plan");
    ::chmod(plan_file.c_str(), 0644);
    ProcessOptions options{{"PLAN_EXEC_CACHE_DIR=" + cache}, uid, 30};
    if (!disabled.empty()) {
      std::string list;
      for (const auto& d : disabled) list += (list.empty() ? "" : ",") + d;
      options.env.push_back("PLAN_EXEC_TEST_DISABLE_DEFENCES=" + list);
    }
    return run_plan_exec({plan_file}, options);
  }

  // The one unpacked cache entry under `cache` ("" if none); not the staging directory nor
  // the archive records.
  static std::string cache_entry(const std::string& cache) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cache + "/rootfs", ec)) {
      const std::string name = e.path().filename().string();
      if (name != ".mnt" && name != ".archives") return e.path().string();
    }
    return "";
  }

  std::unique_ptr<ScratchDir> scratch_;
};

TEST_F(SecurityArchive, EveryCraftedArchiveIsRefusedAndWritesNothingOutside) {
  for (const auto& c : cases()) {
    const auto r = unpack(c);
    EXPECT_FALSE(escaped(c)) << c.name << ": escaped (" << c.escape_path << " written or changed)\n" << r.summary();
    EXPECT_EQ(r.exit_code, 125) << c.name << ": the archive must be refused\n" << r.summary();
    EXPECT_NE(r.err.find("(step: rootfs)"), std::string::npos) << c.name << "\n" << r.summary();
    EXPECT_EQ(cache_entry(s() + "/cache-" + c.name), "") << c.name << ": a refused archive left its cache entry";
    std::printf("%s: %s\n", c.name.c_str(), escaped(c) ? "escaped" : "held (archive refused)");
  }
}

TEST_F(SecurityArchive, ControlWithoutTheDefenceTheArchivesGetOut) {
  for (const auto& c : cases()) {
    const auto r = unpack(c, {"archive-secure"});
    std::printf("%s without archive-secure: %s\n", c.name.c_str(), escaped(c) ? "escaped" : "held");
    if (c.name != "hardlink-through-symlink" && c.name != "hardlink-then-write") {  // libarchive holds those itself
      EXPECT_TRUE(escaped(c)) << c.name << ": the control run should have written " << c.escape_path
                              << "; the test cannot fail otherwise\n" << r.summary();
    }
    // Leave the host as it was for the next case.
    ::unlink(c.escape_path.c_str());
    write_text(host_marker(), kMarkerText);
  }
}

TEST_F(SecurityArchive, RootlessDropsDeviceNodesAndSetuidBits) {
  if (!unprivileged_userns_available()) GTEST_SKIP() << "unprivileged user namespaces are disabled here";
  const std::vector<TarMember> members = {
      {Kind::CharDevice, "planted-null", "", "", 0666, 1, 3},
      {Kind::File, "suid-file", "#!/bin/sh\n", "", 04755},
      {Kind::File, "sgid-file", "#!/bin/sh\n", "", 02755},
      {Kind::Directory, "sgid-dir", "", "", 02775},
      {Kind::File, "plain-file", "#!/bin/sh\n", "", 0755},
  };
  const std::string archive = s() + "/devices-and-setuid.tar";
  write_crafted_tar(archive, members);
  ::chmod(archive.c_str(), 0644);
  const std::string cache = s() + "/cache-rootless";
  fs::create_directories(cache);
  ASSERT_EQ(::chown(cache.c_str(), kNobody, kNobody), 0);

  const auto r = unpack_archive(archive, cache, {}, kNobody);
  const std::string entry = cache_entry(cache);
  ASSERT_NE(entry, "") << "the archive was not unpacked\n" << r.summary();
  EXPECT_FALSE(exists(entry + "/planted-null")) << "a device node was unpacked for a rootless run";
  struct stat st {};
  for (const char* name : {"suid-file", "sgid-file", "sgid-dir"}) {
    ASSERT_EQ(::stat((entry + "/" + name).c_str(), &st), 0) << name << "\n" << r.summary();
    EXPECT_EQ(st.st_mode & (S_ISUID | S_ISGID), 0u) << name << " kept its setuid/setgid bit";
    EXPECT_EQ(st.st_uid, static_cast<uid_t>(kNobody)) << name;
  }
  ASSERT_EQ(::stat((entry + "/plain-file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  // Control: without the defence the setuid bit survives (the device node still cannot be
  // made: mknod needs root, and the run fails on it).
  const std::string control_cache = s() + "/cache-rootless-control";
  fs::create_directories(control_cache);
  ASSERT_EQ(::chown(control_cache.c_str(), kNobody, kNobody), 0);
  // Owned by the caller in the archive too, so libarchive itself has no reason to drop the bit.
  TarMember own_suid = members[1];
  own_suid.uid = own_suid.gid = kNobody;
  write_crafted_tar(archive, {own_suid});
  const auto control = unpack_archive(archive, control_cache, {"archive-secure"}, kNobody);
  const std::string control_entry = cache_entry(control_cache);
  ASSERT_NE(control_entry, "") << control.summary();
  ASSERT_EQ(::stat((control_entry + "/suid-file").c_str(), &st), 0);
  EXPECT_NE(st.st_mode & S_ISUID, 0u) << "the control run should keep the setuid bit";
}

TEST_F(SecurityArchive, RootRunKeepsSetuidInsideACacheOnlyRootCanEnter) {
  const std::string archive = s() + "/setuid.tar";
  write_crafted_tar(archive, {{Kind::File, "suid-file", "#!/bin/sh\n", "", 04755}});
  const std::string cache = s() + "/cache-root";
  const auto r = unpack_archive(archive, cache);
  const std::string entry = cache_entry(cache);
  ASSERT_NE(entry, "") << r.summary();
  struct stat st {};
  ASSERT_EQ(::stat((entry + "/suid-file").c_str(), &st), 0);
  EXPECT_NE(st.st_mode & S_ISUID, 0u) << "a root run unpacks the image as it is (su, ping... need it)";
  ASSERT_EQ(::stat((cache + "/rootfs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u) << "host users must not reach the unpacked setuid files";
}

}  // namespace
