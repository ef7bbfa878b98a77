#pragma once
// Zip and tar archives read in place, without extracting anything to disk.
//
// Rank 0 indexes an archive once (index_archive): for each member its name and a
// MemberLocator, the few numbers any rank needs to read it on its own: where its bytes lie,
// how many, and how they are stored. The rank that processes a member opens the archive,
// reads that byte range (pread) and inflates it itself (read_member), so members travel as
// 32-byte locators, never as bytes through rank 0, and threads share nothing.
//
// Zip: minizip (zlib's contrib, Debian's libminizip) walks the central directory and gives
// each member's data position (unzGetCurrentFileZStreamPos64, the call GDAL's /vsizip/ reads
// in place with); stored and deflated members are read, the CRC-32 checked.
// Tar: libarchive walks the headers (ustar, pax, GNU); a member's data is contiguous.
// Compressed tarballs (.tar.gz, ...) cannot be read at random and are refused.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/decode.hpp"
#include "io/image_status.hpp"

namespace imgshard::io {

// An archive that cannot be indexed (not found, not a zip or tar, damaged central
// directory, compressed tarball). what() is one line naming the archive and the reason.
class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ArchiveType { none, zip, tar, compressed_tar };

// By the file name's extension, case-insensitive: .zip; .tar; .tar.gz .tgz .tar.bz2 .tbz2
// .tar.xz .txz .tar.zst .tar.lz4 ... (compressed_tar).
ArchiveType archive_type(std::string_view path);

// How a member's bytes are stored; the last kinds are members that cannot be read, found
// out while indexing, so the image gets its status without a read.
enum class MemberKind : std::uint8_t {
  none,                // not an archive member: a plain file
  stored,              // bytes as they are
  deflated,            // raw deflate stream (zip method 8)
  encrypted,           // zip traditional or AES encryption: no password is asked for
  unsupported_method,  // zip method other than 0 and 8 (`method` says which)
  missing,             // a CSV row names a member the archive does not hold
  link,                // a symbolic link stored in the archive (not followed)
  sparse,              // a sparse tar member (its data is not contiguous)
  bad_header,          // the zip local header is damaged or disagrees with the directory
};

struct MemberLocator {
  MemberKind kind = MemberKind::none;
  bool has_crc = false;            // zip: the directory's CRC-32 is checked after reading
  std::uint16_t method = 0;        // zip compression method, for messages
  std::uint32_t crc32 = 0;
  std::uint64_t offset = 0;        // first byte of the member's data in the archive
  std::uint64_t stored_size = 0;   // bytes at `offset`
  std::uint64_t size = 0;          // bytes of the member once inflated

  bool in_archive() const { return kind != MemberKind::none; }
};

struct ArchiveMember {
  std::string name;  // as stored, without a leading "./" or "/"
  MemberLocator locator;
};

// Every regular member whose (normalised) name `wanted` accepts, in archive order;
// directories are skipped. Throws ArchiveError.
std::vector<ArchiveMember> index_archive(const std::string& path, const std::function<bool(std::string_view)>& wanted);

// A member's name as /paths stores it: leading "./" and "/" removed.
std::string normalize_member_name(std::string_view name);

// Reads one member's bytes into `bytes` (reused between calls); thread-safe. As read_file
// does for files: a member over options.max_file_bytes is never read, and its header is
// checked against options.max_pixels before the rest is read or inflated (too_large). Other
// failures return their status (unreadable, truncated, corrupt, empty) and a one-line reason.
ImageStatus read_member(const std::string& archive, const MemberLocator& member, std::vector<std::uint8_t>& bytes,
                        std::string& error, const DecodeOptions& options = {});

}  // namespace imgshard::io
