#pragma once
// How a run finds its output: a new file, an unfinished one to resume, a finished one, or
// one it must leave alone. Read-only until it is sure: a complete file, another run's, or
// one that cannot be opened is left byte for byte as it is; only `replace` (--force) starts
// a file over, never `resume`.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/output_file.hpp"

namespace imgshard::store {

// What to do with a file already at the output path.
enum class IfExists {
  refuse,   // neither --force nor --resume
  replace,  // --force: a new file
  resume,   // --resume: finish it (a new file when there is none)
};

struct OpenedOutput {
  enum Outcome {
    created,   // a new file: none was there, or it is replaced
    resumed,   // an unfinished file of this very run: `done` says which rows it holds
    complete,  // a finished file of this very run: nothing to do
    refused,   // the file is left as it is: `message` says why
  };
  Outcome outcome = refused;
  std::optional<OutputFile> file;  // created and resumed only
  std::vector<IndexRange> done;    // resumed: the journaled rows, sorted and merged
  std::string message;             // what to tell the user ("" when nothing), without "imgshard: "
};

// `fingerprint` and `count` are what this run would write: a file made by other inputs,
// another pipeline or other options is refused. `create` makes the new file.
OpenedOutput open_for_run(const std::string& path, IfExists if_exists, const std::string& fingerprint,
                          std::uint64_t count, const std::function<OutputFile()>& create);

}  // namespace imgshard::store
