#include "io/archive.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <minizip/unzip.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "io/bytes.hpp"
#include "io/read.hpp"

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

// minizip reads the central directory a few bytes at a time and seeks to each member's
// local header and back; with its stdio functions every such seek drops the 4 KiB buffer
// and reads it again. Two read windows instead, each refilled by one pread: one stays on
// the directory while the other follows the local headers.
class ZipReader {
 public:
  explicit ZipReader(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    struct stat st {};
    if (fd_ >= 0 && ::fstat(fd_, &st) == 0) size_ = std::uint64_t(st.st_size);
  }
  ~ZipReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  // minizip's I/O callbacks; the stream is this reader.
  zlib_filefunc64_def functions() {
    zlib_filefunc64_def f{};
    f.zopen64_file = [](voidpf self, const void*, int) -> voidpf {
      return static_cast<ZipReader*>(self)->fd_ >= 0 ? self : nullptr;
    };
    f.zread_file = [](voidpf self, voidpf, void* buf, uLong size) -> uLong {
      return uLong(static_cast<ZipReader*>(self)->read(static_cast<std::uint8_t*>(buf), size));
    };
    f.ztell64_file = [](voidpf self, voidpf) -> ZPOS64_T { return static_cast<ZipReader*>(self)->at_; };
    f.zseek64_file = [](voidpf self, voidpf, ZPOS64_T offset, int origin) -> long {
      auto* z = static_cast<ZipReader*>(self);
      z->at_ = (origin == ZLIB_FILEFUNC_SEEK_CUR ? z->at_ : origin == ZLIB_FILEFUNC_SEEK_END ? z->size_ : 0) + offset;
      return 0;
    };
    f.zclose_file = [](voidpf, voidpf) { return 0; };
    f.zerror_file = [](voidpf self, voidpf) { return static_cast<ZipReader*>(self)->failed_ ? 1 : 0; };
    f.opaque = this;
    return f;
  }
  std::uint64_t size() const { return size_; }
  // `size` bytes at `offset`, outside minizip's walk (its position is left as it is).
  bool read_at(std::uint64_t offset, std::uint8_t* out, std::size_t size) const {
    return pread_all(fd_, out, size, offset) == ssize_t(size);
  }

 private:
  static constexpr std::size_t kMinWindow = 1024, kMaxWindow = 256 * 1024;
  struct Window {
    std::uint64_t begin = 0;
    std::vector<std::uint8_t> bytes;
    std::uint64_t used = 0;  // for least-recently-used replacement
  };

  std::size_t read(std::uint8_t* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size && at_ < size_) {
      Window& w = window_for(at_);
      if (w.bytes.empty()) break;  // read error or end of file
      const std::size_t n = std::min<std::uint64_t>(size - done, w.begin + w.bytes.size() - at_);
      std::memcpy(out + done, w.bytes.data() + (at_ - w.begin), n);
      done += n;
      at_ += n;
    }
    return done;
  }
  // A read where a window ends continues it (the directory): that window is refilled with
  // twice as much, up to kMaxWindow. Any other miss (a local header) refills the least
  // recently used window with kMinWindow bytes: a header is 30 bytes plus its name.
  Window& window_for(std::uint64_t at) {
    ++clock_;
    for (auto& w : windows_)
      if (at >= w.begin && at < w.begin + w.bytes.size()) {
        w.used = clock_;
        return w;
      }
    Window* w = windows_[0].used <= windows_[1].used ? &windows_[0] : &windows_[1];
    std::size_t size = kMinWindow;
    for (auto& candidate : windows_)
      if (!candidate.bytes.empty() && at == candidate.begin + candidate.bytes.size()) {
        w = &candidate;
        size = std::min(2 * candidate.bytes.size(), kMaxWindow);
      }
    w->begin = at;
    w->used = clock_;
    w->bytes.resize(size);
    ssize_t n;
    do n = ::pread(fd_, w->bytes.data(), size, off_t(at));
    while (n < 0 && errno == EINTR);
    failed_ = failed_ || n < 0;
    w->bytes.resize(n > 0 ? std::size_t(n) : 0);
    return *w;
  }

  int fd_;
  std::uint64_t size_ = 0, at_ = 0, clock_ = 0;
  bool failed_ = false;
  std::array<Window, 2> windows_;
};

// Debian's minizip 1.1 never takes the 64-bit values of a ZIP64 extra field (it compares
// the placeholders with a 64-bit -1): sizes stay 0xFFFFFFFF, and a member whose local header
// lies past 4 GiB fails to open, its offset read as 0xFFFFFFFF. The field holds, in this
// order, the inflated size, the stored size and the header's offset, each only where the
// directory entry has 0xFFFFFFFF.
constexpr std::uint64_t kZip32Placeholder = 0xFFFFFFFFu;

struct Zip64Fields {
  std::optional<std::uint64_t> size, stored_size, header_offset;
};

Zip64Fields zip64_fields(std::span<const std::uint8_t> extra, const unz_file_info64& info) {
  Zip64Fields out;
  for (std::size_t at = 0; at + 4 <= extra.size();) {
    const auto field = le16(&extra[at]), length = le16(&extra[at + 2]);
    const std::size_t end = std::min(extra.size(), at + 4 + std::size_t(length));
    if (field == 0x0001) {
      std::size_t v = at + 4;
      const auto next = [&]() -> std::optional<std::uint64_t> {
        if (v + 8 > end) return std::nullopt;
        v += 8;
        return le64(&extra[v - 8]);
      };
      if (info.uncompressed_size == kZip32Placeholder) out.size = next();
      if (info.compressed_size == kZip32Placeholder) out.stored_size = next();
      out.header_offset = next();
      return out;
    }
    at = end;
  }
  return out;
}

// Where the data of the member at local header `offset` starts, when that header is one
// (signature, same name, same method); nullopt when not.
std::optional<std::uint64_t> zip_data_offset(const ZipReader& reader, std::uint64_t offset, std::string_view name,
                                             unsigned method) {
  std::array<std::uint8_t, 30> h{};
  if (!reader.read_at(offset, h.data(), h.size()) || le32(&h[0]) != 0x04034b50 || le16(&h[8]) != method)
    return std::nullopt;
  const std::size_t name_length = le16(&h[26]), extra_length = le16(&h[28]);
  std::string stored(name_length, '\0');
  if (name_length != name.size() ||
      !reader.read_at(offset + 30, reinterpret_cast<std::uint8_t*>(stored.data()), name_length) || stored != name)
    return std::nullopt;
  return offset + 30 + name_length + extra_length;
}

std::vector<ArchiveMember> index_zip(const std::string& path, const std::function<bool(std::string_view)>& wanted) {
  ZipReader reader(path);
  // An empty zip is its end record alone, at offset 0, where minizip does not look for one.
  std::array<std::uint8_t, 22> end{};
  if (reader.size() >= end.size() && reader.read_at(0, end.data(), end.size()) && le32(&end[0]) == 0x06054b50 &&
      le16(&end[10]) == 0 && end.size() + le16(&end[20]) == reader.size())
    return {};
  zlib_filefunc64_def io = reader.functions();
  const unzFile zip = unzOpen2_64(path.c_str(), &io);
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
  std::vector<std::uint8_t> extra(USHRT_MAX);
  std::uint64_t seen = 0, entry_size = 0;
  int r = unzGoToFirstFile(zip);
  for (; r == UNZ_OK; r = unzGoToNextFile(zip)) {
    ++seen;
    unz_file_info64 info{};
    if (unzGetCurrentFileInfo64(zip, &info, name.data(), uLong(name.size()), extra.data(), uLong(extra.size()),
                                nullptr, 0) != UNZ_OK)
      break;
    const auto zip64 = zip64_fields({extra.data(), std::min<std::size_t>(info.size_file_extra, extra.size())}, info);
    entry_size = 46 + info.size_filename + info.size_file_extra + info.size_file_comment;
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
    m.stored_size = zip64.stored_size.value_or(info.compressed_size);
    m.size = zip64.size.value_or(info.uncompressed_size);
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
      std::optional<std::uint64_t> data;
      if (unzOpenCurrentFile2(zip, &method, &level, 1) == UNZ_OK) {
        data = unzGetCurrentFileZStreamPos64(zip);
        unzCloseCurrentFile(zip);
      } else if (zip64.header_offset) {  // past 4 GiB: the header minizip could not find
        data = zip_data_offset(reader, *zip64.header_offset, raw, m.method);
      }
      m.kind = !data ? MemberKind::bad_header : m.method == 0 ? MemberKind::stored : MemberKind::deflated;
      m.offset = data.value_or(0);
    }
    members.push_back({std::move(member), m});
  }
  if (r != UNZ_END_OF_LIST_OF_FILE || seen != global.number_entry)
    throw ArchiveError(fmt::format("{}: damaged zip central directory (entry {} of {} unreadable)", path, seen,
                                   global.number_entry));
  // The end record counts entries in 16 bits: a writer without ZIP64 wraps the count past
  // 65535 and the walk ends early. More directory right after the last entry shows it.
  std::array<std::uint8_t, 4> next{};
  if (reader.read_at(unzGetOffset64(zip) + entry_size, next.data(), next.size()) && le32(next.data()) == 0x02014b50)
    throw ArchiveError(fmt::format("{}: its end record counts {} entries but its central directory holds more (over "
                                   "65535 members, written without ZIP64): re-pack it with a ZIP64 writer (zip 3, "
                                   "Python's zipfile)",
                                   path, global.number_entry));
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
  // Every file member, wanted or not, as a hard link's target: a link may name one that
  // `wanted` skips.
  std::unordered_map<std::string, MemberLocator> by_name;
  std::uint64_t data_end = 0;  // where the data of the last member with a size ends
  std::uint64_t headers = 0;
  archive_entry* entry = nullptr;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    // ARCHIVE_RETRY is a header that fails its checksum: libarchive would skip it and scan on
    // for the next one, dropping that member without a word.
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      // A tarball cut short inside its last member: keep what is whole; the cut member reads
      // short and gets `truncated`.
      if (r != ARCHIVE_RETRY && data_end > file_size) break;
      throw ArchiveError(fmt::format("{}: damaged tar archive after {} members: {}", path, headers,
                                     archive_error_string(a.get())));
    }
    ++headers;
    const char* raw = archive_entry_pathname(entry);
    if (!raw) continue;
    std::string member = normalize_member_name(raw);
    const auto type = archive_entry_filetype(entry);
    const char* hardlink = archive_entry_hardlink(entry);
    MemberLocator m;
    if (hardlink) {
      const auto it = by_name.find(normalize_member_name(hardlink));
      if (it != by_name.end())
        m = it->second;
      else
        m.kind = MemberKind::missing;
    } else if (type == AE_IFLNK) {
      m.kind = MemberKind::link;
    } else if (type == AE_IFREG) {
      m.offset = std::uint64_t(archive_filter_bytes(a.get(), 0));  // the header is consumed: data starts here
      m.stored_size = m.size = std::uint64_t(std::max<la_int64_t>(archive_entry_size(entry), 0));
      m.kind = archive_entry_sparse_count(entry) > 0 ? MemberKind::sparse : MemberKind::stored;
      data_end = m.offset + m.stored_size;
    }
    if (member.empty() || (type != AE_IFREG && type != AE_IFLNK && !hardlink)) continue;
    by_name.emplace(member, m);
    if (wanted(member)) members.push_back({std::move(member), m});
  }
  return members;
}

// ---- reading ----------------------------------------------------------------------------

// Deflate's densest code: a 258-byte match in one bit or so, so no stream inflates to more
// than about 1032 times its size.
constexpr std::uint64_t kDeflateMaxRatio = 1032;

// A raw deflate stream inflated into `out` (sized to the member), in steps: the header first.
class Inflater {
 public:
  Inflater(const std::vector<std::uint8_t>& packed, std::vector<std::uint8_t>& out) : packed_(packed), out_(out) {
    ready_ = inflateInit2(&z_, -MAX_WBITS) == Z_OK;
  }
  ~Inflater() {
    if (ready_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ready() const { return ready_; }
  bool ended() const { return code_ == Z_STREAM_END; }
  std::uint64_t produced() const { return out_done_; }

  // Inflates until `limit` bytes are out, the stream ends, or it fails. Returns false on failure.
  bool run(std::uint64_t limit) {
    while (code_ == Z_OK && out_done_ < limit) {
      z_.next_in = const_cast<Bytef*>(packed_.data() + in_done_);
      z_.avail_in = uInt(std::min<std::uint64_t>(packed_.size() - in_done_, UINT_MAX));
      z_.next_out = out_.data() + out_done_;
      z_.avail_out = uInt(std::min<std::uint64_t>(limit - out_done_, UINT_MAX));
      const uInt avail_in = z_.avail_in, avail_out = z_.avail_out;
      code_ = inflate(&z_, Z_NO_FLUSH);
      in_done_ += avail_in - z_.avail_in;
      out_done_ += avail_out - z_.avail_out;
    }
    return code_ == Z_OK || code_ == Z_STREAM_END;
  }
  // Finishes: the stream must end exactly at the member's size.
  ImageStatus finish(std::string& error) {
    if (run(out_.size()) && code_ == Z_OK && out_done_ == out_.size()) {
      // Output full: the stream may still hold its end-of-block bits.
      z_.avail_out = 0;
      code_ = inflate(&z_, Z_NO_FLUSH);
    }
    if (code_ == Z_STREAM_END && out_done_ == out_.size()) return ImageStatus::ok;
    if (code_ == Z_STREAM_END)
      error = fmt::format("corrupt zip member: inflates to {} bytes, its directory entry says {}", out_done_, out_.size());
    else if ((code_ == Z_BUF_ERROR || code_ == Z_OK) && out_done_ == out_.size())
      error = fmt::format("corrupt zip member: inflates to more than the {} bytes its directory entry says", out_.size());
    else if (code_ == Z_BUF_ERROR)
      error = fmt::format("corrupt zip member: its deflate stream ends after {} of {} bytes", out_done_, out_.size());
    else
      error = fmt::format("corrupt zip member: {}", z_.msg ? z_.msg : "bad deflate data");
    return ImageStatus::corrupt;
  }

 private:
  const std::vector<std::uint8_t>& packed_;
  std::vector<std::uint8_t>& out_;
  z_stream z_{};
  bool ready_ = false;
  int code_ = Z_OK;
  std::uint64_t in_done_ = 0, out_done_ = 0;
};

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

namespace {

// Why a member is not read, with its status; the reason is empty for the members that are
// (stored and deflated).
std::pair<ImageStatus, std::string> refusal(const std::string& archive, const MemberLocator& member) {
  using enum MemberKind;
  switch (member.kind) {
    case none: return {ImageStatus::unreadable, "not an archive member"};
    case encrypted: return {ImageStatus::unreadable, "encrypted zip member: imgshard reads no passwords"};
    case unsupported_method:
      return {ImageStatus::unreadable,
              fmt::format("zip member compressed with {} (method {}): only stored and deflated members are read",
                          zip_method_name(member.method), member.method)};
    case missing: return {ImageStatus::unreadable, fmt::format("no such member in {}", archive)};
    case link: return {ImageStatus::unreadable, "symbolic link inside an archive: not followed"};
    case sparse: return {ImageStatus::unreadable, "sparse tar member: its data is not stored in one piece"};
    case bad_header:
      return {ImageStatus::corrupt,
              "corrupt zip member: its local header is damaged or disagrees with the central directory"};
    case stored:
    case deflated: break;
  }
  return {ImageStatus::ok, ""};
}

}  // namespace

ImageStatus read_member(const std::string& archive, const MemberLocator& member, std::vector<std::uint8_t>& bytes,
                        std::string& error, const DecodeOptions& options) {
  if (auto [status, reason] = refusal(archive, member); !reason.empty()) {
    error = std::move(reason);
    return status;
  }
  if (std::max(member.size, member.stored_size) > options.max_file_bytes) {
    error = fmt::format("archive member is {} bytes, over --max-file-bytes {}", std::max(member.size, member.stored_size),
                        options.max_file_bytes);
    return ImageStatus::too_large;
  }
  const int fd = ::open(archive.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("cannot read archive {}: {}", archive, std::strerror(errno));
    return ImageStatus::unreadable;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const auto cut_short = [&](std::uint64_t there) {
    error = fmt::format("truncated archive member: the archive ends after {} of its {} bytes", there, member.stored_size);
    return ImageStatus::truncated;
  };
  // Sizes are the archive's word: one past its end (a cut tarball, or a lie) is found before
  // a buffer of that size is allocated.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && add_sat(member.offset, member.stored_size) > std::uint64_t(st.st_size))
    return cut_short(std::uint64_t(st.st_size) - std::min<std::uint64_t>(member.offset, std::uint64_t(st.st_size)));
  if (member.kind == MemberKind::deflated && member.size / kDeflateMaxRatio > member.stored_size) {
    error = fmt::format("corrupt zip member: its directory entry says {} bytes inflate to {}, more than deflate can make",
                        member.stored_size, member.size);
    return ImageStatus::corrupt;
  }
  const auto read_at = [&](std::vector<std::uint8_t>& into, std::uint64_t from, std::uint64_t to) {
    const ssize_t got = pread_all(fd, into.data() + from, to - from, member.offset + from);
    if (got < 0) {
      error = fmt::format("cannot read archive {}: {}", archive, std::strerror(errno));
      return ImageStatus::unreadable;
    }
    if (from + std::uint64_t(got) < to) {
      into.resize(from + std::uint64_t(got));
      return cut_short(from + std::uint64_t(got));
    }
    return ImageStatus::ok;
  };
  // The header first, as read_file does: a bomb's declared size is refused before the rest.
  const std::uint64_t head = std::min<std::uint64_t>(member.size, kHeaderBytes);
  const auto check_head = [&] {
    return member.size > head ? check_header({bytes.data(), std::size_t(head)}, options, error) : ImageStatus::ok;
  };
  if (member.kind == MemberKind::stored) {
    bytes.resize(member.size);
    if (const auto status = read_at(bytes, 0, head); status != ImageStatus::ok) return status;
    if (const auto status = check_head(); status != ImageStatus::ok) return status;
    if (const auto status = read_at(bytes, head, member.size); status != ImageStatus::ok) return status;
  } else {
    thread_local std::vector<std::uint8_t> packed;  // kept between members, like `bytes`
    packed.resize(member.stored_size);
    if (const auto status = read_at(packed, 0, member.stored_size); status != ImageStatus::ok) return status;
    bytes.resize(member.size);
    Inflater inflater(packed, bytes);
    if (!inflater.ready()) {
      error = "cannot inflate zip member: out of memory";
      return ImageStatus::unreadable;
    }
    if (inflater.run(head) && inflater.produced() == head && !inflater.ended())
      if (const auto status = check_head(); status != ImageStatus::ok) return status;
    if (const auto status = inflater.finish(error); status != ImageStatus::ok) return status;
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
