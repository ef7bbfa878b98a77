// Discovery: byte order, @lists, extensions, links, labels.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/discover.hpp"

namespace fs = std::filesystem;
using namespace imgshard::io;

namespace {

class DiscoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("imgshard-discover-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void touch(const std::string& rel) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << "x";
  }
  std::vector<std::string> relatives(const Collection& c) {
    std::vector<std::string> r;
    for (const auto& i : c.images) r.push_back(i.relative);
    return r;
  }
  fs::path root_;
};

}  // namespace

TEST_F(DiscoverTest, DirectoryIsSortedByByteOrderOfRelativePath) {
  for (auto name : {"b/2.jpg", "B/1.jpg", "a.png", "a/z.jpg", "a-b.jpg", "\xc3\xa9t\xc3\xa9.jpg", "Z.jpg"}) touch(name);
  const auto c = discover({root_.string()}, LabelMode::none);
  // '-' (0x2d) < '.' (0x2e) < '/' (0x2f) < 'B' < 'Z' < 'a' < 'b' < UTF-8 bytes (>= 0x80)
  EXPECT_EQ(relatives(c), (std::vector<std::string>{"B/1.jpg", "Z.jpg", "a-b.jpg", "a.png", "a/z.jpg", "b/2.jpg",
                                                    "\xc3\xa9t\xc3\xa9.jpg"}));
}

TEST_F(DiscoverTest, ExtensionsAreCaseInsensitiveAndOthersSkipped) {
  for (auto name : {"a.JPG", "b.Jpeg", "c.PNG", "d.webp", "e.TIF", "f.tiff", "g.bmp", "h.pgm", "i.ppm", "j.txt",
                    "k.gif", "noext"})
    touch(name);
  EXPECT_EQ(discover({root_.string()}, LabelMode::none).images.size(), 9u);
}

TEST_F(DiscoverTest, DirectoryNamedLikeAnImageIsWalkedNotTaken) {
  touch("x.jpg/inner.png");
  EXPECT_EQ(relatives(discover({root_.string()}, LabelMode::none)), (std::vector<std::string>{"x.jpg/inner.png"}));
}

TEST_F(DiscoverTest, SymlinksAreFollowedAndLoopsCut) {
  touch("real/a.jpg");
  fs::create_directory_symlink(root_ / "real", root_ / "linked");
  fs::create_directory_symlink(root_, root_ / "real" / "loop");
  fs::create_symlink(root_ / "real" / "a.jpg", root_ / "file-link.jpg");
  fs::create_symlink(root_ / "missing.jpg", root_ / "dangling.jpg");
  const auto r = relatives(discover({root_.string()}, LabelMode::none));
  // "real/loop" leads back to the root, which is open while it is walked: cut there.
  EXPECT_EQ(r, (std::vector<std::string>{"dangling.jpg", "file-link.jpg", "linked/a.jpg", "real/a.jpg"}));
}

TEST_F(DiscoverTest, ListFileKeepsItsOrderRelativeToItsFolder) {
  touch("imgs/b.jpg");
  touch("imgs/a.jpg");
  std::ofstream(root_ / "list.txt") << "imgs/b.jpg\n\nimgs/a.jpg\r\n";
  const auto c = discover({"@" + (root_ / "list.txt").string()}, LabelMode::none);
  ASSERT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.images[0].relative, "imgs/b.jpg");
  EXPECT_EQ(c.images[0].path, (root_ / "imgs/b.jpg").string());
  EXPECT_EQ(c.images[1].relative, "imgs/a.jpg");
}

TEST_F(DiscoverTest, ListFileByteOrderMarkIsNoPartOfTheFirstPath) {
  touch("imgs/a.jpg");
  touch("imgs/b.jpg");
  std::ofstream(root_ / "list.txt") << "\xEF\xBB\xBFimgs/a.jpg\r\n\xEF\xBB\xBFimgs/b.jpg\r\n";
  const auto c = discover({"@" + (root_ / "list.txt").string()}, LabelMode::none);
  ASSERT_EQ(c.images.size(), 2u);
  EXPECT_EQ(c.images[0].relative, "imgs/a.jpg");
  EXPECT_EQ(c.images[0].path, (root_ / "imgs/a.jpg").string());
  EXPECT_EQ(c.images[1].relative, "\xEF\xBB\xBFimgs/b.jpg") << "only the file's first bytes are a mark";
}

TEST_F(DiscoverTest, ListFileWithANulByteIsRefusedWithItsLine) {
  touch("imgs/a.jpg");
  touch("imgs/a.png");
  // The system would open "imgs/a.png" for this line, a file the list does not name.
  using namespace std::string_literals;
  std::ofstream(root_ / "list.txt", std::ios::binary) << "imgs/a.jpg\nimgs/a.png\0.jpg\n"s;
  try {
    discover({"@" + (root_ / "list.txt").string()}, LabelMode::none);
    FAIL() << "a list with a NUL byte was read";
  } catch (const DiscoveryError& e) {
    EXPECT_NE(std::string(e.what()).find("list.txt line 2: a NUL byte"), std::string::npos) << e.what();
  }
}

TEST_F(DiscoverTest, InputsConcatenateInCommandLineOrder) {
  touch("d2/a.jpg");
  touch("d1/z.jpg");
  touch("single.png");
  const auto c = discover({(root_ / "d2").string(), (root_ / "single.png").string(), (root_ / "d1").string()},
                          LabelMode::none);
  EXPECT_EQ(relatives(c), (std::vector<std::string>{"a.jpg", "single.png", "z.jpg"}));
}

TEST_F(DiscoverTest, LabelsComeFromParentFolderNamesSorted) {
  touch("dog/1.jpg");
  touch("cat/2.jpg");
  touch("cat/3.jpg");
  const auto c = discover({root_.string()}, LabelMode::dirname);
  EXPECT_EQ(c.label_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(c.labels, (std::vector<std::int32_t>{0, 0, 1}));
  const auto none = discover({root_.string()}, LabelMode::none);
  EXPECT_TRUE(none.label_names.empty());
  EXPECT_EQ(none.labels, (std::vector<std::int32_t>{-1, -1, -1}));
}

TEST_F(DiscoverTest, MissingInputAndNoImagesAreUsageErrors) {
  EXPECT_THROW(discover({(root_ / "nope").string()}, LabelMode::none), DiscoveryError);
  touch("readme.txt");
  EXPECT_THROW(discover({root_.string()}, LabelMode::none), DiscoveryError);
  EXPECT_THROW(discover({"@" + (root_ / "nolist.txt").string()}, LabelMode::none), DiscoveryError);
}
