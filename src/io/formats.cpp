#include "io/formats.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

namespace imgshard::io {
namespace {

bool starts_with(std::span<const std::uint8_t> b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::uint32_t be32(const std::uint8_t* p) { return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24); }
std::uint16_t le16(const std::uint8_t* p) { return std::uint16_t(p[0] | (p[1] << 8)); }

std::optional<DeclaredSize> png_size(std::span<const std::uint8_t> b) {
  if (b.size() < 26 || !starts_with(b, "IHDR", 12)) return std::nullopt;
  static constexpr int kChannels[7] = {1, 0, 3, 3, 2, 0, 4};  // by colour type; palette gives colour
  const int type = b[25];
  return DeclaredSize{be32(&b[16]), be32(&b[20]), type <= 6 && kChannels[type] ? kChannels[type] : 3};
}

std::optional<DeclaredSize> bmp_size(std::span<const std::uint8_t> b) {
  if (b.size() < 26) return std::nullopt;
  const std::uint32_t header = le32(&b[14]);
  if (header == 12) return DeclaredSize{le16(&b[18]), le16(&b[20]), 3};
  if (b.size() < 30) return std::nullopt;
  const auto width = std::int32_t(le32(&b[18])), height = std::int32_t(le32(&b[22]));
  return DeclaredSize{std::uint64_t(std::llabs(width)), std::uint64_t(std::llabs(height)), le16(&b[28]) == 32 ? 4 : 3};
}

std::optional<DeclaredSize> webp_size(std::span<const std::uint8_t> b) {
  if (b.size() < 30) return std::nullopt;
  if (starts_with(b, "VP8 ", 12) && b[23] == 0x9d && b[24] == 0x01 && b[25] == 0x2a)
    return DeclaredSize{std::uint64_t(le16(&b[26]) & 0x3fff), std::uint64_t(le16(&b[28]) & 0x3fff), 3};
  if (starts_with(b, "VP8L", 12) && b[20] == 0x2f) {
    const std::uint32_t bits = le32(&b[21]);
    return DeclaredSize{(bits & 0x3fff) + 1ull, ((bits >> 14) & 0x3fff) + 1ull, 4};
  }
  if (starts_with(b, "VP8X", 12)) {
    const std::uint64_t w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const std::uint64_t h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return DeclaredSize{w, h, (b[20] & 0x10) ? 4 : 3};
  }
  return std::nullopt;
}

std::optional<DeclaredSize> tiff_size(std::span<const std::uint8_t> b) {
  const bool little = b[0] == 'I';
  auto u16 = [&](std::size_t at) -> std::uint32_t { return little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]; };
  auto u32 = [&](std::size_t at) -> std::uint32_t { return little ? le32(&b[at]) : be32(&b[at]); };
  if (b.size() < 8) return std::nullopt;
  const std::size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return std::nullopt;
  const std::size_t entries = u16(ifd);
  DeclaredSize size;
  for (std::size_t i = 0; i < entries && ifd + 2 + 12 * (i + 1) <= b.size(); ++i) {
    const std::size_t e = ifd + 2 + 12 * i;
    const std::uint32_t tag = u16(e), type = u16(e + 2);
    const std::uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) size.width = value;
    if (tag == 257) size.height = value;
    if (tag == 277) size.channels = int(value);
  }
  if (size.width == 0 || size.height == 0) return std::nullopt;
  return size;
}

std::optional<DeclaredSize> pnm_size(std::span<const std::uint8_t> b) {
  // "P6 <ws> width <ws> height <ws> ...", '#' starts a comment to the end of the line.
  std::size_t at = 2;
  std::uint64_t numbers[2] = {0, 0};
  for (auto& n : numbers) {
    while (at < b.size() && (std::isspace(b[at]) || b[at] == '#')) {
      if (b[at] == '#')
        while (at < b.size() && b[at] != '\n') ++at;
      else
        ++at;
    }
    if (at >= b.size() || !std::isdigit(b[at])) return std::nullopt;
    while (at < b.size() && std::isdigit(b[at]) && n < (1ull << 40)) n = n * 10 + (b[at++] - '0');
  }
  const char kind = char(b[1]);
  return DeclaredSize{numbers[0], numbers[1], kind == '3' || kind == '6' ? 3 : 1};
}

}  // namespace

std::string_view format_name(Format format) {
  switch (format) {
    case Format::jpeg: return "JPEG";
    case Format::png: return "PNG";
    case Format::webp: return "WebP";
    case Format::tiff: return "TIFF";
    case Format::bmp: return "BMP";
    case Format::pnm: return "PNM";
    case Format::gif: return "GIF";
    case Format::unknown: break;
  }
  return "unknown";
}

Format sniff_format(std::span<const std::uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return Format::jpeg;
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return Format::png;
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return Format::webp;
  if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4))) return Format::tiff;
  if (starts_with(b, "BM") && b.size() >= 26) return Format::bmp;
  if (b.size() >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7' && std::isspace(b[2])) return Format::pnm;
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return Format::gif;
  return Format::unknown;
}

std::optional<DeclaredSize> declared_size(Format format, std::span<const std::uint8_t> bytes) {
  switch (format) {
    case Format::png: return png_size(bytes);
    case Format::bmp: return bmp_size(bytes);
    case Format::webp: return webp_size(bytes);
    case Format::tiff: return tiff_size(bytes);
    case Format::pnm: return pnm_size(bytes);
    default: return std::nullopt;
  }
}

}  // namespace imgshard::io
