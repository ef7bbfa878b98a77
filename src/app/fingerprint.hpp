#pragma once
// What --resume compares: the inputs (paths, in order) and everything that changes pixels.
#include <cstdint>
#include <string>
#include <string_view>

#include "app/options.hpp"
#include "io/discover.hpp"
#include "pipeline/pipeline.hpp"

namespace imgshard::app {

class Fingerprint {
 public:
  void add(std::string_view text);  // FNV-1a 64 over the bytes, then a separator
  std::string hex() const;

 private:
  std::uint64_t hash_ = 14695981039346656037ull;
};

// The fingerprint of a run: an output resumes only under the same one.
std::string run_fingerprint(const Options& options, const pipeline::Pipeline& pipeline,
                            const io::Collection& collection);

}  // namespace imgshard::app
