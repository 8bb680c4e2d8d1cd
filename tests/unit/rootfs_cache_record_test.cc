// SPDX-License-Identifier: Apache-2.0
// The archive cache's record of an archive path (stat key + content hash) and the unpack
// progress line: their text forms, and when a stat key is too fresh to trust.
#include <gtest/gtest.h>

#include "launcher/rootfs/archive_record.h"
#include "launcher/rootfs/unpack_progress.h"

using namespace launcher;

namespace {

const std::string kSha(64, 'c');

TEST(RootfsCacheRecord, RoundTripsAndRefusesTornOrForeignText) {
  ArchiveRecord record{"/srv/images/rootfs.tar.gz", StatKey{2049, 1234567, 429916160, 1700000000123456789,
                                                            1700000001987654321},
                       kSha, false};
  const std::string text = format_record(record);
  EXPECT_EQ(text,
            "path /srv/images/rootfs.tar.gz\nstat 2049 1234567 429916160 1700000000123456789 1700000001987654321\n"
            "sha256 " + kSha + "\n");
  auto parsed = parse_record(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path, record.path);
  EXPECT_EQ(parsed->key, record.key);
  EXPECT_EQ(parsed->sha256, kSha);
  EXPECT_FALSE(parsed->recheck);
  record.recheck = true;
  EXPECT_TRUE(parse_record(format_record(record))->recheck);

  EXPECT_FALSE(parse_record(text.substr(0, text.size() - 10))) << "torn: the hash is cut";
  EXPECT_FALSE(parse_record("path /a\nstat 1 2 3 4\nsha256 " + kSha + "\n")) << "a stat field missing";
  EXPECT_FALSE(parse_record("path /a\nstat 1 2 3 4 5\nsha256 ../../etc\n")) << "the hash names the tree directory";
  EXPECT_FALSE(parse_record("path a\nstat 1 2 3 4 5\nsha256 " + kSha + "\n")) << "not absolute";
  EXPECT_FALSE(parse_record("path /a\nstat 1 2 3 4 5\nsha256 " + kSha + "\nowner me\n")) << "unknown key";
  EXPECT_FALSE(parse_record(""));
}

TEST(RootfsCacheRecord, AKeyUnderASecondOldIsRacy) {
  const timespec now{1700000010, 500000000};
  const std::int64_t now_ns = 1700000010500000000;
  StatKey key;
  key.mtime_ns = now_ns - 5000000000;
  key.ctime_ns = now_ns - 2000000000;
  EXPECT_FALSE(racy_key(key, now));
  key.ctime_ns = now_ns - 900000000;  // changed 0.9 s before the hash
  EXPECT_TRUE(racy_key(key, now));
  key.ctime_ns = now_ns - 2000000000;
  key.mtime_ns = now_ns + 1000;  // in the future (another clock, or set by hand)
  EXPECT_TRUE(racy_key(key, now));
}

TEST(RootfsCacheRecord, ShaNamesAreLowercaseHex) {
  EXPECT_TRUE(is_sha256_hex(kSha));
  EXPECT_FALSE(is_sha256_hex(std::string(64, 'C')));
  EXPECT_FALSE(is_sha256_hex(std::string(63, 'c')));
  EXPECT_FALSE(is_sha256_hex(".mnt"));
}

TEST(RootfsCacheRecord, ProgressLine) {
  EXPECT_EQ(format_unpack_progress(45, 100, 192099123, 10234), "45% of the archive, 183.2 MiB in 10234 files");
  EXPECT_EQ(format_unpack_progress(200, 100, 0, 1), "100% of the archive, 0.0 MiB in 1 file");
  EXPECT_EQ(format_unpack_progress(5, 0, 1048576, 2), "1.0 MiB in 2 files");
}

}  // namespace
