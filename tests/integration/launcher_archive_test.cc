// SPDX-License-Identifier: Apache-2.0
// Archive rootfs (as root): a .tar.gz is unpacked once into the cache keyed by its sha256,
// reused unchanged by later runs, never written to by a container (overlay), and a changed
// archive gets a new cache entry. Later runs check the archive by stat, not by hash; a new
// version replaces the old tree; --prune-cache removes trees no archive points at, except
// those in use; unpacking shows progress on a terminal only.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "plan/encoding.h"
#include "tests/support/host_state.h"
#include "tests/support/plan_builder.h"
#include "tests/support/plan_exec_runner.h"
#include "tests/support/pty_session.h"
#include "tests/support/rootfs.h"

using namespace testsupport;
namespace fs = std::filesystem;

namespace {

// The unpacked trees (and anything else the cache should not hold), without the staging
// directory and the archive records.
std::vector<std::string> cache_entries(const std::string& cache) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache + "/rootfs", ec)) {
    const std::string name = e.path().filename().string();
    if (name != ".mnt" && name != ".archives") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string sha256_of_file(const std::string& path) {
  const std::string data = read_text(path);
  return plan::sha256_hex(data.data(), data.size());
}

// Where the cache records what it knows of an archive path (launcher/rootfs/archive_record.h).
std::string record_of(const std::string& cache, const std::string& archive) {
  const std::string absolute = fs::canonical(archive).string();
  return cache + "/rootfs/.archives/" + plan::sha256_hex(absolute.data(), absolute.size());
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st;
}

// A stat key is trusted only once it is a second old (a write in the same timestamp tick as
// the hash could otherwise go unseen): tests that check the cheap path wait that long.
void let_the_key_settle() { std::this_thread::sleep_for(std::chrono::milliseconds(1100)); }

// A plan for `archive`, its own files under `scratch`.
std::string archive_plan(const ScratchDir& scratch, const std::string& archive, const std::string& name) {
  plan::Plan p = container_plan(archive);
  p.rootfs->kind = plan::RootfsKind::Archive;
  p.command = {"/bin/true"};
  return write_plan(p, scratch / (name + ".json"));
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
  EXPECT_EQ(probe_value(first.out, "pid"), "2");  // under plan-exec's init
  EXPECT_EQ(probe_value(first.out, "write:/etc/written-by-container"), "ok");  // the private upper layer
  EXPECT_EQ(probe_value(first.out, "exists:/etc/secret-in-rootfs"), "yes");
  ASSERT_EQ(cache_entries(cache).size(), 1u);
  const std::string entry = cache + "/rootfs/" + cache_entries(cache)[0];
  EXPECT_EQ(entry, cache + "/rootfs/" + sha256_of_file(archive));
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

  // A changed archive is a new entry, and the tree of its old version goes.
  write_text(scratch / "tree/etc/changed", "y");
  make_tarball(scratch / "tree", archive);
  auto third = run_plan_exec({plan_file, "--", "/home/probe", "exists", "/etc/changed"}, env);
  ASSERT_EQ(third.exit_code, 0) << third.summary();
  EXPECT_NE(third.err.find("unpacked"), std::string::npos);
  EXPECT_NE(third.err.find("plan-exec: rootfs: removed " + entry + ", the tree of its older version"),
            std::string::npos)
      << third.err;
  EXPECT_EQ(probe_value(third.out, "exists:/etc/changed"), "yes");
  EXPECT_EQ(cache_entries(cache), std::vector<std::string>{sha256_of_file(archive)});

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

// The second launch takes the tree on the archive's stat key alone: --dry-run says so, and the
// run leaves the record as it was. A touch (new mtime and ctime, same content) forces a hash,
// which finds the same tree; a second path to the same content shares it.
TEST(LauncherArchive, CachedLaunchChecksTheStatKeyAndHashesOnlyWhenItChanged) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts)";
  ScratchDir scratch("launcher-archive-key");
  build_rootfs(scratch / "tree");
  const std::string archive = scratch / "rootfs.tar.gz";
  make_tarball(scratch / "tree", archive);
  const std::string cache = scratch / "cache";
  const ProcessOptions env{{"PLAN_EXEC_CACHE_DIR=" + cache}};
  const std::string plan_file = archive_plan(scratch, archive, "plan");
  let_the_key_settle();

  auto dry_first = run_plan_exec({"--dry-run", plan_file}, env);
  ASSERT_EQ(dry_first.exit_code, 0) << dry_first.summary();
  EXPECT_NE(dry_first.out.find("hashed: first run of this archive path"), std::string::npos) << dry_first.out;
  auto first = run_plan_exec({plan_file}, env);
  ASSERT_EQ(first.exit_code, 0) << first.summary();
  const std::string record = record_of(cache, archive);
  const std::string sha = sha256_of_file(archive);
  ASSERT_TRUE(fs::exists(record)) << "no record of the archive's stat key";
  EXPECT_NE(read_text(record).find("sha256 " + sha + "\n"), std::string::npos) << read_text(record);
  EXPECT_EQ(read_text(record).find("recheck"), std::string::npos) << "the key was old enough to trust";
  const struct stat record_before = stat_of(record);

  auto dry_second = run_plan_exec({"--dry-run", plan_file}, env);
  ASSERT_EQ(dry_second.exit_code, 0) << dry_second.summary();
  EXPECT_NE(dry_second.out.find("rootfs tree " + cache + "/rootfs/" + sha +
                                " (archive unchanged since it was hashed (same device, inode, size, mtime, ctime): "
                                "not hashed)"),
            std::string::npos)
      << dry_second.out;
  auto second = run_plan_exec({plan_file}, env);
  ASSERT_EQ(second.exit_code, 0) << second.summary();
  EXPECT_EQ(second.err, "");
  const struct stat record_after = stat_of(record);
  EXPECT_EQ(record_after.st_ino, record_before.st_ino) << "the record was rewritten: the archive was hashed again";
  EXPECT_EQ(record_after.st_mtim.tv_nsec, record_before.st_mtim.tv_nsec);

  // touch: same content, new times.
  ASSERT_EQ(utimensat(AT_FDCWD, archive.c_str(), nullptr, 0), 0);
  auto dry_touched = run_plan_exec({"--dry-run", plan_file}, env);
  EXPECT_NE(dry_touched.out.find("hashed: the archive changed (device, inode, size, mtime or ctime)"),
            std::string::npos)
      << dry_touched.out;
  auto touched = run_plan_exec({plan_file}, env);
  ASSERT_EQ(touched.exit_code, 0) << touched.summary();
  EXPECT_EQ(touched.err.find("unpacked"), std::string::npos) << "same content, same tree: " << touched.err;
  EXPECT_NE(stat_of(record).st_ino, record_before.st_ino) << "the new key was not recorded";
  EXPECT_EQ(cache_entries(cache), std::vector<std::string>{sha});

  // Another path (a hard link) to the same content: its own record, the same tree.
  ASSERT_EQ(link(archive.c_str(), (scratch / "other.tar.gz").c_str()), 0);
  auto other = run_plan_exec({archive_plan(scratch, scratch / "other.tar.gz", "other")}, env);
  ASSERT_EQ(other.exit_code, 0) << other.summary();
  EXPECT_EQ(other.err.find("unpacked"), std::string::npos) << other.err;
  EXPECT_TRUE(fs::exists(record_of(cache, scratch / "other.tar.gz")));
  EXPECT_EQ(cache_entries(cache), std::vector<std::string>{sha});
}

// --prune-cache: a tree whose archive is gone goes, one a running container uses stays (and
// goes once that container ended), a tree no record names goes.
TEST(LauncherArchive, PruneRemovesStaleTreesAndKeepsTreesInUse) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts)";
  ScratchDir scratch("launcher-archive-prune");
  const auto before = snapshot_host();
  build_rootfs(scratch / "tree");
  const std::string gone = scratch / "gone.tar.gz", busy = scratch / "busy.tar.gz", kept = scratch / "kept.tar.gz";
  make_tarball(scratch / "tree", gone);
  write_text(scratch / "tree/etc/variant", "busy");
  make_tarball(scratch / "tree", busy);
  write_text(scratch / "tree/etc/variant", "kept");
  make_tarball(scratch / "tree", kept);
  const std::string gone_tree = sha256_of_file(gone), busy_tree = sha256_of_file(busy),
                    kept_tree = sha256_of_file(kept);
  const std::string cache = scratch / "cache";
  const ProcessOptions env{{"PLAN_EXEC_CACHE_DIR=" + cache}};
  for (const auto& archive : {gone, kept}) {
    auto r = run_plan_exec({archive_plan(scratch, archive, fs::path(archive).stem().string())}, env);
    ASSERT_EQ(r.exit_code, 0) << r.summary();
  }
  plan::Plan p = container_plan(busy);
  p.rootfs->kind = plan::RootfsKind::Archive;
  p.command = {"/bin/sh", "-c", "echo ready; exec sleep 60"};
  Background running({PLAN_EXEC_BIN, write_plan(p, scratch / "busy.json")}, env);
  ASSERT_TRUE(running.wait_for_output("ready", 10000));
  const std::string orphan(64, 'a');  // unpacked by some earlier plan-exec, no record names it
  fs::create_directories(cache + "/rootfs/" + orphan + "/etc");
  std::vector<std::string> all{busy_tree, gone_tree, kept_tree, orphan};
  std::sort(all.begin(), all.end());
  ASSERT_EQ(cache_entries(cache), all);
  fs::remove(gone);
  fs::remove(busy);  // its container still runs

  auto prune = run_plan_exec({"--prune-cache"}, env);
  ASSERT_EQ(prune.exit_code, 0) << prune.summary();
  const std::string root = cache + "/rootfs/";
  EXPECT_NE(prune.out.find("removed " + root + gone_tree + " (its archive " + gone + " is gone)"), std::string::npos)
      << prune.out;
  EXPECT_NE(prune.out.find("kept " + root + busy_tree + ": in use by a running container"), std::string::npos)
      << prune.out;
  EXPECT_NE(prune.out.find("removed " + root + orphan + " (no archive points at it)"), std::string::npos)
      << prune.out;
  EXPECT_EQ(prune.out.find(kept_tree), std::string::npos) << "its archive is there: " << prune.out;
  std::vector<std::string> left{busy_tree, kept_tree};
  std::sort(left.begin(), left.end());
  EXPECT_EQ(cache_entries(cache), left);

  ASSERT_EQ(kill(running.pid(), SIGKILL), 0);
  running.finish();
  auto again = run_plan_exec({"--prune-cache"}, env);
  ASSERT_EQ(again.exit_code, 0) << again.summary();
  EXPECT_NE(again.out.find("removed " + root + busy_tree), std::string::npos) << again.out;
  EXPECT_EQ(cache_entries(cache), std::vector<std::string>{kept_tree});
  auto still = run_plan_exec({archive_plan(scratch, kept, "kept-again")}, env);
  ASSERT_EQ(still.exit_code, 0) << still.summary();
  EXPECT_EQ(still.err.find("unpacked"), std::string::npos) << "prune removed a tree in use by an archive";
  EXPECT_EQ(new_entries(before.mounts, snapshot_host().mounts, scratch.path()), std::vector<std::string>{});
}

// On a terminal the unpack draws its progress in place and erases it; elsewhere it is silent
// (the tests above read stderr from a pipe). The one-second delay is set to 0 by the test-only
// switch so a small archive shows it.
TEST(LauncherArchive, UnpackProgressOnATerminalOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mounts)";
  ScratchDir scratch("launcher-archive-progress");
  build_rootfs(scratch / "tree");
  const std::string archive = scratch / "rootfs.tar.gz";
  make_tarball(scratch / "tree", archive);
  const std::string plan_file = archive_plan(scratch, archive, "plan");
  const std::string cache = scratch / "cache";
  auto piped = run_plan_exec({plan_file}, ProcessOptions{{"PLAN_EXEC_CACHE_DIR=" + cache, "PLAN_EXEC_TEST_PROGRESS_AFTER_MS=0"}});
  ASSERT_EQ(piped.exit_code, 0) << piped.summary();
  EXPECT_EQ(piped.err.find("unpacking"), std::string::npos) << piped.err;

  PtySession terminal({PLAN_EXEC_BIN, plan_file},
                      {"PLAN_EXEC_CACHE_DIR=" + scratch / "cache-tty", "PLAN_EXEC_TEST_PROGRESS_AFTER_MS=0"});
  EXPECT_EQ(terminal.finish(), 0) << terminal.output();
  const std::string& out = terminal.output();
  EXPECT_NE(out.find("\r\033[Kplan-exec: unpacking rootfs.tar.gz: "), std::string::npos) << out;
  EXPECT_NE(out.find("% of the archive, "), std::string::npos) << out;
  EXPECT_NE(out.find(" file"), std::string::npos) << out;
  const auto last_draw = out.rfind("plan-exec: unpacking");
  EXPECT_NE(out.find("\r\033[K", last_draw), std::string::npos) << "the progress line was not erased: " << out;

  // -q is errors only, on a terminal too: no progress and no note about the unpack.
  PtySession quiet({PLAN_EXEC_BIN, "-q", plan_file},
                   {"PLAN_EXEC_CACHE_DIR=" + scratch / "cache-quiet", "PLAN_EXEC_TEST_PROGRESS_AFTER_MS=0"});
  EXPECT_EQ(quiet.finish(), 0) << quiet.output();
  EXPECT_EQ(quiet.output().find("unpacking"), std::string::npos) << quiet.output();
  EXPECT_EQ(quiet.output().find("plan-exec:"), std::string::npos) << quiet.output();
  EXPECT_TRUE(std::filesystem::is_directory(scratch / "cache-quiet/rootfs")) << "the quiet run did not unpack";
}

}  // namespace
