// Rank 0's side of the output: how a run opens it (new, resumed, complete, refused), the
// batches written on the writer thread, the failures read back.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include "store/batch_writer.hpp"
#include "store/buffer_pool.hpp"
#include "store/open_for_run.hpp"
#include "store_test.hpp"

namespace {

// Rows 0..count-1 of 2x3x1 images, every pixel `value`, all ok.
struct Unit {
  Unit(std::uint64_t begin_, std::uint64_t count_, std::uint8_t value)
      : begin(begin_), count(count_), pixels(count_ * 6, value), status(count_, 0), errors(count_),
        orig_shape(count_ * 3, 1) {}
  RowBatch rows() const { return {begin, count, pixels, {}, status, errors, orig_shape}; }
  std::uint64_t begin, count;
  std::vector<std::uint8_t> pixels, status;
  std::vector<std::string> errors;
  std::vector<std::int32_t> orig_shape;
};

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST(BufferPool, HandsOutEachBufferOnceAndWaitsForOneToComeBack) {
  BufferPool<int> pool(2);
  int& a = pool.acquire();
  int& b = pool.acquire();
  EXPECT_NE(&a, &b);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    int& c = pool.acquire();
    got = true;
    EXPECT_EQ(&c, &a);  // the one given back
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got);
  pool.release(a);
  waiter.join();
  EXPECT_TRUE(got);
}

TEST_F(StoreTest, BatchWriterWritesOnItsThreadAndHandsEachBatchBack) {
  auto file = make(8);
  std::atomic<int> handed_back{0};
  const Unit first(0, 4, 1), second(4, 4, 2);
  {
    BatchWriter writer(file, std::nullopt, 3600.0);  // no checkpoint before the end
    writer.post(first.rows(), [&] { ++handed_back; });
    writer.post(second.rows(), [&] { ++handed_back; });
    writer.drain();
    EXPECT_EQ(handed_back, 2);
    EXPECT_FALSE(writer.failed());
  }
  EXPECT_EQ(file.pending_rows(), 0u);
  EXPECT_TRUE(file.journaled().empty());  // written, not yet durable
  file.checkpoint();
  ASSERT_EQ(file.journaled().size(), 1u);  // two units, one merged range
  EXPECT_EQ(file.journaled()[0].count, 8u);
}

TEST_F(StoreTest, BatchWriterCheckpointsWhenItsTimeHasCome) {
  auto file = make(4);
  const Unit unit(1, 2, 1);
  BatchWriter writer(file, std::nullopt, 0.0);  // every batch
  writer.post(unit.rows(), [] {});
  writer.drain();
  ASSERT_EQ(file.journaled().size(), 1u);
  EXPECT_EQ(file.journaled()[0].begin, 1u);
}

TEST_F(StoreTest, BatchWriterHandsAFailedBatchBackAndDrainRethrows) {
  auto file = make(4);
  const Unit outside(3, 4, 1);  // rows 3..6 of a 4-row file
  bool handed_back = false;
  BatchWriter writer(file, std::nullopt, 3600.0);
  writer.post(outside.rows(), [&] { handed_back = true; });
  EXPECT_THROW(writer.drain(), StoreError);
  EXPECT_TRUE(handed_back);
  EXPECT_FALSE(writer.failed());  // drain() handed the error over
}

TEST_F(StoreTest, BatchWriterWithAPlacementWritesRowsStraightIntoTheFile) {
  auto file = make(4);
  const auto placement = file.row_placement();
  ASSERT_TRUE(placement);
  EXPECT_EQ(placement->row_bytes, 6u);
  const Unit unit(2, 2, 9);
  {
    BatchWriter writer(file, placement, 3600.0);
    writer.post(unit.rows(), [] {});
    writer.drain();
  }
  file.checkpoint();
  const std::string bytes = contents(path_);
  ASSERT_GE(bytes.size(), placement->offset + 4 * 6);
  EXPECT_EQ(bytes.substr(placement->offset + 2 * 6, 12), std::string(12, '\x09'));
  EXPECT_EQ(file.read_status(0, 4), (std::vector<std::uint8_t>{255, 255, 0, 0}));
}

TEST_F(StoreTest, JournalRangesComeBackSortedAndMerged) {
  auto file = make(64);
  const Journal journal(journal_path(path_), "abc");
  // Out of order, one overlapping, one adjacent, one apart.
  std::ofstream(journal_path(path_)) << journal.record({20, 4}) << "\n"
                                     << journal.record({0, 8}) << "\n"
                                     << journal.record({4, 8}) << "\n"
                                     << journal.record({12, 2}) << "\n";
  const auto ranges = journal.read(64);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].begin, 0u);
  EXPECT_EQ(ranges[0].count, 14u);
  EXPECT_EQ(ranges[1].begin, 20u);
  EXPECT_EQ(ranges[1].count, 4u);
}

TEST_F(StoreTest, FailuresAreEveryRowNeitherOkNorPendingWithItsPathAndReason) {
  auto file = make(70'000);  // more than one block of /status
  write(file, 0, 3, std::vector<std::uint8_t>(18), {0, 4, 0}, {"", "corrupt JPEG", ""}, std::vector<std::int32_t>(9));
  write(file, 66'000, 1, std::vector<std::uint8_t>(6), {3}, {"not an image"}, {0, 0, 0});
  const auto failures = file.failures();  // rows 3.. are pending: not failures
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0], (std::pair<std::uint64_t, std::string>{1, "b.jpg: corrupt JPEG"}));
  EXPECT_EQ(failures[1], (std::pair<std::uint64_t, std::string>{66'000, "more.jpg: not an image"}));
}

class OpenForRun : public StoreTest {
 protected:
  OpenedOutput open(IfExists if_exists, const std::string& fingerprint = "abc", std::uint64_t count = 4) {
    created_ = false;
    return open_for_run(path_, if_exists, fingerprint, count, [&] {
      created_ = true;
      return make(4);
    });
  }
  bool created_ = false;
};

TEST_F(OpenForRun, NoFileIsCreatedWhateverTheFlags) {
  for (auto if_exists : {IfExists::refuse, IfExists::replace}) {
    fs::remove(path_);
    const auto opened = open(if_exists);
    EXPECT_EQ(opened.outcome, OpenedOutput::created);
    EXPECT_TRUE(opened.file && created_);
    EXPECT_EQ(opened.message, "");
  }
  fs::remove(path_);
  const auto opened = open(IfExists::resume);  // said, then started
  EXPECT_EQ(opened.outcome, OpenedOutput::created);
  EXPECT_NE(opened.message.find("does not exist yet; starting a new run"), std::string::npos) << opened.message;
}

TEST_F(OpenForRun, AnExistingFileIsRefusedWithoutForceOrResume) {
  std::ofstream(path_) << "someone's file";
  const auto opened = open(IfExists::refuse);
  EXPECT_EQ(opened.outcome, OpenedOutput::refused);
  EXPECT_FALSE(opened.file || created_);
  EXPECT_NE(opened.message.find("pass --force to overwrite it or --resume to finish it"), std::string::npos);
  EXPECT_EQ(contents(path_), "someone's file");
}

TEST_F(OpenForRun, ForceReplacesAnExistingFile) {
  std::ofstream(path_) << "someone's file";
  EXPECT_EQ(open(IfExists::replace).outcome, OpenedOutput::created);
  EXPECT_TRUE(created_);
}

TEST_F(OpenForRun, ResumeLeavesWhatIsNoOutputOfThisRunAsItIs) {
  std::ofstream(path_) << "not hdf5";
  auto opened = open(IfExists::resume);
  EXPECT_EQ(opened.outcome, OpenedOutput::refused);
  EXPECT_NE(opened.message.find("cannot be opened as an imgshard output"), std::string::npos) << opened.message;
  EXPECT_EQ(contents(path_), "not hdf5");

  { make(4); }
  const std::string before = contents(path_);
  for (const auto& [fingerprint, count] : {std::pair<std::string, std::uint64_t>{"another run", 4}, {"abc", 5}}) {
    opened = open(IfExists::resume, fingerprint, count);
    EXPECT_EQ(opened.outcome, OpenedOutput::refused);
    EXPECT_NE(opened.message.find("other inputs or another pipeline or options"), std::string::npos);
    EXPECT_FALSE(created_);
  }
  EXPECT_EQ(contents(path_), before);
}

TEST_F(OpenForRun, ResumeOfACompleteFileHasNothingToDo) {
  {
    auto file = make(4);
    write(file, 0, 4, std::vector<std::uint8_t>(24), {0, 0, 0, 0}, {"", "", "", ""}, std::vector<std::int32_t>(12));
    file.finish();
  }
  const auto opened = open(IfExists::resume);
  EXPECT_EQ(opened.outcome, OpenedOutput::complete);
  EXPECT_FALSE(opened.file);
  EXPECT_NE(opened.message.find("is already complete (4 images); nothing to do"), std::string::npos);
}

TEST_F(OpenForRun, ResumeOfAnUnfinishedFileSaysWhatIsDone) {
  {
    auto file = make(4);
    write(file, 2, 2, std::vector<std::uint8_t>(12), {0, 0}, {"", ""}, std::vector<std::int32_t>(6));
    file.checkpoint();
    write(file, 0, 1, std::vector<std::uint8_t>(6), {0}, {""}, {0, 0, 0});  // not journaled: done again
  }
  const auto opened = open(IfExists::resume);
  EXPECT_EQ(opened.outcome, OpenedOutput::resumed);
  ASSERT_TRUE(opened.file);
  EXPECT_FALSE(created_);
  ASSERT_EQ(opened.done.size(), 1u);
  EXPECT_EQ(opened.done[0].begin, 2u);
  EXPECT_EQ(opened.done[0].count, 2u);
}
