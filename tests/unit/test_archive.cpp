// Archives read in place: indexing zip and tar, reading members back byte for byte, and
// every damaged case getting its status (or, for a damaged directory, an error).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <minizip/zip.h>
#include <unistd.h>
#include <zlib.h>

#include "io/archive.hpp"

namespace fs = std::filesystem;
using namespace imgshard::io;

namespace {

using Bytes = std::vector<std::uint8_t>;

// Compressible but not trivial: a deflated member spans several deflate blocks.
Bytes content(std::size_t size, unsigned seed) {
  Bytes b(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x = x * 1103515245u + 12345u;
    v = std::uint8_t((x >> 16) % 7 + 'a');
  }
  return b;
}

struct Entry {
  std::string name;
  Bytes data;
  int method = Z_DEFLATED;  // 0: stored
  const char* password = nullptr;
  std::string hardlink = {};  // tar: a hard link to this earlier member
};

void write_zip(const fs::path& path, const std::vector<Entry>& entries) {
  zipFile zip = zipOpen64(path.c_str(), 0);
  ASSERT_NE(zip, nullptr);
  for (const auto& e : entries) {
    zip_fileinfo info{};
    const uLong crc = crc32(0, e.data.data(), uInt(e.data.size()));
    ASSERT_EQ(zipOpenNewFileInZip3_64(zip, e.name.c_str(), &info, nullptr, 0, nullptr, 0, nullptr, e.method,
                                      e.method ? Z_DEFAULT_COMPRESSION : 0, 0, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                      e.password, crc, 0),
              ZIP_OK);
    if (!e.data.empty()) {
      ASSERT_EQ(zipWriteInFileInZip(zip, e.data.data(), unsigned(e.data.size())), ZIP_OK);
    }
    ASSERT_EQ(zipCloseFileInZip(zip), ZIP_OK);
  }
  ASSERT_EQ(zipClose(zip, nullptr), ZIP_OK);
}

void write_tar(const fs::path& path, const std::vector<Entry>& entries, bool gzip = false) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    const bool dir = e.name.ends_with('/');
    archive_entry_set_filetype(entry, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry, dir ? 0755 : 0644);
    archive_entry_set_size(entry, la_int64_t(e.data.size()));
    if (!e.hardlink.empty()) archive_entry_set_hardlink(entry, e.hardlink.c_str());
    ASSERT_EQ(archive_write_header(a, entry), ARCHIVE_OK);
    if (!e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

Bytes slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void spill(const fs::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Offset of the first zip record with this signature whose name field is `name`.
std::size_t find_record(const Bytes& zip, std::uint32_t signature, const std::string& name) {
  const std::size_t name_at = signature == 0x04034b50 ? 30 : 46;
  for (std::size_t i = 0; i + name_at + name.size() <= zip.size(); ++i) {
    std::uint32_t sig;
    std::memcpy(&sig, &zip[i], 4);
    if (sig == signature && std::memcmp(&zip[i + name_at], name.data(), name.size()) == 0) return i;
  }
  ADD_FAILURE() << "no record for " << name;
  return 0;
}

bool any(std::string_view) { return true; }

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("imgshard-archive-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::map<std::string, MemberLocator> index(const fs::path& archive) {
    std::map<std::string, MemberLocator> out;
    for (auto& m : index_archive(archive.string(), any)) out[m.name] = m.locator;
    return out;
  }
  ImageStatus read(const fs::path& archive, const MemberLocator& m, Bytes& bytes, std::string& error) {
    return read_member(archive.string(), m, bytes, error);
  }
  std::string index_error(const fs::path& archive) {
    try {
      index_archive(archive.string(), any);
    } catch (const ArchiveError& e) {
      return e.what();
    }
    return "";
  }
  fs::path root_;
};

}  // namespace

TEST(ArchiveNames, TypeByExtensionAndNormalisedMemberNames) {
  EXPECT_EQ(archive_type("a/Images.ZIP"), ArchiveType::zip);
  EXPECT_EQ(archive_type("x.tar"), ArchiveType::tar);
  for (auto name : {"x.tar.gz", "x.TGZ", "x.tar.bz2", "x.tar.xz", "x.tar.zst"})
    EXPECT_EQ(archive_type(name), ArchiveType::compressed_tar) << name;
  EXPECT_EQ(archive_type("x.gz"), ArchiveType::none);
  EXPECT_EQ(archive_type("x.jpg"), ArchiveType::none);
  EXPECT_EQ(normalize_member_name("./cat/1.jpg"), "cat/1.jpg");
  EXPECT_EQ(normalize_member_name("/./cat/1.jpg"), "cat/1.jpg");
  EXPECT_EQ(normalize_member_name("."), "");
}

TEST_F(ArchiveTest, ZipStoredAndDeflatedMembersReadBackExactly) {
  const std::vector<Entry> entries{{"cat/1.jpg", content(70000, 1), 0},
                                   {"cat/2.jpg", content(70000, 2), Z_DEFLATED},
                                   {"dir/", {}, 0},
                                   {"notes.txt", content(10, 3), 0}};
  write_zip(root_ / "a.zip", entries);
  const auto members = index_archive((root_ / "a.zip").string(), [](std::string_view n) { return n.ends_with(".jpg"); });
  ASSERT_EQ(members.size(), 2u);  // the directory and the .txt are not wanted
  EXPECT_EQ(members[0].name, "cat/1.jpg");
  EXPECT_EQ(members[0].locator.kind, MemberKind::stored);
  EXPECT_EQ(members[1].locator.kind, MemberKind::deflated);
  EXPECT_LT(members[1].locator.stored_size, members[1].locator.size);
  for (std::size_t i = 0; i < 2; ++i) {
    Bytes bytes;
    std::string error;
    EXPECT_EQ(read(root_ / "a.zip", members[i].locator, bytes, error), ImageStatus::ok) << error;
    EXPECT_EQ(bytes, entries[i].data) << members[i].name;
  }
}

TEST_F(ArchiveTest, SelfExtractingZipWithDataBeforeTheArchiveIsRead) {
  const Bytes data = content(20000, 7);
  write_zip(root_ / "a.zip", {{"d.jpg", data}, {"s.jpg", data, 0}});
  Bytes zip = content(3000, 9);  // a stub program before the archive
  const Bytes archive = slurp(root_ / "a.zip");
  zip.insert(zip.end(), archive.begin(), archive.end());
  spill(root_ / "sfx.zip", zip);
  for (const auto& [name, m] : index(root_ / "sfx.zip")) {
    Bytes bytes;
    std::string error;
    EXPECT_EQ(read(root_ / "sfx.zip", m, bytes, error), ImageStatus::ok) << name << ": " << error;
    EXPECT_EQ(bytes, data) << name;
  }
}

TEST_F(ArchiveTest, ZipCorruptMembersGetStatusNotException) {
  write_zip(root_ / "a.zip", {{"s.jpg", content(5000, 1), 0}, {"d.jpg", content(50000, 2)}});
  auto m = index(root_ / "a.zip");
  Bytes zip = slurp(root_ / "a.zip");
  zip[m["s.jpg"].offset + 100] ^= 0xff;                          // stored: only the CRC can tell
  zip[m["d.jpg"].offset + m["d.jpg"].stored_size / 2] ^= 0x55;  // deflated: inflate or the CRC tells
  spill(root_ / "a.zip", zip);
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read(root_ / "a.zip", m["s.jpg"], bytes, error), ImageStatus::corrupt);
  EXPECT_NE(error.find("CRC-32"), std::string::npos) << error;
  EXPECT_EQ(read(root_ / "a.zip", m["d.jpg"], bytes, error), ImageStatus::corrupt);
  EXPECT_TRUE(error.starts_with("corrupt zip member: ")) << error;
}

TEST_F(ArchiveTest, ZipMemberBeyondTheEndIsTruncated) {
  write_zip(root_ / "a.zip", {{"d.jpg", content(50000, 2)}});
  auto m = index(root_ / "a.zip")["d.jpg"];
  m.stored_size += 1u << 20;  // as a directory pointing past the archive's end would say
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read(root_ / "a.zip", m, bytes, error), ImageStatus::truncated);
  EXPECT_NE(error.find("truncated archive member"), std::string::npos) << error;
}

// Little-endian fields appended to a zip record.
struct Record {
  Bytes b;
  Record& u16(std::uint64_t v) { return put(v, 2); }
  Record& u32(std::uint64_t v) { return put(v, 4); }
  Record& u64(std::uint64_t v) { return put(v, 8); }
  Record& text(const std::string& s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Record& put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(std::uint8_t(v >> (8 * i)));
    return *this;
  }
};

// A zip of two stored members, the second with its local header past 4 GiB (a sparse file:
// a few KiB on disk), as Info-ZIP or Python write one: that member's directory entry holds
// 0xFFFFFFFF and a ZIP64 extra field with the offset, and ZIP64 end records follow.
void write_zip_past_4gib(const fs::path& path, const Bytes& a, const Bytes& b) {
  const std::uint64_t b_at = (1ull << 32) + 100;
  const auto local = [](const std::string& name, const Bytes& data) {
    Record r;
    r.u32(0x04034b50).u16(20).u16(0).u16(0).u16(0).u16(0x21);
    r.u32(crc32(0, data.data(), uInt(data.size()))).u32(data.size()).u32(data.size()).u16(name.size()).u16(0).text(name);
    r.b.insert(r.b.end(), data.begin(), data.end());
    return r.b;
  };
  const auto central = [](Record& r, const std::string& name, const Bytes& data, std::uint64_t at) {
    const bool far = at >= 0xFFFFFFFFu;
    r.u32(0x02014b50).u16(45).u16(45).u16(0).u16(0).u16(0).u16(0x21);
    r.u32(crc32(0, data.data(), uInt(data.size()))).u32(data.size()).u32(data.size());
    r.u16(name.size()).u16(far ? 12 : 0).u16(0).u16(0).u16(0).u32(0).u32(far ? 0xFFFFFFFFu : at).text(name);
    if (far) r.u16(1).u16(8).u64(at);
  };
  const Bytes first = local("a.jpg", a), second = local("b.jpg", b);
  Record dir;
  central(dir, "a.jpg", a, 0);
  central(dir, "b.jpg", b, b_at);
  const std::uint64_t dir_at = b_at + second.size(), end64_at = dir_at + dir.b.size();
  Record end;
  end.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(2).u64(2).u64(dir.b.size()).u64(dir_at);
  end.u32(0x07064b50).u32(0).u64(end64_at).u32(1);
  end.u32(0x06054b50).u16(0).u16(0).u16(2).u16(2).u32(dir.b.size()).u32(0xFFFFFFFFu).u16(0);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  for (const auto& [bytes, at] : {std::pair{&first, 0ull}, {&second, b_at}, {&dir.b, dir_at}, {&end.b, end64_at}})
    ASSERT_EQ(::pwrite(fd, bytes->data(), bytes->size(), off_t(at)), ssize_t(bytes->size()));
  ::close(fd);
}

TEST_F(ArchiveTest, ZipMemberPastFourGibIsRead) {
  // Debian's minizip keeps the 0xFFFFFFFF placeholder as the local header's offset: the
  // member was status 4, "its local header is damaged".
  write_zip_past_4gib(root_ / "big.zip", content(3000, 1), content(2000, 2));
  auto m = index(root_ / "big.zip");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m["b.jpg"].kind, MemberKind::stored);
  EXPECT_EQ(m["b.jpg"].offset, (1ull << 32) + 100 + 30 + 5);
  for (const auto& [name, data] : {std::pair{"a.jpg", content(3000, 1)}, {"b.jpg", content(2000, 2)}}) {
    Bytes bytes;
    std::string error;
    EXPECT_EQ(read(root_ / "big.zip", m[name], bytes, error), ImageStatus::ok) << name << ": " << error;
    EXPECT_EQ(bytes, data) << name;
  }
}

TEST_F(ArchiveTest, ZipWhoseEndRecordCountWrappedPast65535IsAnError) {
  // 65537 empty members and an end record that says 1 (65537 mod 65536), as writers without
  // ZIP64 leave it: minizip stopped after one member, and the rest vanished without a word.
  constexpr std::uint32_t kCount = 65537;
  Record files, dir;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const std::string name = fmt::format("{:05}.jpg", i);
    const std::uint64_t at = files.b.size();
    files.u32(0x04034b50).u16(20).u16(0).u16(0).u16(0).u16(0x21).u32(0).u32(0).u32(0).u16(name.size()).u16(0);
    files.text(name);
    dir.u32(0x02014b50).u16(20).u16(20).u16(0).u16(0).u16(0).u16(0x21).u32(0).u32(0).u32(0).u16(name.size());
    dir.u16(0).u16(0).u16(0).u16(0).u32(0).u32(at).text(name);
  }
  Record end;
  end.u32(0x06054b50).u16(0).u16(0).u16(kCount & 0xFFFF).u16(kCount & 0xFFFF).u32(dir.b.size()).u32(files.b.size());
  end.u16(0);
  Bytes zip = files.b;
  zip.insert(zip.end(), dir.b.begin(), dir.b.end());
  zip.insert(zip.end(), end.b.begin(), end.b.end());
  spill(root_ / "wrapped.zip", zip);
  const auto e = index_error(root_ / "wrapped.zip");
  EXPECT_NE(e.find("end record counts 1 entries but its central directory holds more"), std::string::npos) << e;
}

TEST_F(ArchiveTest, ZipBadLocalHeaderUnsupportedMethodAndEncryptionAreFlaggedWhenIndexed) {
  write_zip(root_ / "a.zip", {{"bad.jpg", content(1000, 1)},
                              {"bz.jpg", content(1000, 2)},
                              {"ok.jpg", content(1000, 3)},
                              {"secret.jpg", content(1000, 4), Z_DEFLATED, "pw"}});
  Bytes zip = slurp(root_ / "a.zip");
  zip[find_record(zip, 0x04034b50, "bad.jpg")] = 'X';  // local header signature
  for (std::uint32_t sig : {0x04034b50u, 0x02014b50u}) {
    const std::size_t at = find_record(zip, sig, "bz.jpg") + (sig == 0x04034b50u ? 8 : 10);
    zip[at] = 12;  // method 12: bzip2, in both headers
  }
  spill(root_ / "a.zip", zip);
  auto m = index(root_ / "a.zip");
  EXPECT_EQ(m["bad.jpg"].kind, MemberKind::bad_header);
  EXPECT_EQ(m["bz.jpg"].kind, MemberKind::unsupported_method);
  EXPECT_EQ(m["ok.jpg"].kind, MemberKind::deflated);
  EXPECT_EQ(m["secret.jpg"].kind, MemberKind::encrypted);
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read(root_ / "a.zip", m["bad.jpg"], bytes, error), ImageStatus::corrupt);
  EXPECT_EQ(read(root_ / "a.zip", m["bz.jpg"], bytes, error), ImageStatus::unreadable);
  EXPECT_NE(error.find("bzip2 (method 12)"), std::string::npos) << error;
  EXPECT_EQ(read(root_ / "a.zip", m["secret.jpg"], bytes, error), ImageStatus::unreadable);
  EXPECT_NE(error.find("encrypted"), std::string::npos) << error;
  EXPECT_EQ(read(root_ / "a.zip", m["ok.jpg"], bytes, error), ImageStatus::ok) << error;
}

TEST_F(ArchiveTest, EmptyZipHasNoMembers) {
  // What `zip` or Python's zipfile write for no members: minizip called it damaged.
  write_zip(root_ / "empty.zip", {});
  ASSERT_EQ(fs::file_size(root_ / "empty.zip"), 22u);
  EXPECT_EQ(index_error(root_ / "empty.zip"), "");
  EXPECT_TRUE(index(root_ / "empty.zip").empty());
}

TEST_F(ArchiveTest, ZipDamagedCentralDirectoryOrNoZipIsAnError) {
  write_zip(root_ / "a.zip", {{"a.jpg", content(1000, 1)}, {"b.jpg", content(1000, 2)}});
  Bytes zip = slurp(root_ / "a.zip");
  zip[find_record(zip, 0x02014b50, "b.jpg")] = 'X';  // second central directory entry
  spill(root_ / "a.zip", zip);
  EXPECT_NE(index_error(root_ / "a.zip").find("damaged zip central directory"), std::string::npos)
      << index_error(root_ / "a.zip");
  write_zip(root_ / "b.zip", {{"a.jpg", content(1000, 1)}});
  zip = slurp(root_ / "b.zip");
  zip.erase(zip.end() - 10, zip.end());  // the end record cut
  spill(root_ / "cut.zip", zip);
  EXPECT_NE(index_error(root_ / "cut.zip").find("damaged"), std::string::npos)
      << index_error(root_ / "cut.zip");
  spill(root_ / "text.zip", content(3000, 1));
  EXPECT_NE(index_error(root_ / "text.zip").find("not a zip archive"), std::string::npos);
  EXPECT_NE(index_error(root_ / "missing.zip").find("cannot open archive"), std::string::npos);
}

TEST_F(ArchiveTest, TarMembersReadBackWithLongNamesAndDotPrefix) {
  const std::string long_dir(150, 'd');
  const std::vector<Entry> entries{{"./cat/", {}},
                                   {"./cat/1.jpg", content(3000, 1)},
                                   {"./" + long_dir + "/2.jpg", content(700, 2)},
                                   {"./empty.jpg", {}}};
  write_tar(root_ / "a.tar", entries);
  const auto members = index_archive((root_ / "a.tar").string(), any);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].name, "cat/1.jpg");
  EXPECT_EQ(members[1].name, long_dir + "/2.jpg");  // a pax header: the data offset moves
  for (std::size_t i = 0; i < 2; ++i) {
    Bytes bytes;
    std::string error;
    EXPECT_EQ(members[i].locator.kind, MemberKind::stored);
    EXPECT_FALSE(members[i].locator.has_crc);
    EXPECT_EQ(read(root_ / "a.tar", members[i].locator, bytes, error), ImageStatus::ok) << error;
    EXPECT_EQ(bytes, entries[i + 1].data);
  }
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read(root_ / "a.tar", members[2].locator, bytes, error), ImageStatus::empty);
}

TEST_F(ArchiveTest, TarCutInsideItsLastMemberKeepsTheOthers) {
  write_tar(root_ / "a.tar", {{"a.jpg", content(3000, 1)}, {"b.jpg", content(30000, 2)}});
  Bytes tar = slurp(root_ / "a.tar");
  auto m = index(root_ / "a.tar");
  tar.resize(m["b.jpg"].offset + 1000);
  spill(root_ / "a.tar", tar);
  m = index(root_ / "a.tar");
  ASSERT_EQ(m.size(), 2u);
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read(root_ / "a.tar", m["a.jpg"], bytes, error), ImageStatus::ok) << error;
  EXPECT_EQ(read(root_ / "a.tar", m["b.jpg"], bytes, error), ImageStatus::truncated);
}

bool jpg(std::string_view name) { return name.ends_with(".jpg"); }

TEST_F(ArchiveTest, TarCutInsideALastMemberThatIsNoImageKeepsTheImages) {
  // Only the images are indexed: the cut was judged by the last of those, and refused.
  write_tar(root_ / "a.tar", {{"a.jpg", content(3000, 1)}, {"b.jpg", content(300, 2)}, {"notes.txt", content(30000, 3)}});
  Bytes tar = slurp(root_ / "a.tar");
  tar.resize(tar.size() - 20000);
  spill(root_ / "a.tar", tar);
  const auto members = index_archive((root_ / "a.tar").string(), jpg);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[1].name, "b.jpg");
}

TEST_F(ArchiveTest, TarHeaderFailingItsChecksumIsAnError) {
  // libarchive skips such a header and scans on: the member was dropped without a word.
  write_tar(root_ / "a.tar", {{"a.jpg", content(3000, 1)}, {"b.jpg", content(3000, 2)}, {"c.jpg", content(3000, 3)}});
  Bytes tar = slurp(root_ / "a.tar");
  const std::size_t header = index(root_ / "a.tar")["b.jpg"].offset - 512;
  tar[header] ^= 1;  // "b.jpg" becomes "c.jpg": its stored checksum no longer matches
  spill(root_ / "a.tar", tar);
  const auto e = index_error(root_ / "a.tar");
  EXPECT_NE(e.find("damaged tar archive after 1 members"), std::string::npos) << e;
}

TEST_F(ArchiveTest, TarHardLinkToAMemberThatIsNoImageReadsItsData) {
  write_tar(root_ / "a.tar", {{"raw/blob.dat", content(3000, 1)}, {"cat/1.jpg", {}, 0, nullptr, "raw/blob.dat"}});
  const auto members = index_archive((root_ / "a.tar").string(), jpg);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].locator.kind, MemberKind::stored);
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read(root_ / "a.tar", members[0].locator, bytes, error), ImageStatus::ok) << error;
  EXPECT_EQ(bytes, content(3000, 1));
}

TEST_F(ArchiveTest, ImpossibleMemberSizesAreRefusedBeforeAnyBufferOfThatSize) {
  // A size past the archive's end, or more than deflate can make of the stored bytes: the
  // read buffer was allocated (and zero-filled) at that size first.
  write_tar(root_ / "a.tar", {{"a.jpg", content(3000, 1)}});
  write_zip(root_ / "a.zip", {{"d.jpg", content(50000, 2)}});
  auto t = index(root_ / "a.tar")["a.jpg"];
  t.stored_size = t.size = ~0ull - 100;  // offset + size wraps past 2^64
  auto z = index(root_ / "a.zip")["d.jpg"];
  z.size = z.stored_size * 2000;
  Bytes bytes;
  std::string error;
  const DecodeOptions no_limit{.max_file_bytes = ~0ull};
  EXPECT_EQ(read_member((root_ / "a.tar").string(), t, bytes, error, no_limit), ImageStatus::truncated);
  EXPECT_NE(error.find("truncated archive member: the archive ends after"), std::string::npos) << error;
  EXPECT_EQ(read_member((root_ / "a.zip").string(), z, bytes, error, no_limit), ImageStatus::corrupt);
  EXPECT_NE(error.find("more than deflate can make"), std::string::npos) << error;
  EXPECT_LT(bytes.capacity(), 1u << 20);
}

TEST_F(ArchiveTest, CompressedTarballsAreRefusedByNameAndByContent) {
  write_tar(root_ / "a.tar.gz", {{"a.jpg", content(3000, 1)}}, true);
  EXPECT_NE(index_error(root_ / "a.tar.gz").find("decompress it first"), std::string::npos);
  fs::copy_file(root_ / "a.tar.gz", root_ / "disguised.tar");
  const auto e = index_error(root_ / "disguised.tar");
  EXPECT_NE(e.find("gzip-compressed tarball cannot be read in place"), std::string::npos) << e;
}

// A PNG whose header declares 100000 x 100000 pixels, padded past the header read first.
Bytes png_bomb(std::size_t size) {
  Bytes b{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
          0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0};
  const uLong crc = crc32(0, b.data() + 12, 17);
  for (int shift : {24, 16, 8, 0}) b.push_back(std::uint8_t(crc >> shift));
  b.resize(size, 0);
  return b;
}

TEST_F(ArchiveTest, MemberLimitsAsForFiles) {
  write_zip(root_ / "a.zip", {{"big.jpg", content(5000, 1), 0}, {"bomb.png", png_bomb(200000)}});
  auto m = index(root_ / "a.zip");
  Bytes bytes;
  std::string error;
  EXPECT_EQ(read_member((root_ / "a.zip").string(), m["big.jpg"], bytes, error, {.max_file_bytes = 4999}),
            ImageStatus::too_large);
  EXPECT_NE(error.find("over --max-file-bytes 4999"), std::string::npos) << error;
  // Refused from the first 64 KiB it inflates, before the rest.
  EXPECT_EQ(read_member((root_ / "a.zip").string(), m["bomb.png"], bytes, error), ImageStatus::too_large) << error;
  EXPECT_EQ(read_member((root_ / "a.zip").string(), m["bomb.png"], bytes, error, {.max_pixels = 20'000'000'000ull}),
            ImageStatus::ok)
      << error;
  EXPECT_EQ(bytes, png_bomb(200000));
}

TEST_F(ArchiveTest, NotATarIsAnError) {
  spill(root_ / "x.tar", content(3000, 1));
  EXPECT_FALSE(index_error(root_ / "x.tar").empty());
}
