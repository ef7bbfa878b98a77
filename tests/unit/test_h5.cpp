// The typed HDF5 layer: rows in and out by element type, attributes, groups, storage.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

#include "store/h5.hpp"
#include "store_test.hpp"

using namespace imgshard::store::h5;

TEST_F(StoreTest, RowsOfEachElementTypeComeBackAsWritten) {
  const File f = File::create(path_);
  const Dataset bytes = f.create_dataset<std::uint8_t>("bytes", {4, 2, 3});
  bytes.write_rows(1, std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});  // rows 1 and 2
  EXPECT_EQ(bytes.read_rows<std::uint8_t>(1, 2), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(bytes.read_rows<std::uint8_t>(3, 1), std::vector<std::uint8_t>(6, 0));
  EXPECT_EQ(bytes.dims(), (Dims{4, 2, 3}));
  EXPECT_FALSE(bytes.holds_floats());

  const Dataset floats = f.create_dataset<float>("floats", {3});
  floats.write_rows(0, std::vector<float>{0.5f, -1.25f, 3.0f});
  EXPECT_EQ(floats.read_rows<float>(1, 2), (std::vector<float>{-1.25f, 3.0f}));
  EXPECT_TRUE(floats.holds_floats());
  const Dataset doubles = f.create_dataset<double>("doubles", {1});
  doubles.write_rows(0, std::vector<double>{0.1});
  EXPECT_EQ(doubles.read_rows<double>(0, 1), std::vector<double>{0.1});
  const Dataset ints = f.create_dataset<std::int64_t>("ints", {2});
  ints.write_rows(0, std::vector<std::int64_t>{-1, std::int64_t(1) << 40});
  EXPECT_EQ(ints.read_rows<std::int64_t>(0, 2), (std::vector<std::int64_t>{-1, std::int64_t(1) << 40}));

  const Dataset strings = f.create_dataset<std::string>("strings", {3});
  strings.write_rows(1, std::vector<std::string>{"café", "bad\xff"});
  EXPECT_EQ(strings.read_rows<std::string>(0, 3), (std::vector<std::string>{"", "café", "bad\\xff"}));  // valid UTF-8
}

TEST_F(StoreTest, RowsThatAreNotWholeOrOutsideTheDatasetAreAStoreError) {
  const File f = File::create(path_);
  const Dataset shapes = f.create_dataset<std::int32_t>("shapes", {4, 3});
  EXPECT_THROW(shapes.write_rows(0, std::vector<std::int32_t>{1, 2}), StoreError);
  try {
    shapes.write_rows(3, std::vector<std::int32_t>(6, 1));  // rows 3 and 4 of 4
    FAIL() << "a row past the end was written";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("write /shapes", 0), 0u) << e.what();
  }
  shapes.write_rows(0, std::vector<std::int32_t>{});  // nothing: no error
}

TEST_F(StoreTest, EarlyStorageHoldsItsFillValueAndContiguousStorageHasAnOffset) {
  const File f = File::create(path_);
  const Dataset status = f.create_dataset<std::uint8_t>("status", {3}, {.early = true}, 255);
  EXPECT_EQ(status.read_rows<std::uint8_t>(0, 3), std::vector<std::uint8_t>(3, 255));
  const Dataset rows = f.create_dataset<std::uint8_t>("rows", {3, 2}, {.early = true, .never_fill = true});
  EXPECT_TRUE(rows.offset());
  const Dataset chunks = f.create_dataset<std::uint8_t>("chunks", {3, 2}, {.chunk = {1, 2}, .gzip_level = 4});
  EXPECT_FALSE(chunks.offset());
}

TEST_F(StoreTest, AttributesAreCreatedThenGivenNewValues) {
  const File f = File::create(path_);
  EXPECT_FALSE(f.has_attribute("name"));
  f.set_attribute("name", std::string("short"));
  f.set_attribute("name", std::string("a longer value"));
  f.set_attribute("count", std::int64_t{1});
  f.set_attribute("count", std::int64_t{-7});
  EXPECT_TRUE(f.has_attribute("name"));
  EXPECT_EQ(f.attribute("name").read_string(), "a longer value");
  EXPECT_EQ(f.attribute("count").read_int(), -7);
  EXPECT_THROW(f.attribute("missing"), StoreError);
}

TEST_F(StoreTest, GroupsAndDatasetsAreLinksThatCanBeRemoved) {
  File f = File::create(path_);
  {
    const Group g = f.create_group("timings");
    g.create_dataset<double>("wall", {2});
    g.set_attribute("unit", std::string("s"));
  }
  EXPECT_TRUE(f.exists("timings"));
  f.remove("timings");
  EXPECT_FALSE(f.exists("timings"));
  f.close();
  EXPECT_FALSE(f);
  f.close();  // closing twice is nothing
  EXPECT_THROW(File::create(path_), StoreError);  // never over an existing file
  const File again = File::open(path_, File::Mode::read_only);
  EXPECT_TRUE(again);
  EXPECT_THROW(again.dataset("timings"), StoreError);
}

TEST_F(StoreTest, OpeningWhatIsNoHdf5FileIsAStoreError) {
  std::ofstream(path_) << "not hdf5";
  EXPECT_THROW(File::open(path_, File::Mode::read_write), StoreError);
}

TEST(H5Object, AMovedFromObjectIsEmpty) {
  Dataspace a = Dataspace::simple({2, 3});
  EXPECT_EQ(a.dims(), (Dims{2, 3}));
  Dataspace b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): what a move leaves is the point
  EXPECT_TRUE(b);
  EXPECT_EQ(Dataspace::scalar().dims(), Dims{});
}

TEST_F(StoreTest, AnAbandonedFileStaysAsItsLastFlushLeftIt) {
  {
    File f = File::create(path_);
    f.create_dataset<std::string>("kept", {2}).write_rows(0, std::vector<std::string>{"a", "b"});
    f.flush();
    f.create_dataset<std::string>("dropped", {2}).write_rows(0, std::vector<std::string>{"c", "d"});
    f.set_attribute("complete", std::int64_t{1});
    f.abandon();
    EXPECT_FALSE(f);
  }
  const File f = File::open(path_, File::Mode::read_only);
  EXPECT_EQ(f.dataset("kept").read_rows<std::string>(0, 2), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(f.exists("dropped"));
  EXPECT_FALSE(f.has_attribute("complete"));
}

// The bytes of disk the file at `path` takes (holes take none).
static std::uint64_t allocated_bytes(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return std::uint64_t(st.st_blocks) * 512;
}

TEST_F(StoreTest, FlushAllocatesEveryBlockItMayWriteButTheSparseRows) {
  // A raw block HDF5 never writes, below the file's end: a hole, as the rows of /images are
  // until they come (and as the unused tail of an allocation block can be).
  File f = File::create(path_, 4096);
  f.create_dataset<std::string>("before", {2}).write_rows(0, std::vector<std::string>{"a", "b"});
  const Dataset rows = f.create_dataset<std::uint8_t>("rows", {256, 4096}, {.early = true, .never_fill = true});
  f.create_dataset<std::string>("after", {2}).write_rows(0, std::vector<std::string>{"c", "d"});
  const Extent sparse{*rows.offset(), rows.storage_bytes()};
  f.flush(sparse);
  const auto size = std::uint64_t(std::filesystem::file_size(path_));
  ASSERT_GE(size, sparse.offset + sparse.size) << "the rows lie below the file's end";
  if (allocated_bytes(path_) >= size) GTEST_SKIP() << "this file system has no holes";
  EXPECT_GE(allocated_bytes(path_), size - sparse.size) << "all but the sparse rows are on disk";
  f.flush();  // nothing sparse: all of it, the hole below the file's end included
  EXPECT_GE(allocated_bytes(path_), size);
}
