#pragma once
// A temporary output file for the store's tests, removed with its journal after each test.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "store/output_file.hpp"

namespace fs = std::filesystem;
using namespace imgshard::store;

// Writes rows [begin, begin + count) from these buffers.
inline void write(OutputFile& file, std::uint64_t begin, std::uint64_t count,
                  const std::vector<std::uint8_t>& pixels, const std::vector<std::uint8_t>& status,
                  const std::vector<std::string>& errors, const std::vector<std::int32_t>& orig_shape) {
  file.write_rows({.begin = begin, .count = count, .pixels = pixels, .status = status, .errors = errors,
                   .orig_shape = orig_shape});
}

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
    // The catalog has a row per image: grow the four-image one with more of the same.
    while (paths_.size() < n) paths_.push_back("more.jpg");
    labels_.resize(paths_.size(), 0);
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
