#pragma once
// Finding the images of a run: rank 0 does this once; the other ranks never walk the disk.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace imgshard::io {

// A usage problem with the inputs (missing input, no images): exit code 1, nothing written.
class DiscoveryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class LabelMode { dirname, none };

struct SourceImage {
  std::string path;      // what to open
  std::string relative;  // what /paths stores: relative to its INPUT
};

struct Collection {
  std::vector<SourceImage> images;        // image index i is the position here
  std::vector<std::int32_t> labels;       // per image, -1 without labels
  std::vector<std::string> label_names;   // sorted
  // Folders inside an INPUT that could not be listed, as "path: reason": reported, skipped,
  // and the run goes on (its exit code is then 3).
  std::vector<std::string> input_errors;
};

// jpg jpeg png webp tif tiff bmp pgm ppm, case-insensitive.
bool has_image_extension(std::string_view filename);

// INPUTs in order: a directory is walked recursively (links followed, loops cut) and its
// images sorted by the byte order of their path relative to it; a file is taken as given;
// `@list.txt` names one path a line, relative to the list's folder, kept in list order.
// A folder below an INPUT that cannot be listed goes to input_errors; an INPUT that cannot
// be read at all is a DiscoveryError.
Collection discover(const std::vector<std::string>& inputs, LabelMode labels);

}  // namespace imgshard::io
