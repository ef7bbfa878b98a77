#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/decode.hpp"
#include "io/image_status.hpp"

namespace imgshard::io {

// How much of a file is read before the rest: enough for every header imgshard checks.
inline constexpr std::size_t kHeaderBytes = 64 * 1024;

// Reads a whole file into `bytes` (reused between calls), its header first: a file over
// options.max_file_bytes is never read, and one whose header declares more than
// options.max_pixels is refused after its first kHeaderBytes (both `too_large`). Other
// failures return `unreadable` or `empty` with a one-line reason that names the cause
// (missing, permission, directory...).
ImageStatus read_file(const std::string& path, std::vector<std::uint8_t>& bytes, std::string& error,
                      const DecodeOptions& options);

}  // namespace imgshard::io
