#pragma once
// Rank 0's writing: units' rows go into the output file on one writer thread, so that rank 0
// computes or receives the next unit while the previous one is written; every few seconds a
// checkpoint (OutputFile::checkpoint) makes what was written durable and journals it.
// With a RowPlacement (--writer ranks), rank 0's own /images rows go straight into the file
// (RowWriter), as the workers' do, and HDF5 writes only the per-image datasets.
#include <functional>
#include <optional>

#include "metrics/phases.hpp"
#include "store/output_file.hpp"
#include "store/row_writer.hpp"
#include "store/writer_thread.hpp"

namespace imgshard::store {

class BatchWriter {
 public:
  BatchWriter(OutputFile& file, const std::optional<RowPlacement>& placement, double checkpoint_seconds);
  // Drains: every posted batch is written (or fails) and its `done` runs.
  ~BatchWriter() = default;
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues `rows`, whose buffers must live until `done` runs on the writer thread after them,
  // also when writing them failed (it hands the buffers back).
  void post(const RowBatch& rows, std::function<void()> done);
  // Waits until every posted batch is written; rethrows the first write error. Only after it
  // may the caller use the file again.
  void drain() { thread_.drain(); }
  // Whether a write failed (drain() rethrows it).
  bool failed() { return thread_.failed(); }

 private:
  void write(RowBatch rows);

  OutputFile& file_;
  std::optional<RowWriter> rows_;
  double checkpoint_seconds_;
  metrics::Clock::time_point last_checkpoint_ = metrics::Clock::now();
  WriterThread thread_;  // last: its destructor drains jobs that use the members above
};

}  // namespace imgshard::store
