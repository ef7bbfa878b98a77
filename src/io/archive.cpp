#include "io/archive.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <unordered_map>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <minizip/unzip.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace imgshard::io {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

constexpr std::string_view kCompressedTarSuffixes[] = {".tar.gz", ".tgz",   ".tar.bz2", ".tbz",     ".tbz2",
                                                       ".tar.xz", ".txz",   ".tar.zst", ".tzst",    ".tar.lz4",
                                                       ".tar.lz", ".tar.lzma", ".tlz",  ".tar.z",   ".taz"};

[[noreturn]] void refuse_compressed(const std::string& path, std::string_view compression) {
  throw ArchiveError(fmt::format(
      "{}: a {}compressed tarball cannot be read in place (its members have no fixed offsets): decompress it first "
      "(e.g. gunzip -k, xz -dk, zstd -d) and pass the .tar",
      path, compression.empty() ? std::string() : std::string(compression) + "-"));
}

// ---- zip: minizip walks the central directory ------------------------------------------

std::string_view zip_method_name(unsigned method) {
  switch (method) {
    case 1: return "shrink";
    case 6: return "implode";
    case 9: return "deflate64";
    case 12: return "bzip2";
    case 14: return "LZMA";
    case 93: return "zstd";
    case 95: return "xz";
    case 98: return "PPMd";
    case 99: return "AES";
    default: return "an unknown method";
  }
}

std::vector<ArchiveMember> index_zip(const std::string& path, const std::function<bool(std::string_view)>& wanted) {
  const unzFile zip = unzOpen64(path.c_str());
  if (!zip)
    throw ArchiveError(fmt::format("{}: not a zip archive, or its central directory is damaged (unreadable "
                                   "end-of-central-directory record)",
                                   path));
  const std::unique_ptr<void, int (*)(unzFile)> close(zip, unzClose);
  unz_global_info64 global{};
  if (unzGetGlobalInfo64(zip, &global) != UNZ_OK)
    throw ArchiveError(fmt::format("{}: damaged zip central directory", path));

  std::vector<ArchiveMember> members;
  if (global.number_entry == 0) return members;
  std::vector<char> name(std::size_t(USHRT_MAX) + 1);
  std::uint64_t seen = 0;
  int r = unzGoToFirstFile(zip);
  for (; r == UNZ_OK; r = unzGoToNextFile(zip)) {
    ++seen;
    unz_file_info64 info{};
    if (unzGetCurrentFileInfo64(zip, &info, name.data(), uLong(name.size()), nullptr, 0, nullptr, 0) != UNZ_OK)
      break;
    const std::string_view raw(name.data(), std::min<std::size_t>(info.size_filename, name.size() - 1));
    const bool unix_host = (info.version >> 8) == 3;
    const auto mode = mode_t(info.external_fa >> 16);
    if (raw.ends_with('/') || (unix_host && S_ISDIR(mode))) continue;
    std::string member = normalize_member_name(raw);
    if (member.empty() || !wanted(member)) continue;

    MemberLocator m;
    m.method = std::uint16_t(info.compression_method);
    m.has_crc = true;
    m.crc32 = std::uint32_t(info.crc);
    m.stored_size = info.compressed_size;
    m.size = info.uncompressed_size;
    if (unix_host && S_ISLNK(mode)) {
      m.kind = MemberKind::link;
    } else if (info.flag & 1) {
      m.kind = MemberKind::encrypted;
    } else if (m.method != 0 && m.method != Z_DEFLATED) {
      m.kind = MemberKind::unsupported_method;
    } else {
      // Raw open: reads and checks the local header (signature, method, sizes, name length)
      // against the directory, inflates nothing; the stream position is the data's offset.
      int method = 0, level = 0;
      if (unzOpenCurrentFile2(zip, &method, &level, 1) != UNZ_OK) {
        m.kind = MemberKind::bad_header;
      } else {
        m.offset = unzGetCurrentFileZStreamPos64(zip);
        m.kind = m.method == 0 ? MemberKind::stored : MemberKind::deflated;
        unzCloseCurrentFile(zip);
      }
    }
    members.push_back({std::move(member), m});
  }
  if (r != UNZ_END_OF_LIST_OF_FILE || seen != global.number_entry)
    throw ArchiveError(fmt::format("{}: damaged zip central directory (entry {} of {} unreadable)", path, seen,
                                   global.number_entry));
  return members;
}

// ---- tar: libarchive walks the headers -------------------------------------------------

// Small reads: a header is 512 bytes and libarchive skips member data with lseek, so a
// bigger block would mostly read image bytes that indexing never looks at.
constexpr std::size_t kTarBlock = 16 * 1024;

std::vector<ArchiveMember> index_tar(const std::string& path, const std::function<bool(std::string_view)>& wanted) {
  const std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_all(a.get());  // to name the compression of a tarball it refuses
  if (archive_read_open_filename(a.get(), path.c_str(), kTarBlock) != ARCHIVE_OK)
    throw ArchiveError(fmt::format("{}: {}", path, archive_error_string(a.get())));
  if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_NONE) refuse_compressed(path, archive_filter_name(a.get(), 0));
  struct stat st {};
  const std::uint64_t file_size = ::stat(path.c_str(), &st) == 0 ? std::uint64_t(st.st_size) : 0;

  std::vector<ArchiveMember> members;
  std::unordered_map<std::string, std::size_t> by_name;  // for hard links
  archive_entry* entry = nullptr;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      // A tarball cut short inside its last member: keep what is whole; the cut member reads
      // short and gets `truncated`.
      const bool last_cut = !members.empty() && members.back().locator.offset + members.back().locator.stored_size > file_size;
      if (last_cut) break;
      throw ArchiveError(fmt::format("{}: damaged tar archive after {} members: {}", path, members.size(),
                                     archive_error_string(a.get())));
    }
    const char* raw = archive_entry_pathname(entry);
    if (!raw) continue;
    std::string member = normalize_member_name(raw);
    const auto type = archive_entry_filetype(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    if (member.empty() || (type != AE_IFREG && type != AE_IFLNK && !hardlink) || !wanted(member)) continue;

    MemberLocator m;
    if (hardlink) {
      const auto it = by_name.find(normalize_member_name(hardlink));
      if (it != by_name.end())
        m = members[it->second].locator;
      else
        m.kind = MemberKind::missing;
    } else if (type == AE_IFLNK) {
      m.kind = MemberKind::link;
    } else {
      m.offset = std::uint64_t(archive_filter_bytes(a.get(), 0));  // the header is consumed: data starts here
      m.stored_size = m.size = std::uint64_t(std::max<la_int64_t>(archive_entry_size(entry), 0));
      m.kind = archive_entry_sparse_count(entry) > 0 ? MemberKind::sparse : MemberKind::stored;
    }
    by_name.emplace(member, members.size());
    members.push_back({std::move(member), m});
  }
  return members;
}

// ---- reading ----------------------------------------------------------------------------

// Reads up to `size` bytes at `offset`; returns the count (short at the end of the file), or
// -1 with errno.
ssize_t pread_all(int fd, std::uint8_t* out, std::uint64_t size, std::uint64_t offset) {
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, std::min<std::uint64_t>(size - done, 1u << 30), off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += std::uint64_t(n);
  }
  return ssize_t(done);
}

// Inflates exactly `member.size` bytes from a raw deflate stream.
ImageStatus inflate_member(const std::vector<std::uint8_t>& packed, const MemberLocator& member,
                           std::vector<std::uint8_t>& bytes, std::string& error) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
    error = "cannot inflate zip member: out of memory";
    return ImageStatus::unreadable;
  }
  const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  bytes.resize(member.size);
  std::uint64_t in = 0, out = 0;
  int r = Z_OK;
  while (r == Z_OK) {
    z.next_in = const_cast<Bytef*>(packed.data() + in);
    z.avail_in = uInt(std::min<std::uint64_t>(packed.size() - in, UINT_MAX));
    z.next_out = bytes.data() + out;
    z.avail_out = uInt(std::min<std::uint64_t>(bytes.size() - out, UINT_MAX));
    const uInt avail_in = z.avail_in, avail_out = z.avail_out;
    r = inflate(&z, Z_NO_FLUSH);
    in += avail_in - z.avail_in;
    out += avail_out - z.avail_out;
  }
  if (r == Z_STREAM_END && out == member.size) return ImageStatus::ok;
  if (r == Z_STREAM_END)
    error = fmt::format("corrupt zip member: inflates to {} bytes, its directory entry says {}", out, member.size);
  else if (r == Z_BUF_ERROR && out == member.size)
    error = fmt::format("corrupt zip member: inflates to more than the {} bytes its directory entry says", member.size);
  else if (r == Z_BUF_ERROR)
    error = fmt::format("corrupt zip member: its deflate stream ends after {} of {} bytes", out, member.size);
  else
    error = fmt::format("corrupt zip member: {}", z.msg ? z.msg : "bad deflate data");
  return ImageStatus::corrupt;
}

}  // namespace

ArchiveType archive_type(std::string_view path) {
  const std::string name = lower(path);
  for (auto suffix : kCompressedTarSuffixes)
    if (name.ends_with(suffix)) return ArchiveType::compressed_tar;
  if (name.ends_with(".zip")) return ArchiveType::zip;
  if (name.ends_with(".tar")) return ArchiveType::tar;
  return ArchiveType::none;
}

std::string normalize_member_name(std::string_view name) {
  while (true) {
    if (name.starts_with("./")) {
      name.remove_prefix(2);
    } else if (name.starts_with('/')) {
      name.remove_prefix(1);
    } else {
      break;
    }
  }
  return name == "." ? std::string() : std::string(name);
}

std::vector<ArchiveMember> index_archive(const std::string& path, const std::function<bool(std::string_view)>& wanted) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw ArchiveError(fmt::format("{}: cannot open archive: {}", path, std::strerror(errno)));
  switch (archive_type(path)) {
    case ArchiveType::zip: return index_zip(path, wanted);
    case ArchiveType::tar: return index_tar(path, wanted);
    case ArchiveType::compressed_tar: refuse_compressed(path, "");
    case ArchiveType::none: break;
  }
  throw ArchiveError(fmt::format("{}: not a .zip or .tar archive", path));
}

ImageStatus read_member(const std::string& archive, const MemberLocator& member, std::vector<std::uint8_t>& bytes,
                        std::string& error) {
  switch (member.kind) {
    case MemberKind::none:
      error = "not an archive member";
      return ImageStatus::unreadable;
    case MemberKind::encrypted:
      error = "encrypted zip member: imgshard reads no passwords";
      return ImageStatus::unreadable;
    case MemberKind::unsupported_method:
      error = fmt::format("zip member compressed with {} (method {}): only stored and deflated members are read",
                          zip_method_name(member.method), member.method);
      return ImageStatus::unreadable;
    case MemberKind::missing:
      error = fmt::format("no such member in {}", archive);
      return ImageStatus::unreadable;
    case MemberKind::link:
      error = "symbolic link inside an archive: not followed";
      return ImageStatus::unreadable;
    case MemberKind::sparse:
      error = "sparse tar member: its data is not stored in one piece";
      return ImageStatus::unreadable;
    case MemberKind::bad_header:
      error = "corrupt zip member: its local header is damaged or disagrees with the central directory";
      return ImageStatus::corrupt;
    case MemberKind::stored:
    case MemberKind::deflated:
      break;
  }
  const int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("cannot read archive {}: {}", archive, std::strerror(errno));
    return ImageStatus::unreadable;
  }
  // Deflated bytes go to a per-thread buffer, kept between members like `bytes`.
  thread_local std::vector<std::uint8_t> packed;
  std::vector<std::uint8_t>& target = member.kind == MemberKind::stored ? bytes : packed;
  target.resize(member.stored_size);
  const ssize_t got = pread_all(fd, target.data(), member.stored_size, member.offset);
  const int saved = errno;
  ::close(fd);
  if (got < 0) {
    error = fmt::format("cannot read archive {}: {}", archive, std::strerror(saved));
    return ImageStatus::unreadable;
  }
  if (std::uint64_t(got) < member.stored_size) {
    target.resize(std::size_t(got));
    error = fmt::format("truncated archive member: the archive ends after {} of its {} bytes", got, member.stored_size);
    return ImageStatus::truncated;
  }
  if (member.kind == MemberKind::deflated) {
    const auto status = inflate_member(packed, member, bytes, error);
    if (status != ImageStatus::ok) return status;
  }
  if (bytes.empty()) {
    error = "empty file";
    return ImageStatus::empty;
  }
  if (member.has_crc) {
    const auto crc = std::uint32_t(::crc32_z(::crc32(0, nullptr, 0), bytes.data(), bytes.size()));
    if (crc != member.crc32) {
      error = fmt::format("corrupt zip member: CRC-32 {:08x}, its directory entry says {:08x}", crc, member.crc32);
      return ImageStatus::corrupt;
    }
  }
  return ImageStatus::ok;
}

}  // namespace imgshard::io
