// The output file: layout at creation, rows at their index, the checkpoint journal, resume.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "store/output_file.hpp"

namespace fs = std::filesystem;
using namespace imgshard::store;

namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("imgshard-store-" + std::to_string(::getpid()) + ".h5")).string();
    fs::remove(path_);
    fs::remove(journal_path(path_));
  }
  void TearDown() override {
    fs::remove(path_);
    fs::remove(journal_path(path_));
  }
  OutputFile make(std::uint64_t n) {
    OutputSpec spec;
    spec.count = n;
    spec.image_dims = {2, 3, 1};
    spec.string_attributes = {{"fingerprint", "abc"}};
    return OutputFile::create(path_, spec, {paths_, labels_, names_});
  }
  std::string path_;
  std::vector<std::string> paths_{"a.jpg", "b.jpg", "c.jpg", "d.jpg"};
  std::vector<std::int32_t> labels_{0, 1, 0, -1};
  std::vector<std::string> names_{"cat", "dog"};
};

}  // namespace

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
  file.write_rows(2, 2, pixels.data(), {0, 4}, {"", "corrupt JPEG: x"}, {2, 3, 3, 0, 0, 0});
  file.write_rows(0, 1, pixels.data(), {0}, {""}, {2, 3, 1});
  EXPECT_EQ(file.read_status(0, 4), (std::vector<std::uint8_t>{0, 255, 0, 4}));
  EXPECT_EQ(file.read_errors(2, 2), (std::vector<std::string>{"", "corrupt JPEG: x"}));
}

TEST_F(StoreTest, OnlyCheckpointedRowsAreJournaled) {
  {
    auto file = make(4);
    std::vector<std::uint8_t> pixels(6, 1);
    file.write_rows(1, 1, pixels.data(), {0}, {""}, {2, 3, 1});
    file.checkpoint();
    file.write_rows(3, 1, pixels.data(), {0}, {""}, {2, 3, 1});  // never checkpointed: a kill now loses it
  }
  auto again = OutputFile::reopen(path_);
  ASSERT_EQ(again.journaled().size(), 1u);
  EXPECT_EQ(again.journaled()[0].begin, 1u);
  EXPECT_EQ(again.journaled()[0].count, 1u);
  EXPECT_EQ(again.fingerprint(), "abc");
}

TEST_F(StoreTest, TornLastJournalLineIsNotTrusted) {
  { make(4); }
  std::ofstream(journal_path(path_)) << "0 2\n2 ";
  auto file = OutputFile::reopen(path_);
  ASSERT_EQ(file.journaled().size(), 1u);
  EXPECT_EQ(file.journaled()[0].count, 2u);
}

TEST_F(StoreTest, FinishMarksCompleteAndDropsTheJournal) {
  {
    auto file = make(4);
    std::vector<std::uint8_t> pixels(4 * 6, 1);
    file.write_rows(0, 4, pixels.data(), {0, 0, 0, 0}, {"", "", "", ""}, std::vector<std::int32_t>(12, 1));
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
