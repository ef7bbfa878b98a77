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

// How much of a file prefetch asks for: a whole image as datasets ship them, but not a
// gigabyte of garbage named .jpg that read_file refuses after its header.
inline constexpr std::int64_t kPrefetchBytes = 64 << 20;

// Asks the kernel to start reading a file (its first kPrefetchBytes) into the page cache and
// returns at once, so that on a cold cache or a network file system the files of a unit
// arrive while its first images decode, instead of one disk wait per image. Only a hint: it
// never blocks on a special file, skips files over options.max_file_bytes, and fails
// silently (read_file then says why).
void prefetch(const std::string& path, const DecodeOptions& options);

}  // namespace imgshard::io
