#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/image_status.hpp"

namespace imgshard::io {

// Reads a whole file into `bytes` (reused between calls). On failure returns `unreadable` or
// `empty` with a one-line reason that names the cause (missing, permission, directory...).
ImageStatus read_file(const std::string& path, std::vector<std::uint8_t>& bytes, std::string& error);

}  // namespace imgshard::io
