// CSV manifests: quoting, BOM, CRLF, line numbers in errors, column roles.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/manifest.hpp"

namespace fs = std::filesystem;
using namespace imgshard::io;

namespace {

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("imgshard-manifest-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv");
  }
  void TearDown() override { fs::remove(path_); }
  Manifest read(const std::string& text, const ManifestColumns& columns = {}) {
    std::ofstream(path_, std::ios::binary) << text;
    return read_manifest(path_.string(), columns);
  }
  // The message of the ManifestError that reading `text` throws ("" when none).
  std::string error_of(const std::string& text, const ManifestColumns& columns = {}) {
    try {
      read(text, columns);
    } catch (const ManifestError& e) {
      return e.what();
    }
    return "";
  }
  fs::path path_;
};

using Strings = std::vector<std::string>;

}  // namespace

TEST_F(ManifestTest, QuotedFieldsKeepCommasQuotesAndNewlines) {
  const auto m = read("path,label,title\n"
                      "a.jpg,cat,\"red, \"\"big\"\" cat\"\n"
                      "b.jpg,dog,\"two\nlines\"\n"
                      "c.jpg,cat,plain\n");
  EXPECT_EQ(m.header, (Strings{"path", "label", "title"}));
  EXPECT_EQ(m.columns[0], (Strings{"a.jpg", "b.jpg", "c.jpg"}));
  EXPECT_EQ(m.columns[2], (Strings{"red, \"big\" cat", "two\nlines", "plain"}));
  EXPECT_EQ(m.lines, (std::vector<std::uint64_t>{2, 3, 5}));  // the quoted newline moves c.jpg to line 5
  EXPECT_EQ(m.path_column, 0u);
  EXPECT_EQ(m.label_column, 1u);
}

TEST_F(ManifestTest, BomAndCrlfAreNotPartOfTheFields) {
  const auto m = read("\xEF\xBB\xBFpath,label\r\na.jpg,1\r\n\"b\r\nc.jpg\",2\r\n");
  EXPECT_EQ(m.header, (Strings{"path", "label"}));
  EXPECT_EQ(m.columns[0], (Strings{"a.jpg", "b\r\nc.jpg"}));  // inside quotes, CRLF is data
  EXPECT_EQ(m.columns[1], (Strings{"1", "2"}));
}

TEST_F(ManifestTest, SpacesAreKeptAndStrayQuotesAreErrors) {
  const auto m = read("path,title\n a.jpg , tablet \n");
  EXPECT_EQ(m.columns[0], (Strings{" a.jpg "}));
  EXPECT_EQ(m.columns[1], (Strings{" tablet "}));
  EXPECT_NE(error_of("path,title\na.jpg,ok\nb.jpg,5\" tablet\n").find("line 3: a quote inside an unquoted field"),
            std::string::npos);
  EXPECT_NE(error_of("path,title\na.jpg,\"x\"y\n").find("line 2: a quote"), std::string::npos);
}

TEST_F(ManifestTest, BlankLinesSkippedAndLastLineNeedsNoNewline) {
  const auto m = read("path\n\na.jpg\n\nb.jpg");
  EXPECT_EQ(m.columns[0], (Strings{"a.jpg", "b.jpg"}));
  EXPECT_EQ(m.lines, (std::vector<std::uint64_t>{3, 5}));
}

TEST_F(ManifestTest, ColumnsNamedByOptions) {
  const auto m = read("image,category,title\nx.jpg,3,t\n", {.path = "image", .label = "category"});
  EXPECT_EQ(m.path_column, 0u);
  EXPECT_EQ(m.label_column, 1u);
  EXPECT_EQ(read("path,title\nx.jpg,t\n").label_column, kNoColumn);  // no label column: no labels
}

TEST_F(ManifestTest, WrongFieldCountNamesTheRowsFirstLine) {
  const auto e = error_of("path,label\na.jpg,cat\n\"multi\nline.jpg\",dog\nb.jpg,cat,extra\n");
  EXPECT_NE(e.find(path_.string() + " line 5: 3 fields, but the header has 2 columns"), std::string::npos) << e;
  const auto multi = error_of("path,label\n\"multi\nline.jpg\"\n");
  EXPECT_NE(multi.find("line 2: 1 field,"), std::string::npos) << multi;
}

TEST_F(ManifestTest, HeaderErrorsAreLineOne) {
  EXPECT_NE(error_of("file,label\na.jpg,1\n").find("line 1: no column 'path' for the image paths (columns: file, label); "
                                                   "name it with --csv-path"),
            std::string::npos);
  EXPECT_NE(error_of("path,path\na,b\n").find("line 1: header: column 'path' appears twice"), std::string::npos);
  EXPECT_NE(error_of("path,,x\na,b,c\n").find("line 1: header: column 2 has no name"), std::string::npos);
  EXPECT_NE(error_of("path,a/b\na,b\n").find("line 1: header: column name 'a/b'"), std::string::npos);
  EXPECT_NE(error_of("path\na\n", {.label = "category", .label_required = true}).find("line 1: no label column 'category'"),
            std::string::npos);
  EXPECT_NE(error_of("path\na\n", {.path = "path", .label = "path"}).find("both the path and the label"), std::string::npos);
  EXPECT_NE(error_of("").find("line 1: no header row"), std::string::npos);
}

TEST_F(ManifestTest, EmptyPathAndUnclosedQuoteAreErrors) {
  EXPECT_NE(error_of("path,label\na.jpg,1\n,2\n").find("line 3: empty path (column 'path')"), std::string::npos);
  EXPECT_NE(error_of("path,label\na.jpg,1\nb.jpg,\"open\n").find("line 3: a quoted field is never closed"),
            std::string::npos);
}

TEST_F(ManifestTest, NulBytesAreErrorsWithTheirLine) {
  using namespace std::string_literals;
  // In a path the system would cut the name at the NUL; in the header two names would clash.
  EXPECT_NE(error_of("path,label\na.jpg,1\nb.png\0junk,2\n"s).find("line 3: a NUL byte"), std::string::npos);
  EXPECT_NE(error_of("path,a\0b,a\0c\nx.jpg,1,2\n"s).find("line 1: a NUL byte"), std::string::npos);
  EXPECT_NE(error_of("path,title\n\"a.jpg\",\"two\nli\0nes\"\n"s).find("line 3: a NUL byte"), std::string::npos);
}

TEST_F(ManifestTest, CarriageReturnAloneEndsALine) {
  // Old Mac Excel's "CSV (Macintosh)": libcsv read the rows, but every error said line 1.
  const auto m = read("path,label\ra.jpg,1\r\rb.jpg,2\r");
  EXPECT_EQ(m.columns[0], (Strings{"a.jpg", "b.jpg"}));
  EXPECT_EQ(m.lines, (std::vector<std::uint64_t>{2, 4}));
  EXPECT_NE(error_of("path,label\ra.jpg,1\rb.jpg\r").find("line 3: 1 field,"), std::string::npos);
}

TEST_F(ManifestTest, MissingFileIsAnError) {
  EXPECT_THROW(read_manifest("/nonexistent/imgshard/train.csv", {}), ManifestError);
}

TEST(ManifestInput, RecognisedByAtAndCsvExtension) {
  EXPECT_TRUE(is_manifest_input("@train.csv"));
  EXPECT_TRUE(is_manifest_input("@dir/Train.CSV"));
  EXPECT_FALSE(is_manifest_input("@list.txt"));
  EXPECT_FALSE(is_manifest_input("train.csv"));
}
