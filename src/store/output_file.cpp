#include "store/output_file.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "store/h5.hpp"
#include "store/row_writer.hpp"  // write_all
#include "store/utf8.hpp"

namespace imgshard::store {
namespace {

constexpr std::uint64_t kStatusBlock = 1 << 16;  // rows of /status read at a time

// A read-only descriptor of the output, kept to fsync its data (fsync acts on the file,
// whichever descriptor asks).
class SyncDescriptor {
 public:
  SyncDescriptor() = default;
  explicit SyncDescriptor(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw StoreError(fmt::format("cannot open {} to sync it: {}", path, std::strerror(errno)));
  }
  SyncDescriptor(const SyncDescriptor&) = delete;
  SyncDescriptor& operator=(const SyncDescriptor&) = delete;
  SyncDescriptor& operator=(SyncDescriptor&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~SyncDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  void sync(const std::string& path) const {
    if (::fsync(fd_) != 0) throw StoreError(fmt::format("cannot sync {} to disk: {}", path, std::strerror(errno)));
  }
  // Starts writing every dirty page of the file back to disk, without waiting for it, so that
  // the next sync() waits for the last unit's pages, not for everything since the last one.
  // Only a hint: an error shows at sync().
  void start_writeback() const { ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE); }

 private:
  int fd_ = -1;
};

// Where each image came from: /inputs, /input_index, and a CSV manifest's other columns.
void write_sources(const h5::File& f, std::uint64_t n, const Catalog& catalog) {
  std::vector<std::string> inputs;  // names, reversibly, as /paths
  for (const auto& input : catalog.inputs) inputs.push_back(utf8_text(input, true));
  f.create_dataset<std::string>("inputs", {inputs.size()}).write_rows(0, inputs);
  f.create_dataset<std::int32_t>("input_index", {n}).write_rows(0, catalog.input_index);  // empty: fill value 0
  if (catalog.meta.empty()) return;
  const h5::Group meta = f.create_group("meta");
  for (const auto& column : catalog.meta)  // names as /paths: UTF-8, distinct as the columns were
    meta.create_dataset<std::string>(utf8_text(column.name, true), {n}).write_rows(0, *column.values);
}

// When `path`'s file system is full, `failure` says so, and what to do (HDF5's own message for
// ENOSPC is "unable to flush mounted file hierarchy" or "file write failed").
StoreError explain_if_full(const std::string& path, const StoreError& failure) {
  struct statvfs fs {};
  const auto dir = std::filesystem::path(path).parent_path();
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 && std::uint64_t(fs.f_bavail) * fs.f_frsize < (1u << 20))
    return StoreError(fmt::format("{}: the file system holding {} is full ({} KiB left); what was journaled is kept, "
                                  "free some space and run again with --resume",
                                  failure.what(), path, std::uint64_t(fs.f_bavail) * fs.f_frsize / 1024));
  return failure;
}

// Zeroes the rows of /errors outside `journaled` as they lie in the file, under HDF5: each row
// is a pointer into HDF5's string heap, and all zeros is the empty string. Rewriting a row
// through HDF5 frees what its old pointer points to; a run killed between checkpoints can
// leave rows whose pointer names heap space that never reached the disk, or that another
// row's string takes now. Zeroed, the rows point nowhere, and a rewrite frees nothing (their
// old strings, if any, stay in the file, unused). Nothing is done for a chunked /errors.
void forget_errors_not_journaled(const std::string& path, const h5::Dataset& errors, std::uint64_t rows,
                                 const std::vector<IndexRange>& journaled) {
  const auto offset = errors.offset();
  if (!offset || rows == 0) return;
  const std::uint64_t row_bytes = errors.storage_bytes() / rows;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw StoreError(fmt::format("cannot open {} to reset rows of /errors: {}", path, std::strerror(errno)));
  const std::vector<std::uint8_t> zeros(std::size_t(1) << 20);
  const auto zero = [&](std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t at = begin * row_bytes; at < end * row_bytes; at += zeros.size()) {
      if (write_all(fd, zeros.data(), std::min<std::uint64_t>(zeros.size(), end * row_bytes - at), *offset + at))
        continue;
      const int e = errno;
      ::close(fd);
      throw StoreError(fmt::format("cannot reset rows of /errors in {}: {}", path, std::strerror(e)));
    }
  };
  std::uint64_t next = 0;
  for (const auto& r : journaled) {
    if (r.begin > next) zero(next, r.begin);
    next = std::max(next, r.begin + r.count);
  }
  if (next < rows) zero(next, rows);
  ::close(fd);
}

// Takes the old output's name away now and frees its data in the background. The kernel
// frees a file's cached pages and blocks when its last reference goes (and, with online
// discard, waits for the disk): 0.3 s for 722 MB on the project's VM, which rank 0 spent
// while every other rank waited for the plan. Unlinked while a descriptor of ours holds it,
// the file is freed when that descriptor closes, on the returned thread (or at our exit).
// A link is removed as it is, here (open_for_run refuses a directory, device, FIFO or socket).
std::jthread remove_old_output(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::unlink(path.c_str()) == 0)
    return std::jthread([fd] { ::close(fd); });
  if (fd >= 0) ::close(fd);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, ec)) && !std::filesystem::remove(path, ec))
    throw StoreError(fmt::format("cannot remove the old {}: {}", path, ec.message()));
  return {};
}

// /timings: what each rank did, replaced each run.
void write_timings_into(const h5::File& f, const metrics::RunReport& report) {
  if (f.exists("timings")) f.remove("timings");
  const h5::Group g = f.create_group("timings");
  const std::uint64_t ranks = report.ranks.size(), phases = metrics::kPhaseCount;
  g.create_dataset<std::string>("phase_names", {phases})
      .write_rows(0, std::vector<std::string>(metrics::kPhaseNames.begin(), metrics::kPhaseNames.end()));

  std::vector<double> seconds, wall;
  std::vector<std::int64_t> rank_ids, threads, images, units, bytes_read, bytes_sent, bytes_received, bytes_written;
  std::vector<std::string> hosts;
  for (const auto& r : report.ranks) {
    seconds.insert(seconds.end(), r.phases.begin(), r.phases.end());
    wall.push_back(r.wall_seconds);
    rank_ids.push_back(r.rank);
    threads.push_back(r.threads);
    images.push_back(std::int64_t(r.counts.images));
    units.push_back(std::int64_t(r.counts.units));
    bytes_read.push_back(std::int64_t(r.counts.bytes_read));
    bytes_sent.push_back(std::int64_t(r.counts.bytes_sent));
    bytes_received.push_back(std::int64_t(r.counts.bytes_received));
    bytes_written.push_back(std::int64_t(r.counts.bytes_written));
    hosts.push_back(r.host);
  }
  g.create_dataset<double>("phase_seconds", {ranks, phases}).write_rows(0, seconds);
  g.create_dataset<double>("wall_seconds", {ranks}).write_rows(0, wall);
  for (auto& [name, values] : {std::pair{"rank", &rank_ids}, {"threads", &threads}, {"images", &images},
                               {"units", &units}, {"bytes_read", &bytes_read}, {"bytes_sent", &bytes_sent},
                               {"bytes_received", &bytes_received}, {"bytes_written", &bytes_written}})
    g.create_dataset<std::int64_t>(name, {ranks}).write_rows(0, *values);
  g.create_dataset<std::string>("hosts", {ranks}).write_rows(0, hosts);
  g.set_attribute("wall_seconds", fmt::format("{}", report.wall_seconds));
  g.set_attribute("images_per_s", fmt::format("{}", report.images_per_s()));
}

// Everything a new output holds before any pixel: every dataset at its final size.
void fill_new_file(const h5::File& f, const OutputSpec& spec, const Catalog& catalog) {
  const std::uint64_t n = spec.count;

  // /images uncompressed: one contiguous block allocated now (sparse on disk), so that the
  // place of row i in the file is known before any pixel exists (offset + i x row bytes):
  // every rank writes its rows there itself (RowWriter), and later writes change raw data
  // only. Compressed: one chunk per image, stored by rank 0 as the workers compressed it.
  h5::Dims dims{n}, chunk{1};
  dims.insert(dims.end(), spec.image_dims.begin(), spec.image_dims.end());
  chunk.insert(chunk.end(), spec.image_dims.begin(), spec.image_dims.end());
  const auto layout = spec.gzip_level >= 0 ? h5::Storage{.chunk = chunk, .gzip_level = spec.gzip_level}
                                           : h5::Storage{.early = true, .never_fill = true};
  if (spec.float32)
    f.create_dataset<float>("images", dims, layout);
  else
    f.create_dataset<std::uint8_t>("images", dims, layout);

  // File names reversibly (a backslash doubled), so that every byte of a name is recoverable.
  std::vector<std::string> names(catalog.paths.size());
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = utf8_text(catalog.paths[i], true);
  f.create_dataset<std::string>("paths", {n}).write_rows(0, names);
  f.create_dataset<std::int32_t>("labels", {n}).write_rows(0, catalog.labels);
  f.create_dataset<std::string>("label_names", {catalog.label_names.size()}).write_rows(0, catalog.label_names);
  write_sources(f, n, catalog);

  // Allocated at creation: writing rows later then changes raw data only, not the file's
  // structure, which keeps a killed run's file readable.
  const h5::Storage early{.early = true};
  f.create_dataset<std::int32_t>("orig_shape", {n, 3}, early, 0);
  f.create_dataset<std::uint8_t>("status", {n}, early, kPendingStatus);
  f.create_dataset<std::string>("errors", {n}, early);

  for (const auto& [name, value] : spec.string_attributes) f.set_attribute(name, value);
  for (const auto& [name, value] : spec.int_attributes) f.set_attribute(name, value);
  f.set_attribute("complete", std::int64_t{0});
}

}  // namespace

struct OutputFile::Impl {
  std::string path;
  h5::File file;
  h5::Dataset images, status, errors, orig_shape, paths;
  std::uint64_t count = 0;
  std::uint64_t row_bytes = 0;  // of /images
  // Uncompressed /images: the rows' block, sparse on disk until the rows come, which a flush
  // leaves unallocated (h5::File::flush). HDF5 keeps none of its structures there: a row it
  // writes itself (--writer root) that finds no room fails alone, the structures stay whole.
  std::optional<h5::Extent> rows;
  bool float32 = false;
  Journal journal;
  SyncDescriptor data;
  std::vector<IndexRange> unjournaled;
  // Set when a write to the file failed: from then on HDF5 writes nothing more into it, and
  // the file on disk stays as the last flush left it (File::abandon).
  bool broken = false;
  std::jthread old_output_freed;  // remove_old_output's; joined when the file is closed

  // After create and reopen: the datasets rows go to, the journal, the descriptor to sync.
  Impl(std::string path_, h5::File file_) : path(std::move(path_)), file(std::move(file_)) {
    images = file.dataset("images");
    status = file.dataset("status");
    errors = file.dataset("errors");
    orig_shape = file.dataset("orig_shape");
    paths = file.dataset("paths");
    const auto dims = images.dims();
    count = dims.at(0);
    float32 = images.holds_floats();
    row_bytes = float32 ? 4 : 1;
    for (std::size_t d = 1; d < dims.size(); ++d) row_bytes *= dims[d];
    if (const auto offset = images.offset()) rows = h5::Extent{*offset, images.storage_bytes()};
    journal = Journal(journal_path(path), fingerprint());
    data = SyncDescriptor(path);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // Not closed by close(): an error ended the run early. A file whose writes all went well
  // is flushed (as HDF5 would at its close, but with its room allocated first); any other is
  // abandoned.
  ~Impl() {
    if (!file) return;
    if (!broken) {
      try {
        file.flush(rows);
      } catch (const StoreError&) {
        broken = true;
      }
    }
    if (broken) file.abandon();
  }

  // Runs something that writes into the file; when it throws, the file is broken (and a full
  // file system named).
  template <typename Write>
  void guarded(Write&& write) {
    if (broken) throw StoreError(fmt::format("{}: an earlier write to it failed", path));
    try {
      write();
    } catch (const StoreError& e) {
      broken = true;
      throw explain_if_full(path, e);
    } catch (...) {
      broken = true;
      throw;
    }
  }

  // Flushes the file and syncs it to disk: everything written so far is durable.
  void save() {
    guarded([&] {
      file.flush(rows);
      data.sync(path);
    });
  }

  // Saves and closes the file.
  void close() {
    save();
    for (auto* dataset : {&images, &status, &errors, &orig_shape, &paths}) dataset->close();
    file.close();
  }

  std::string fingerprint() const {
    return file.has_attribute("fingerprint") ? file.attribute("fingerprint").read_string() : "";
  }

  void write_rows(const RowBatch& b) {
    const bool raw_rows = !b.rows_written && b.chunk_bytes.empty();
    if (b.status.size() < b.count || b.errors.size() < b.count || b.orig_shape.size() < 3 * b.count ||
        (raw_rows && b.pixels.size() < b.count * row_bytes) || (!b.chunk_bytes.empty() && b.chunk_bytes.size() < b.count))
      throw StoreError(fmt::format("rows {}..{} of {}: fewer values than rows", b.begin, b.begin + b.count - 1, path));
    if (b.rows_written) {
      // The rows were written into /images directly (RowWriter), by whichever rank made them.
    } else if (!b.chunk_bytes.empty()) {
      static_assert(std::endian::native == std::endian::little, "chunks are stored as native bytes: /images is LE");
      std::size_t at = 0;
      for (std::uint64_t i = 0; i < b.count; ++i) {
        images.write_chunk(b.begin + i, b.pixels.subspan(at, b.chunk_bytes[i]));
        at += b.chunk_bytes[i];
      }
    } else if (float32) {
      images.write_rows(b.begin, std::span(reinterpret_cast<const float*>(b.pixels.data()), b.count * row_bytes / 4));
    } else {
      images.write_rows(b.begin, b.pixels.first(b.count * row_bytes));
    }
    orig_shape.write_rows(b.begin, b.orig_shape.first(3 * b.count));
    errors.write_rows(b.begin, b.errors.first(b.count));
    status.write_rows(b.begin, b.status.first(b.count));  // last: a row no longer pending has the rest written
    unjournaled.push_back({b.begin, b.count});
  }
};

OutputFile::OutputFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OutputFile::OutputFile(OutputFile&&) noexcept = default;
OutputFile& OutputFile::operator=(OutputFile&&) noexcept = default;
OutputFile::~OutputFile() = default;

OutputFile OutputFile::create(const std::string& path, const OutputSpec& spec, const Catalog& catalog) {
  std::error_code ec;
  std::filesystem::remove(journal_path(path), ec);
  std::jthread old_output_freed = remove_old_output(path);
  // A file that could not be made whole (a full disk) holds nothing of value and could not be
  // resumed: it goes, so that the same command works once there is room.
  const auto discard = [&](const StoreError& e) {
    StoreError explained = explain_if_full(path, e);  // while the file still takes its room
    ::unlink(path.c_str());
    return explained;
  };
  h5::File f;
  try {
    f = h5::File::create(path, kRowPage);  // /images on a page (RowPlacement)
  } catch (const StoreError& e) {
    // H5Fcreate made the file (the path was free: remove_old_output) but could not write it.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) throw discard(e);
    throw explain_if_full(path, e);
  }
  try {
    fill_new_file(f, spec, catalog);
  } catch (const StoreError& e) {
    f.abandon();
    throw discard(e);
  }
  auto impl = std::make_unique<Impl>(path, std::move(f));
  impl->old_output_freed = std::move(old_output_freed);
  try {
    impl->guarded([&] {
      impl->file.flush(impl->rows);
      if (spec.sync_at_creation) impl->data.sync(path);
    });
  } catch (const StoreError& e) {
    impl.reset();  // abandoned: broken
    throw discard(e);
  }
  return OutputFile(std::move(impl));
}

OutputFile OutputFile::reopen(const std::string& path) {
  auto impl = std::make_unique<Impl>(path, h5::File::open(path, h5::File::Mode::read_write));
  forget_errors_not_journaled(path, impl->errors, impl->count, impl->journal.read(impl->count));
  return OutputFile(std::move(impl));
}

bool OutputFile::is_complete(const std::string& path) {
  const auto state = read_state(path);
  return state && state->complete;
}

std::optional<OutputFile::State> OutputFile::read_state(const std::string& path, std::string* why) {
  const auto refuse = [&](std::string reason) -> std::optional<State> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  try {
    const h5::File file = h5::File::open(path, h5::File::Mode::read_only);
    if (!file.has_attribute("fingerprint")) return refuse("an HDF5 file without imgshard's fingerprint: not an imgshard output");
    State state;
    state.fingerprint = file.attribute("fingerprint").read_string();
    state.complete = file.has_attribute("complete") && file.attribute("complete").read_int() == 1;
    const auto dims = file.dataset("status").dims();
    state.count = dims.empty() ? 0 : dims[0];
    return state;
  } catch (const StoreError& e) {
    return refuse(e.what());
  }
}

std::string OutputFile::fingerprint() const { return impl_->fingerprint(); }

bool OutputFile::complete() const {
  const auto& f = impl_->file;
  return f.has_attribute("complete") && f.attribute("complete").read_int() == 1;
}

std::uint64_t OutputFile::count() const { return impl_->count; }
const std::string& OutputFile::path() const { return impl_->path; }

std::vector<IndexRange> OutputFile::journaled() const { return impl_->journal.read(impl_->count); }

std::optional<RowPlacement> OutputFile::row_placement() const {
  const auto offset = impl_->images.offset();
  if (!offset) return std::nullopt;  // chunked (compressed, or a file of an older imgshard)
  return RowPlacement{*offset, impl_->row_bytes};
}

void OutputFile::write_rows(const RowBatch& batch) {
  if (batch.count == 0) return;
  impl_->guarded([&] { impl_->write_rows(batch); });
}

void OutputFile::start_writeback() const { impl_->data.start_writeback(); }

void OutputFile::checkpoint() {
  auto& m = *impl_;
  if (m.unjournaled.empty()) return;
  m.save();  // the rows on disk first: only then may the journal vouch for them
  m.journal.append(m.unjournaled);
  m.unjournaled.clear();
}

void OutputFile::set_attribute(const std::string& name, const std::string& value) {
  impl_->guarded([&] { impl_->file.set_attribute(name, value); });
}
void OutputFile::set_attribute(const std::string& name, std::int64_t value) {
  impl_->guarded([&] { impl_->file.set_attribute(name, value); });
}

void OutputFile::write_input_errors(const std::vector<std::string>& errors) {
  impl_->guarded([&] {
    const auto& f = impl_->file;
    if (f.exists("input_errors")) f.remove("input_errors");
    f.create_dataset<std::string>("input_errors", {errors.size()}).write_rows(0, errors);
  });
}

void OutputFile::write_timings(const metrics::RunReport& report) {
  impl_->guarded([&] { write_timings_into(impl_->file, report); });
}

std::uint64_t OutputFile::pending_rows() const {
  std::uint64_t pending = 0;
  for (std::uint64_t begin = 0; begin < count(); begin += kStatusBlock) {
    const auto status = read_status(begin, std::min(kStatusBlock, count() - begin));
    pending += std::uint64_t(std::count(status.begin(), status.end(), kPendingStatus));
  }
  return pending;
}

void OutputFile::finish() {
  checkpoint();
  auto& m = *impl_;
  if (const auto pending = pending_rows())
    throw StoreError(fmt::format("{} of {} rows of {} were never written: it stays incomplete (--resume finishes it)",
                                 pending, m.count, m.path));
  set_attribute("complete", std::int64_t{1});
  m.close();
  m.journal.remove();
}

void OutputFile::close() {
  checkpoint();
  impl_->close();
}

std::vector<std::uint8_t> OutputFile::read_status(std::uint64_t begin, std::uint64_t count) const {
  return impl_->status.read_rows<std::uint8_t>(begin, count);
}

std::vector<std::string> OutputFile::read_errors(std::uint64_t begin, std::uint64_t count) const {
  return impl_->errors.read_rows<std::string>(begin, count);
}

std::vector<std::string> OutputFile::read_paths(std::uint64_t begin, std::uint64_t count) const {
  return impl_->paths.read_rows<std::string>(begin, count);
}

std::vector<std::pair<std::uint64_t, std::string>> OutputFile::failures() const {
  std::vector<std::pair<std::uint64_t, std::string>> all;
  for (std::uint64_t begin = 0; begin < count(); begin += kStatusBlock) {
    const std::uint64_t n = std::min(kStatusBlock, count() - begin);
    const auto status = read_status(begin, n);
    const auto failed = [&](std::uint64_t i) { return status[i] != 0 && status[i] != kPendingStatus; };
    std::uint64_t first = 0;
    while (first < n && !failed(first)) ++first;
    if (first == n) continue;
    // One read of paths and reasons per block that has failures, from its first failure on.
    const auto paths = read_paths(begin + first, n - first);
    const auto errors = read_errors(begin + first, n - first);
    for (std::uint64_t i = first; i < n; ++i)
      if (failed(i)) all.emplace_back(begin + i, fmt::format("{}: {}", paths[i - first], errors[i - first]));
  }
  return all;
}

}  // namespace imgshard::store
