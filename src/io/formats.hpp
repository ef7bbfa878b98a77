#pragma once
// The image formats imgshard recognises, each declared once in its own file under formats/:
// its name, the extensions discovery takes, how its first bytes are recognised, the size
// its header declares (read before any pixel buffer is allocated) and the check of its
// container (chunk lengths, CRCs, offsets) against the file's length before a decoder sees it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/bytes.hpp"

namespace imgshard::io {

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

// One format, declared once. Every field but `name` and `sniff` may be left out.
struct ImageFormat {
  std::string_view name;                         // as messages say it: "truncated PNG: ..."
  std::span<const std::string_view> extensions;  // what discovery takes for it, lower case
  bool (*sniff)(Bytes first_bytes) = nullptr;    // whether a file starting so is this format
  // The size the header declares, or nullopt when the header is too short or unreadable.
  std::optional<DeclaredSize> (*size)(Bytes bytes) = nullptr;
  // The container against the file's length (none for JPEG: libjpeg tells truncation and
  // damage itself).
  ContainerCheck (*check)(Bytes bytes) = nullptr;
  bool decoded = true;  // false: recognised, and refused as unsupported (GIF)
};

// Each defined in formats/NAME.cpp; all_formats() lists them in the order they are sniffed.
// JPEG is the one libjpeg decodes directly; every other goes through cv::imdecode.
extern const ImageFormat jpeg_format, png_format, webp_format, tiff_format, bmp_format, pnm_format, gif_format;
const std::vector<const ImageFormat*>& all_formats();

// The format of a file from its first bytes; nullptr when none.
const ImageFormat* sniff_format(Bytes bytes);

// What discovery takes and the decoder decodes, from the declarations:
// "jpg jpeg png webp tif tiff bmp pgm ppm" and "JPEG, PNG, WebP, TIFF, BMP or PNM".
const std::string& image_extensions_text();
const std::string& decoded_formats_text();

// Whether the declared size is over `max_pixels` (then `error` says why, naming the
// format): checked on the header alone, so that a bomb is refused before it is decoded.
bool size_over_limit(std::string_view format, const DeclaredSize& declared, std::uint64_t max_pixels,
                     std::string& error);

}  // namespace imgshard::io
