#include "store/batch_writer.hpp"

namespace imgshard::store {

BatchWriter::BatchWriter(OutputFile& file, const std::optional<RowPlacement>& placement, double checkpoint_seconds)
    : file_(file), checkpoint_seconds_(checkpoint_seconds) {
  if (placement) rows_.emplace(file.path(), *placement);
}

void BatchWriter::post(const RowBatch& rows, std::function<void()> done) {
  thread_.post([this, rows, done = std::move(done)] {
    try {
      write(rows);
    } catch (...) {
      done();
      throw;
    }
    done();
  });
}

void BatchWriter::write(RowBatch rows) {
  if (!rows.rows_written && rows_) {
    rows_->write(rows.begin, rows.count, rows.pixels.data());  // made durable by the checkpoint's sync
    rows.rows_written = true;
  }
  file_.write_rows(rows);
  if (metrics::seconds_since(last_checkpoint_) >= checkpoint_seconds_) {
    file_.checkpoint();
    last_checkpoint_ = metrics::Clock::now();
  } else {
    // A checkpoint's fsync otherwise waits for every unit since the last one (0.24 s for
    // 300 MB here), and rank 0 takes no result while the buffers wait behind it.
    file_.start_writeback();
  }
}

}  // namespace imgshard::store
