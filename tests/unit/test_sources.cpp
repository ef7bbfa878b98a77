// Discovery of datasets as they ship: CSV manifests (labels, metadata, --csv-root) and
// archives (member order, dirname labels), mixed with folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <minizip/zip.h>

#include "io/discover.hpp"

namespace fs = std::filesystem;
using namespace imgshard::io;

namespace {

using Strings = std::vector<std::string>;
using Labels = std::vector<std::int32_t>;

class SourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("imgshard-sources-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string file(const std::string& rel, const std::string& text = "x") {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << text;
    return (root_ / rel).string();
  }
  std::string zip(const std::string& rel, const Strings& members) {
    const std::string path = (root_ / rel).string();
    zipFile z = zipOpen64(path.c_str(), 0);
    for (const auto& m : members) {
      zip_fileinfo info{};
      zipOpenNewFileInZip64(z, m.c_str(), &info, nullptr, 0, nullptr, 0, nullptr, 0, 0, 0);
      zipWriteInFileInZip(z, m.data(), unsigned(m.size()));
      zipCloseFileInZip(z);
    }
    zipClose(z, nullptr);
    return path;
  }
  static Strings relatives(const Collection& c) {
    Strings r;
    for (const auto& i : c.images) r.push_back(i.relative);
    return r;
  }
  fs::path root_;
};

}  // namespace

TEST_F(SourcesTest, IntegerLabelsAreIdsWithEveryNameUpToTheLargest) {
  const auto csv = file("ids.csv", "path,label\na.jpg,10\nb.jpg,2\nc.jpg,\nd.jpg,0\n");
  const auto c = discover({"@" + csv}, DiscoverOptions{});
  EXPECT_EQ(c.labels, (Labels{10, 2, -1, 0}));  // an empty cell is unlabelled
  ASSERT_EQ(c.label_names.size(), 11u);
  EXPECT_EQ(c.label_names[10], "10");
  EXPECT_EQ(c.label_names[7], "7");  // a gap keeps its id's text
  EXPECT_EQ(c.label_source, "csv");
  EXPECT_EQ(relatives(c), (Strings{"a.jpg", "b.jpg", "c.jpg", "d.jpg"}));  // CSV order
  EXPECT_EQ(c.images[0].path, (root_ / "a.jpg").string());                  // relative to the CSV's folder
}

TEST_F(SourcesTest, NonIntegerOrHugeLabelsAreSortedNames) {
  const auto names = file("names.csv", "path,label\na.jpg,dog\nb.jpg,cat\nc.jpg,7\n");
  auto c = discover({"@" + names}, DiscoverOptions{});
  EXPECT_EQ(c.label_names, (Strings{"7", "cat", "dog"}));
  EXPECT_EQ(c.labels, (Labels{2, 1, 0}));
  const auto huge = file("huge.csv", "path,label\na.jpg,1\nb.jpg,99999999\n");
  c = discover({"@" + huge}, DiscoverOptions{});
  EXPECT_EQ(c.label_names, (Strings{"1", "99999999"}));
}

TEST_F(SourcesTest, MetadataIsPaddedAcrossInputsAndLabelsOverridable) {
  file("dir/x/1.jpg");
  const auto a = file("a.csv", "path,title,label\n1.jpg,one,p\n");
  const auto b = file("b.csv", "id,path\n7,2.jpg\n");
  auto c = discover({"@" + a, (root_ / "dir").string(), "@" + b}, DiscoverOptions{});
  ASSERT_EQ(c.meta.size(), 2u);
  EXPECT_EQ(c.meta[0].name, "title");
  EXPECT_EQ(c.meta[0].values, (Strings{"one", "", ""}));
  EXPECT_EQ(c.meta[1].name, "id");
  EXPECT_EQ(c.meta[1].values, (Strings{"", "", "7"}));
  EXPECT_EQ(c.labels, (Labels{0, -1, -1}));  // auto: CSV labels; images without a label cell are -1
  EXPECT_EQ(c.inputs, (Strings{"@" + a, (root_ / "dir").string(), "@" + b}));
  EXPECT_EQ(c.images[1].input, 1);
  EXPECT_EQ(c.images[2].input, 2);
  c = discover({"@" + a, (root_ / "dir").string()}, DiscoverOptions{.labels = LabelMode::dirname});
  EXPECT_EQ(c.label_source, "dirname");
  EXPECT_EQ(c.label_names, (Strings{fs::path(root_).filename().string(), "x"}));
}

TEST_F(SourcesTest, ArchiveMembersSortedAndLabelledByTheirFolder) {
  const auto z = zip("shop.zip", {"b/2.jpg", "top.png", "a/1.JPG", "notes.txt", "a/sub/"});
  const auto c = discover({z}, LabelMode::dirname);
  EXPECT_EQ(relatives(c), (Strings{"a/1.JPG", "b/2.jpg", "top.png"}));
  EXPECT_EQ(c.label_names, (Strings{"a", "b", "shop"}));  // the top level: the archive's name
  EXPECT_EQ(c.labels, (Labels{0, 1, 2}));
  for (const auto& image : c.images) {
    EXPECT_EQ(image.path, z);
    EXPECT_EQ(image.member.kind, MemberKind::stored);
  }
}

TEST_F(SourcesTest, ArchiveLabelsReadWindowsSeparatorsAndPutNamesThatClimbOutAtTheTop) {
  const auto z = zip("shop.zip", {"cat\\1.jpg", "../2.jpg", "dog/../3.jpg", "x/../../y/4.jpg"});
  const auto c = discover({z}, LabelMode::dirname);
  EXPECT_EQ(relatives(c), (Strings{"../2.jpg", "cat\\1.jpg", "dog/../3.jpg", "x/../../y/4.jpg"}));
  EXPECT_EQ(c.label_names, (Strings{"cat", "shop", "y"}));  // never "..", nor the archive for "cat\\1.jpg"
  EXPECT_EQ(c.labels, (Labels{1, 0, 1, 2}));
}

TEST_F(SourcesTest, CsvRootArchiveResolvesMembersAndMarksMissingOnes) {
  const auto z = zip("images.zip", {"p/1.jpg", "p/2.jpg", "q/3.jpg"});
  const auto csv = file("train.csv", "image,category\n./p/2.jpg,5\nq/3.jpg,1\nq/404.jpg,1\n");
  const auto c = discover({"@" + csv}, DiscoverOptions{.csv = {.path = "image", .label = "category"}, .csv_root = z});
  ASSERT_EQ(c.images.size(), 3u);
  EXPECT_EQ(c.images[0].relative, "./p/2.jpg");  // /paths keeps the cell as written
  EXPECT_EQ(c.images[0].member.kind, MemberKind::stored);
  EXPECT_EQ(c.images[2].member.kind, MemberKind::missing);
  EXPECT_EQ(c.labels, (Labels{5, 1, 1}));
}

TEST_F(SourcesTest, CsvRootArchiveWithANameTwiceReadsTheLastAsExtractingWould) {
  // `tar -r` (or zip's append) adds a newer copy under the same name: extraction keeps the
  // last one, and so does a manifest's lookup (it kept the first).
  const auto z = zip("dup.zip", {"p/1.jpg", "p/2.jpg", "p/1.jpg"});
  const auto members = index_archive(z, [](std::string_view) { return true; });
  ASSERT_EQ(members.size(), 3u);
  const auto csv = file("train.csv", "path\np/1.jpg\n");
  const auto c = discover({"@" + csv}, DiscoverOptions{.csv_root = z});
  ASSERT_EQ(c.images.size(), 1u);
  EXPECT_EQ(c.images[0].member.offset, members[2].locator.offset);
}

TEST_F(SourcesTest, BadManifestArchiveOrCsvRootIsADiscoveryError) {
  const auto bad = file("bad.csv", "file\nx.jpg\n");
  EXPECT_THROW(discover({"@" + bad}, DiscoverOptions{}), DiscoveryError);
  EXPECT_THROW(discover({file("x.tar.gz", "not really")}, DiscoverOptions{}), DiscoveryError);
  const auto ok = file("ok.csv", "path\nx.jpg\n");
  EXPECT_THROW(discover({"@" + ok}, DiscoverOptions{.csv_root = (root_ / "nowhere").string()}), DiscoveryError);
  EXPECT_THROW(discover({"@" + ok}, DiscoverOptions{.csv_root = file("plain.jpg")}), DiscoveryError);
  EXPECT_THROW(discover({(root_).string()}, DiscoverOptions{.csv_root = root_.string()}), DiscoveryError);
}
