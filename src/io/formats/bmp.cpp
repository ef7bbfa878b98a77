// BMP: the size and channels from the DIB header (and palette); the pixel rows against the
// file's length.
#include <cstdlib>

#include <fmt/format.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace {

using Verdict = ContainerCheck::Verdict;

// The compressions whose rows have a known length (the RLE ones have not).
enum Compression : std::uint32_t { kRgb = 0, kBitfields = 3, kAlphaBitfields = 6 };

// The declared size, and how the rows are laid out.
struct BmpHeader : DeclaredSize {
  int bpp = 0;
  std::uint32_t compression = 0;
};

// The DIB header sizes of the BMP variants (OS/2 1 and 2, Windows 3 to 5); anything else
// starting with "BM" is most likely text, not a bitmap.
bool known_bmp_header(std::uint32_t size) {
  for (std::uint32_t s : {12u, 16u, 40u, 52u, 56u, 64u, 108u, 124u})
    if (size == s) return true;
  return false;
}

bool sniff(Bytes b) { return starts_with(b, "BM") && b.size() >= 18 && known_bmp_header(le32(&b[14])); }

std::optional<BmpHeader> bmp_header(Bytes b) {
  if (b.size() < 26) return std::nullopt;
  const std::uint32_t header = le32(&b[14]);
  BmpHeader h;
  std::uint64_t colours_used = 0;
  if (header == 12) {
    h.width = le16(&b[18]);
    h.height = le16(&b[20]);
    h.bpp = le16(&b[24]);
  } else {
    if (b.size() < 30) return std::nullopt;
    h.width = std::uint64_t(std::llabs(std::int32_t(le32(&b[18]))));
    h.height = std::uint64_t(std::llabs(std::int32_t(le32(&b[22]))));  // negative: top-down rows
    h.bpp = le16(&b[28]);
    if (header >= 20 && b.size() >= 34) h.compression = le32(&b[30]);
    if (header >= 36 && b.size() >= 50) colours_used = le32(&b[46]);
  }
  if (h.bpp == 32) h.channels = 4;
  if (h.bpp >= 1 && h.bpp <= 8) {
    // BMP has no grey type: grey images are stored with a palette of greys, and OpenCV and
    // PIL read such a file as grey. A palette with any colour in it is colour.
    const std::size_t entry = header == 12 ? 3 : 4;
    const std::uint64_t full = 1ull << h.bpp;
    const std::uint64_t count = colours_used && colours_used < full ? colours_used : full;
    const std::uint64_t at = 14 + std::uint64_t(header);
    h.channels = 1;
    for (std::uint64_t i = 0; i < count && at + (i + 1) * entry <= b.size(); ++i) {
      const std::uint8_t* p = &b[at + i * entry];
      if (p[0] != p[1] || p[1] != p[2]) {
        h.channels = 3;
        break;
      }
    }
  }
  return h;
}

std::optional<DeclaredSize> size(Bytes b) {
  if (const auto h = bmp_header(b)) return *h;
  return std::nullopt;
}

ContainerCheck check(Bytes b) {
  const auto h = bmp_header(b);
  if (!h) return {Verdict::truncated, fmt::format("the file ends after {} bytes, inside its header", b.size())};
  const std::uint64_t offset = le32(&b[10]);
  if (offset > b.size())
    return {Verdict::truncated, fmt::format("pixels at byte {}, the file has {} bytes", offset, b.size())};
  if (h->compression == kRgb || h->compression == kBitfields || h->compression == kAlphaBitfields) {
    const std::uint64_t bits = mul_sat(h->width, std::uint64_t(h->bpp));
    const std::uint64_t stride = mul_sat(bits / 32 + (bits % 32 != 0), 4);  // rows are padded to 4 bytes
    const std::uint64_t end = add_sat(offset, mul_sat(stride, h->height));
    if (end > b.size())
      return {Verdict::truncated,
              fmt::format("{}x{} pixels need {} bytes, the file has {}", h->width, h->height, end, b.size())};
  }
  return {};
}

constexpr std::string_view kExtensions[] = {"bmp"};

}  // namespace

constinit const ImageFormat bmp_format{
    .name = "BMP", .extensions = kExtensions, .sniff = sniff, .size = size, .check = check};

}  // namespace imgshard::io
