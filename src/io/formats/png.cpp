// PNG: the size and channels from IHDR (and tRNS), every chunk's length and CRC checked.
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "io/formats.hpp"

namespace imgshard::io {
namespace {

using Verdict = ContainerCheck::Verdict;

bool sniff(Bytes b) { return starts_with(b, "\x89PNG\r\n\x1a\n"); }

// CRC-32 as PNG computes it (zlib's polynomial); a table of our own rather than linking zlib
// for one function.
std::uint32_t crc32(const std::uint8_t* p, std::size_t n) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xffffffffu;
  while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::optional<DeclaredSize> size(Bytes b) {
  if (b.size() < 33 || !starts_with(b, "IHDR", 12)) return std::nullopt;
  const int type = b[25];
  static constexpr int kChannels[7] = {1, 0, 3, 3, 2, 0, 4};  // by colour type; a palette gives colour
  int channels = type <= 6 && kChannels[type] ? kChannels[type] : 3;
  if (type == 0 || type == 2 || type == 3) {
    // A tRNS chunk (before IDAT) gives grey, colour and palette images an alpha channel.
    for (std::uint64_t at = 8 + 12 + std::uint64_t(be32(&b[8])); at + 8 <= b.size();
         at = add_sat(at, 12 + std::uint64_t(be32(&b[at])))) {
      if (starts_with(b, "IDAT", at + 4) || starts_with(b, "IEND", at + 4)) break;
      if (starts_with(b, "tRNS", at + 4)) {
        channels = type == 0 ? 2 : 4;
        break;
      }
    }
  }
  return DeclaredSize{be32(&b[16]), be32(&b[20]), channels};
}

// Walks every chunk: lengths against the file's end, CRCs, up to IEND. libpng fails on a bad
// CRC in a critical chunk (upper-case first letter) and only warns about an ancillary one,
// which cv::imdecode then hides; bytes after IEND are never read by anyone.
ContainerCheck check(Bytes b) {
  std::string damaged;
  for (std::uint64_t at = 8;;) {
    if (at + 8 > b.size())
      return {Verdict::truncated, fmt::format("the file ends after {} bytes, before the IEND chunk", b.size())};
    const std::uint64_t length = be32(&b[at]);
    const std::string type(reinterpret_cast<const char*>(&b[at + 4]), 4);
    const std::uint64_t end = at + 12 + length;
    if (end > b.size())
      return {Verdict::truncated, fmt::format("chunk {} at byte {} needs {} bytes, the file has {}", type, at, end,
                                              b.size())};
    if (crc32(&b[at + 4], std::size_t(length) + 4) != be32(&b[end - 4])) {
      const bool critical = std::isupper(static_cast<unsigned char>(type[0]));
      if (critical) return {Verdict::corrupt, fmt::format("CRC error in chunk {} at byte {}", type, at)};
      if (damaged.empty()) damaged = fmt::format("CRC error in ancillary chunk {} at byte {} (libpng skips it)", type, at);
    }
    if (type == "IEND") break;
    at = end;
  }
  if (damaged.empty()) return {};
  return {Verdict::damaged, damaged};
}

constexpr std::string_view kExtensions[] = {"png"};

}  // namespace

constinit const ImageFormat png_format{
    .name = "PNG", .extensions = kExtensions, .sniff = sniff, .size = size, .check = check};

}  // namespace imgshard::io
