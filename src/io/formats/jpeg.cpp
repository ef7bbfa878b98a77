// JPEG: the size of the first frame, read from a file's first bytes so that a bomb is refused
// before the rest is read. The decoder itself (io/jpeg_decoder.cpp) reads the header with
// libjpeg, and libjpeg tells truncation and damage: no container check here.
#include "io/formats.hpp"

namespace imgshard::io {
namespace {

// The markers the walk to the first frame header meets (ITU T.81, table B.1).
enum Marker : std::uint8_t {
  kTem = 0x01,
  kSof0 = 0xc0,   // SOF0..SOF15 are frame headers, but for these three:
  kDht = 0xc4,    // Huffman tables
  kJpg = 0xc8,    // reserved
  kDac = 0xcc,    // arithmetic coding conditions
  kSof15 = 0xcf,
  kRst0 = 0xd0,   // RST0..RST7, then SOI: no length
  kSoi = 0xd8,
  kEoi = 0xd9,
  kSos = 0xda,
  kFill = 0xff,
};

bool sniff(Bytes b) { return b.size() >= 3 && b[0] == 0xff && b[1] == kSoi && b[2] == 0xff; }

// The first frame header (SOFn), as jpeg_read_header takes it; nullopt when `b` ends before one.
std::optional<DeclaredSize> size(Bytes b) {
  if (b.size() < 4 || b[0] != 0xff || b[1] != kSoi) return std::nullopt;
  std::size_t at = 2;
  while (at + 4 <= b.size()) {
    if (b[at] != 0xff) return std::nullopt;
    const std::uint8_t marker = b[at + 1];
    if (marker == kFill) {
      ++at;
      continue;
    }
    if (marker == kTem || (marker >= kRst0 && marker <= kSoi)) {
      at += 2;
      continue;
    }
    if (marker == kEoi || marker == kSos) return std::nullopt;  // before a frame
    const std::size_t length = std::size_t(b[at + 2]) << 8 | b[at + 3];
    if (length < 2) return std::nullopt;
    if (marker >= kSof0 && marker <= kSof15 && marker != kDht && marker != kJpg && marker != kDac) {
      if (at + 10 > b.size()) return std::nullopt;
      const std::uint64_t height = std::uint64_t(b[at + 5]) << 8 | b[at + 6];
      const std::uint64_t width = std::uint64_t(b[at + 7]) << 8 | b[at + 8];
      return DeclaredSize{width, height, b[at + 9] == 1 ? 1 : 3};
    }
    at += 2 + length;
  }
  return std::nullopt;
}

constexpr std::string_view kExtensions[] = {"jpg", "jpeg"};

}  // namespace

constinit const ImageFormat jpeg_format{.name = "JPEG", .extensions = kExtensions, .sniff = sniff, .size = size};

}  // namespace imgshard::io
