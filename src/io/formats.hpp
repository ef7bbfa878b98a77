#pragma once
// Recognising an image format from its first bytes and reading its declared size from the
// header, before any pixel buffer is allocated.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace imgshard::io {

enum class Format { unknown, jpeg, png, webp, tiff, bmp, pnm, gif };

std::string_view format_name(Format format);
Format sniff_format(std::span<const std::uint8_t> bytes);

struct DeclaredSize {
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  int channels = 3;  // as stored: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha or CMYK
};

// The size the header declares, or nullopt when the header is too short or unreadable.
// JPEG is read by its decoder instead (jpeg_read_header is as cheap).
std::optional<DeclaredSize> declared_size(Format format, std::span<const std::uint8_t> bytes);

}  // namespace imgshard::io
