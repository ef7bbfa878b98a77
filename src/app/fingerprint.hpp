#pragma once
// What --resume compares: the inputs (paths, in order) and everything that changes pixels.
#include <cstdint>
#include <string>
#include <string_view>

namespace imgshard::app {

class Fingerprint {
 public:
  void add(std::string_view text);  // FNV-1a 64 over the bytes, then a separator
  std::string hex() const;

 private:
  std::uint64_t hash_ = 14695981039346656037ull;
};

}  // namespace imgshard::app
