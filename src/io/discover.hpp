#pragma once
// Finding the images of a run: rank 0 does this once; the other ranks never walk the disk.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/archive.hpp"
#include "io/manifest.hpp"

namespace imgshard::io {

// A usage problem with the inputs (missing input, no images): exit code 1, nothing written.
class DiscoveryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// automatic: a CSV manifest's label column where one has it, else dirname.
enum class LabelMode { automatic, dirname, none };

struct SourceImage {
  std::string path;        // what to open: the file, or the archive that holds the member
  std::string relative;    // what /paths stores: relative to its INPUT (a CSV's cell as written)
  MemberLocator member;    // where in the archive, when `path` is one
  std::int32_t input = 0;  // which INPUT it came from (index into Collection::inputs)
};

// A CSV column other than the path and the label: one value per image, "" for images
// that do not come from a CSV with that column.
struct MetaColumn {
  std::string name;
  std::vector<std::string> values;
};

struct Collection {
  std::vector<SourceImage> images;        // image index i is the position here
  std::vector<std::int32_t> labels;       // per image, -1 without labels
  std::vector<std::string> label_names;   // sorted; or, for integer CSV labels, the text of each id
  std::vector<std::string> inputs;        // the INPUT arguments as given
  std::vector<MetaColumn> meta;           // CSV columns, in order of first appearance
  std::string label_source = "none";      // where /labels came from: dirname, csv or none
  // Folders inside an INPUT that could not be listed, as "path: reason": reported, skipped,
  // and the run goes on (its exit code is then 3).
  std::vector<std::string> input_errors;
};

struct DiscoverOptions {
  LabelMode labels = LabelMode::automatic;
  ManifestColumns csv;   // --csv-path, --csv-label
  std::string csv_root;  // --csv-root: the folder or .zip/.tar the CSV paths are in ("" = the CSV's folder)
};

// Integer CSV labels above this are taken as names (a product id is no class id).
inline constexpr std::int64_t kMaxClassId = (1 << 20) - 1;

// The extensions the formats declare (io/formats.hpp: jpg jpeg png webp tif tiff bmp pgm
// ppm), case-insensitive.
bool has_image_extension(std::string_view filename);

// INPUTs in order: a directory is walked recursively (links followed, loops cut) and its
// images sorted by the byte order of their path relative to it; a file is taken as given;
// `@list.txt` names one path a line, relative to the list's folder, kept in list order;
// `@FILE.csv` is a manifest (io/manifest.hpp), rows in file order; a .zip or .tar is read
// like a directory of its members (io/archive.hpp). A folder below an INPUT that cannot be
// listed goes to input_errors; an INPUT that cannot be read at all (a bad manifest, a
// damaged archive directory) is a DiscoveryError.
Collection discover(const std::vector<std::string>& inputs, const DiscoverOptions& options);
Collection discover(const std::vector<std::string>& inputs, LabelMode labels);

}  // namespace imgshard::io
