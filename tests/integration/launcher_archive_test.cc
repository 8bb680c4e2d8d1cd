// Archive rootfs (as root): a .tar.gz is unpacked once into the cache keyed by its sha256,
// reused unchanged by later runs, never written to by a container (overlay), and a changed
// archive gets a new cache entry.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "plan/encoding.h"
#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/rootfs.h"

using namespace testsupport;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> cache_entries(const std::string& cache) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache + "/rootfs", ec)) {
    const std::string name = e.path().filename().string();
    if (name != ".mnt") names.push_back(name);
  }
  return names;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(LauncherArchive, UnpackedOnceReusedAndNeverWrittenTo) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts)";
  ScratchDir scratch("launcher-archive");
  const auto before = snapshot_host();
  build_rootfs(scratch / "tree");
  const std::string archive = scratch / "rootfs.tar.gz";
  make_tarball(scratch / "tree", archive);
  const std::string cache = scratch / "cache";
  const ProcessOptions env{{"PLAN_EXEC_CACHE_DIR=" + cache}};

  plan::Plan p = container_plan(archive);
  p.rootfs->kind = plan::RootfsKind::Archive;
  p.command = {"/home/probe", "status", "write", "/etc/written-by-container", "exists", "/etc/secret-in-rootfs"};
  const std::string plan_file = write_plan(p, scratch / "plan.json");

  auto first = run_plan_exec({plan_file}, env);
  ASSERT_EQ(first.exit_code, 0) << first.summary();
  EXPECT_NE(first.err.find("unpacked"), std::string::npos) << first.err;
  EXPECT_EQ(probe_value(first.out, "pid"), "1");
  EXPECT_EQ(probe_value(first.out, "write:/etc/written-by-container"), "ok");  // the private upper layer
  EXPECT_EQ(probe_value(first.out, "exists:/etc/secret-in-rootfs"), "yes");
  ASSERT_EQ(cache_entries(cache).size(), 1u);
  const std::string entry = cache + "/rootfs/" + cache_entries(cache)[0];
  EXPECT_EQ(entry, cache + "/rootfs/" + [&] {
    const std::string data = read_text(archive);
    return plan::sha256_hex(data.data(), data.size());
  }());
  EXPECT_NE(access((entry + "/etc/written-by-container").c_str(), F_OK), 0) << "the container wrote into the cache";
  EXPECT_EQ(access((entry + "/bin/busybox").c_str(), X_OK), 0);

  // Second run: same cache entry, not unpacked again (inode kept, our marker survives).
  const ino_t inode = inode_of(entry);
  write_text(entry + "/marker-from-test", "x");
  auto second = run_plan_exec({plan_file, "--", "/home/probe", "exists", "/marker-from-test", "exists",
                               "/etc/written-by-container"},
                              env);
  ASSERT_EQ(second.exit_code, 0) << second.summary();
  EXPECT_EQ(second.err.find("unpacked"), std::string::npos) << second.err;
  EXPECT_EQ(probe_value(second.out, "exists:/marker-from-test"), "yes");
  EXPECT_EQ(probe_value(second.out, "exists:/etc/written-by-container"), "no");
  EXPECT_EQ(inode_of(entry), inode);
  EXPECT_EQ(cache_entries(cache).size(), 1u);

  // Read-only archive rootfs.
  p.rootfs->readonly = true;
  p.command = {"/home/probe", "write", "/etc/x", "write", "/tmp/x"};
  auto ro = run_plan_exec({write_plan(p, scratch / "plan-ro.json")}, env);
  ASSERT_EQ(ro.exit_code, 0) << ro.summary();
  EXPECT_EQ(probe_value(ro.out, "write:/etc/x"), "EROFS");
  EXPECT_EQ(probe_value(ro.out, "write:/tmp/x"), "ok");

  // A changed archive is a new entry.
  write_text(scratch / "tree/etc/changed", "y");
  make_tarball(scratch / "tree", archive);
  auto third = run_plan_exec({plan_file, "--", "/home/probe", "exists", "/etc/changed"}, env);
  ASSERT_EQ(third.exit_code, 0) << third.summary();
  EXPECT_NE(third.err.find("unpacked"), std::string::npos);
  EXPECT_EQ(probe_value(third.out, "exists:/etc/changed"), "yes");
  EXPECT_EQ(cache_entries(cache).size(), 2u);

  EXPECT_EQ(new_entries(before.mounts, snapshot_host().mounts, scratch.path()), std::vector<std::string>{});
}

TEST(LauncherArchive, StaleUnpackOfAKilledRunIsRemovedAndABrokenArchiveIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts)";
  ScratchDir scratch("launcher-archive-stale");
  const std::string cache = scratch / "cache";
  fs::create_directories(cache + "/rootfs/.unpack-deadbeef-999999999");  // pid that cannot exist
  write_text(scratch / "broken.tar.gz", "this is not an archive");
  plan::Plan p = container_plan(scratch / "broken.tar.gz");
  p.rootfs->kind = plan::RootfsKind::Archive;
  auto r = run_plan_exec({write_plan(p, scratch / "plan.json")}, ProcessOptions{{"PLAN_EXEC_CACHE_DIR=" + cache}});
  EXPECT_EQ(r.exit_code, 125) << r.summary();
  EXPECT_NE(r.err.find("broken.tar.gz"), std::string::npos) << r.err;
  EXPECT_EQ(cache_entries(cache), std::vector<std::string>{}) << "a failed unpack left something in the cache";
}

}  // namespace
