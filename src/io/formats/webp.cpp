// WebP: the size from the VP8, VP8L or VP8X header; the RIFF length against the file's.
#include <fmt/format.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace {

bool sniff(Bytes b) { return starts_with(b, "RIFF") && starts_with(b, "WEBP", 8); }

std::optional<DeclaredSize> size(Bytes b) {
  if (b.size() < 30) return std::nullopt;
  if (starts_with(b, "VP8 ", 12) && b[23] == 0x9d && b[24] == 0x01 && b[25] == 0x2a)
    return DeclaredSize{std::uint64_t(le16(&b[26]) & 0x3fff), std::uint64_t(le16(&b[28]) & 0x3fff), 3};
  if (starts_with(b, "VP8L", 12) && b[20] == 0x2f) {
    // 14 bits width-1, 14 bits height-1, 1 bit alpha_is_used, 3 bits version.
    const std::uint32_t bits = le32(&b[21]);
    return DeclaredSize{(bits & 0x3fff) + 1ull, ((bits >> 14) & 0x3fff) + 1ull, (bits >> 28) & 1 ? 4 : 3};
  }
  if (starts_with(b, "VP8X", 12)) {
    const std::uint64_t w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const std::uint64_t h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return DeclaredSize{w, h, (b[20] & 0x10) ? 4 : 3};
  }
  return std::nullopt;
}

ContainerCheck check(Bytes b) {
  const std::uint64_t riff_end = 8 + std::uint64_t(le32(&b[4]));
  if (riff_end <= b.size()) return {};
  return {ContainerCheck::Verdict::truncated,
          fmt::format("its RIFF header declares {} bytes, the file has {}", riff_end, b.size())};
}

constexpr std::string_view kExtensions[] = {"webp"};

}  // namespace

constinit const ImageFormat webp_format{
    .name = "WebP", .extensions = kExtensions, .sniff = sniff, .size = size, .check = check};

}  // namespace imgshard::io
