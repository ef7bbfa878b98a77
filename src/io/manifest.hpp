#pragma once
// CSV manifests (`@FILE.csv`): a header row, then one image a row, as Kaggle-style datasets
// ship them (train.csv beside the images). Parsed with libcsv: quoted fields with commas,
// quotes and newlines, a UTF-8 BOM, CRLF and CR line ends are read as spreadsheets write them.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace imgshard::io {

// A manifest that cannot be used: no header, a missing column, a row with the wrong number
// of fields. what() is one line: "FILE line N: reason".
class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which columns mean what (--csv-path, --csv-label).
struct ManifestColumns {
  std::string path = "path";
  std::string label = "label";
  bool label_required = false;  // the label column was named by the user: it must exist
};

inline constexpr std::size_t kNoColumn = std::size_t(-1);

struct Manifest {
  std::vector<std::string> header;                // column names, in file order
  std::vector<std::vector<std::string>> columns;  // column-major: columns[c][row]
  std::vector<std::uint64_t> lines;               // line of the file each row starts on (1-based)
  std::size_t path_column = kNoColumn;
  std::size_t label_column = kNoColumn;           // kNoColumn: the manifest has no labels

  std::size_t rows() const { return lines.size(); }
};

// Reads the whole manifest; throws ManifestError on any header or structure error, so that
// a bad manifest ends the run before any work. Fields are kept exactly as written (no
// trimming); rows keep the file's order; blank lines are skipped.
Manifest read_manifest(const std::string& csv_path, const ManifestColumns& columns);

// Whether an INPUT names a CSV manifest ("@....csv", case-insensitive).
bool is_manifest_input(const std::string& input);

// The refusal of a line of a text input (a CSV manifest, an @list) that holds a NUL byte:
// the system would cut a path there and open another file. Each reader throws it as its
// own error.
std::string nul_byte_message(const std::string& file, std::uint64_t line);

}  // namespace imgshard::io
