#pragma once
// Recognising an image format from its first bytes, reading its declared size from the
// header before any pixel buffer is allocated, and checking its container (chunk lengths,
// CRCs, offsets) against the file's length before a decoder sees it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace imgshard::io {

enum class Format { unknown, jpeg, png, webp, tiff, bmp, pnm, gif };

std::string_view format_name(Format format);
Format sniff_format(std::span<const std::uint8_t> bytes);

struct DeclaredSize {
  std::uint64_t width = 0;
  std::uint64_t height = 0;
  // As stored: 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha or CMYK. A palette counts as
  // its colours (3, or 1 when every entry is grey), plus alpha when it has transparency.
  int channels = 3;
  // Pixels a decoder allocates at once beyond width x height: a TIFF's tile, which libtiff
  // inflates whole (a 16x16 image in one 16384x16384 deflate tile of zeros costs 1.2 GB).
  std::uint64_t buffer_pixels = 0;
};

// The size the header declares, or nullopt when the header is too short or unreadable.
// For JPEG, the first frame header (the decoder itself reads it with libjpeg).
std::optional<DeclaredSize> declared_size(Format format, std::span<const std::uint8_t> bytes);

// What the container alone tells, before decoding: cv::imdecode says nothing but "empty"
// when it fails, and nothing at all about what libpng only warns of.
struct ContainerCheck {
  enum class Verdict {
    ok,
    truncated,  // the file ends before the data its headers point to
    damaged,    // a defect the decoder recovers from with a warning (PNG: ancillary chunk CRC)
    corrupt,    // a defect the decoder fails on (PNG: critical chunk CRC)
  };
  Verdict verdict = Verdict::ok;
  std::string reason;  // one line, without the "truncated PNG: " prefix; empty when ok
};
// Not for JPEG (libjpeg tells truncation and damage itself) nor GIF.
ContainerCheck check_container(Format format, std::span<const std::uint8_t> bytes);

}  // namespace imgshard::io
