#pragma once
// What the output file holds for a run: its layout (image dims and type, compression, the
// run's attributes) and the catalog of every image, from the options, the pipeline and the
// collection (the layout itself is in SPEC.md and README.md).
#include <string>

#include "app/options.hpp"
#include "io/discover.hpp"
#include "pipeline/pipeline.hpp"
#include "store/output_file.hpp"

namespace imgshard::app {

store::OutputSpec output_spec(const Options& options, const pipeline::Pipeline& pipeline,
                              const io::Collection& collection, const std::string& fingerprint);

// Creates options.output (OutputFile::create) with that layout and catalog; `one_node`: every
// rank shares rank 0's node (no sync at creation, see OutputSpec::sync_at_creation).
store::OutputFile create_output(const Options& options, const pipeline::Pipeline& pipeline,
                                const io::Collection& collection, const std::string& fingerprint, bool one_node);

}  // namespace imgshard::app
