// The output file: layout at creation, rows at their index, the checkpoint journal, resume.
#include <gtest/gtest.h>

#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/run_lock.hpp"
#include "store/utf8.hpp"
#include "store_test.hpp"

TEST_F(StoreTest, NewFileHasEveryRowPendingAndIsIncomplete) {
  auto file = make(4);
  EXPECT_EQ(file.count(), 4u);
  EXPECT_FALSE(file.complete());
  EXPECT_EQ(file.fingerprint(), "abc");
  EXPECT_EQ(file.read_status(0, 4), (std::vector<std::uint8_t>{255, 255, 255, 255}));
  EXPECT_EQ(file.read_paths(1, 2), (std::vector<std::string>{"b.jpg", "c.jpg"}));
  EXPECT_TRUE(file.journaled().empty());
}

TEST_F(StoreTest, RowsLandAtTheirIndexInAnyOrder) {
  auto file = make(4);
  std::vector<std::uint8_t> pixels(2 * 6, 7);
  write(file, 2, 2, pixels, {0, 4}, {"", "corrupt JPEG: x"}, {2, 3, 3, 0, 0, 0});
  write(file, 0, 1, pixels, {0}, {""}, {2, 3, 1});
  EXPECT_EQ(file.read_status(0, 4), (std::vector<std::uint8_t>{0, 255, 0, 4}));
  EXPECT_EQ(file.read_errors(2, 2), (std::vector<std::string>{"", "corrupt JPEG: x"}));
}

TEST_F(StoreTest, OnlyCheckpointedRowsAreJournaled) {
  {
    auto file = make(4);
    std::vector<std::uint8_t> pixels(6, 1);
    write(file, 1, 1, pixels, {0}, {""}, {2, 3, 1});
    file.checkpoint();
    write(file, 3, 1, pixels, {0}, {""}, {2, 3, 1});  // never checkpointed: a kill now loses it
  }
  auto again = OutputFile::reopen(path_);
  ASSERT_EQ(again.journaled().size(), 1u);
  EXPECT_EQ(again.journaled()[0].begin, 1u);
  EXPECT_EQ(again.journaled()[0].count, 1u);
  EXPECT_EQ(again.fingerprint(), "abc");
}

TEST_F(StoreTest, TornLastJournalLineIsNotTrusted) {
  {
    auto file = make(4);
    std::vector<std::uint8_t> pixels(2 * 6, 1);
    write(file, 0, 2, pixels, {0, 0}, {"", ""}, std::vector<std::int32_t>(6, 1));
    file.checkpoint();
  }
  const Journal journal(journal_path(path_), "abc");
  // A kill in the middle of the second record: only its first bytes reached the disk.
  std::ofstream(journal_path(path_), std::ios::app) << journal.record({2, 2}).substr(0, 5);
  auto file = OutputFile::reopen(path_);
  ASSERT_EQ(file.journaled().size(), 1u);
  EXPECT_EQ(file.journaled()[0].count, 2u);
}

TEST_F(StoreTest, RecordAppendedAfterATornOneIsNeitherLostNorMisread) {
  std::vector<std::uint8_t> pixels(6, 1);
  {
    auto file = make(64);
    write(file, 1, 1, pixels, {0}, {""}, {2, 3, 1});
    file.checkpoint();
  }
  // The torn fragment "1" of a record: the next run's record "4 4 ..." must not read as "14 4".
  std::ofstream(journal_path(path_), std::ios::app) << "1";
  {
    auto file = OutputFile::reopen(path_);
    std::vector<std::uint8_t> four(4 * 6, 1);
    write(file, 4, 4, four, {0, 0, 0, 0}, {"", "", "", ""}, std::vector<std::int32_t>(12, 1));
    file.checkpoint();
  }
  auto file = OutputFile::reopen(path_);
  const auto ranges = file.journaled();
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].begin, 1u);
  EXPECT_EQ(ranges[1].begin, 4u);
  EXPECT_EQ(ranges[1].count, 4u);
}

TEST_F(StoreTest, GarbledOrForeignJournalRecordsAreIgnored) {
  { make(64); }
  const Journal ours(journal_path(path_), "abc"), theirs(journal_path(path_), "another run");
  std::string good = ours.record({8, 8});
  std::string flipped = good;
  flipped[0] = '9';  // "98 8 <crc>": a bit flip in the range
  std::ofstream(journal_path(path_)) << "0 4\n" << flipped << "\n" << theirs.record({16, 4}) << "\n" << good << "\n";
  auto file = OutputFile::reopen(path_);
  const auto ranges = file.journaled();
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].begin, 8u);
  EXPECT_EQ(ranges[0].count, 8u);
}

TEST_F(StoreTest, FinishRefusesWhileRowsArePending) {
  {
    auto file = make(4);
    std::vector<std::uint8_t> pixels(2 * 6, 1);
    write(file, 0, 2, pixels, {0, 3}, {"", "corrupt"}, std::vector<std::int32_t>(6, 1));
    EXPECT_EQ(file.pending_rows(), 2u);
    EXPECT_THROW(file.finish(), StoreError);
  }
  EXPECT_FALSE(OutputFile::is_complete(path_));
}

TEST_F(StoreTest, CreateReplacesAnOldFileInsteadOfTruncatingIt) {
  std::ofstream(path_) << "an old output";
  const int reader = ::open(path_.c_str(), O_RDONLY);  // someone still reading the old one
  ASSERT_GE(reader, 0);
  { make(4); }
  char text[32] = {};
  EXPECT_EQ(::pread(reader, text, sizeof text - 1, 0), 13);
  EXPECT_STREQ(text, "an old output");
  ::close(reader);
}

TEST_F(StoreTest, CreateReplacesALinkAtThePathNeverItsTarget) {
  // The old output's data are freed in the background (a regular file only): a link at the
  // path is removed as the link it is, live or dangling, and nothing is written through it.
  const std::string target = path_ + ".target";
  std::ofstream(target) << "someone else's file";
  for (const bool dangling : {false, true}) {
    SCOPED_TRACE(dangling ? "dangling link" : "live link");
    if (dangling) fs::remove(target);
    fs::create_symlink(target, path_);
    { make(4); }
    EXPECT_FALSE(fs::is_symlink(path_));
    EXPECT_TRUE(OutputFile::read_state(path_));
    if (dangling) {
      EXPECT_FALSE(fs::exists(target)) << "the output was written through the dangling link";
    } else {
      std::ifstream in(target);
      EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "someone else's file");
    }
    fs::remove(path_);
    fs::remove(journal_path(path_));
  }
  fs::remove(target);
}

TEST_F(StoreTest, ReadStateSaysWhyAFileIsNotAnImgshardOutput) {
  std::ofstream(path_) << "not hdf5";
  std::string why;
  EXPECT_FALSE(OutputFile::read_state(path_, &why));
  EXPECT_FALSE(why.empty());
}

TEST_F(StoreTest, SecondRunLockOnOneOutputIsRefused) {
  {
    RunLock first(path_);
    try {
      RunLock second(path_);
      FAIL() << "a second lock on one output was granted";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("another imgshard run is writing"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(lock_path(path_)));
  RunLock again(path_);  // released with its holder
}

TEST_F(StoreTest, FinishMarksCompleteAndDropsTheJournal) {
  {
    auto file = make(4);
    std::vector<std::uint8_t> pixels(4 * 6, 1);
    write(file, 0, 4, pixels, {0, 0, 0, 0}, {"", "", "", ""}, std::vector<std::int32_t>(12, 1));
    file.finish();
  }
  EXPECT_TRUE(OutputFile::is_complete(path_));
  EXPECT_FALSE(fs::exists(journal_path(path_)));
}

TEST_F(StoreTest, UnreadableFileIsNotCompleteAndCannotBeReopened) {
  std::ofstream(path_) << "not hdf5";
  EXPECT_FALSE(OutputFile::is_complete(path_));
  EXPECT_THROW(OutputFile::reopen(path_), StoreError);
}

TEST(Utf8Text, ValidUtf8WithoutBackslashIsKeptAsItIs) {
  EXPECT_EQ(utf8_text("cat/café 日本 🙂.jpg", true), "cat/café 日本 🙂.jpg");
}

TEST(Utf8Text, InvalidBytesAreEscapedAndBackslashDoubledWhenReversible) {
  EXPECT_EQ(utf8_text("a\xff\\b.jpg", true), "a\\xff\\\\b.jpg");
  EXPECT_EQ(utf8_text("a\xff\\b.jpg", false), "a\\xff\\b.jpg");
  // Overlong '/', a lone surrogate, a cut sequence: none is UTF-8.
  EXPECT_EQ(utf8_text("\xc0\xaf", false), "\\xc0\\xaf");
  EXPECT_EQ(utf8_text("\xed\xa0\x80", false), "\\xed\\xa0\\x80");
  EXPECT_EQ(utf8_text("x\xe6\x97", false), "x\\xe6\\x97");
  // HDF5 would end the string at a NUL (two zip members "a\0b" and "a\0c" both read "a").
  EXPECT_EQ(utf8_text(std::string_view("a\0b", 3), true), "a\\x00b");
}

TEST_F(StoreTest, PathsThatAreNotUtf8AreStoredAsValidUtf8) {
  paths_ = {"ok.jpg", "bad\xfe.jpg", "back\\slash.jpg", "d.jpg"};
  auto file = make(4);
  EXPECT_EQ(file.read_paths(0, 4),
            (std::vector<std::string>{"ok.jpg", "bad\\xfe.jpg", "back\\\\slash.jpg", "d.jpg"}));
}
