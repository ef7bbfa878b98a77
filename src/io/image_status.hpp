#pragma once
// The per-image outcome codes stored in /status (documented in README.md).
#include <cstdint>
#include <string_view>

namespace imgshard::io {

enum class ImageStatus : std::uint8_t {
  ok = 0,
  unreadable = 1,      // missing, deleted, dangling link, permission denied, a directory, I/O error
  empty = 2,           // zero bytes
  unknown_format = 3,  // content is no image format imgshard decodes
  corrupt = 4,         // the decoder gave up (bad header, bad data)
  truncated = 5,       // data ends before the image does
  decoder_warning = 6, // decoded, but the decoder warned of damaged data (see --fail-on)
  too_large = 7,       // declared size over --max-pixels (decompression bomb guard)
  kernel_failed = 8,   // a pipeline step could not take this image (e.g. smaller than a crop)
};
// 255 in /status is no outcome but a row not written yet: store::kPendingStatus.

std::string_view status_name(ImageStatus status);

// --fail-on: which decoder complaints make an image fail (libvips' fail_on semantics).
enum class FailOn {
  warning,    // any decoder warning fails the image (default)
  truncated,  // only truncation fails; other recoverable warnings are accepted
  error,      // only errors fail; whatever decodes is accepted
};

}  // namespace imgshard::io
