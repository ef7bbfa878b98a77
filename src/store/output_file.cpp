#include "store/output_file.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <fmt/format.h>
#include <unistd.h>

namespace imgshard::store {

namespace {

// Silences HDF5's own error stack printing: check() turns errors into one-line exceptions.
struct QuietHdf5 {
  QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};

void quiet_hdf5() { static QuietHdf5 once; }

Handle create_dataset(hid_t file, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                      hid_t dcpl = H5P_DEFAULT) {
  Handle space = simple_space(dims);
  return make_dataset(check(H5Dcreate2(file, name.c_str(), type, space.id(), H5P_DEFAULT, dcpl, H5P_DEFAULT),
                            "create " + name));
}

// Allocated at creation: writing rows later then changes raw data only, not the file's
// structure, which keeps a killed run's file readable.
Handle early_plist(const void* fill, hid_t fill_type) {
  Handle dcpl = make_plist(check(H5Pcreate(H5P_DATASET_CREATE), "dataset properties"));
  check(H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY), "allocation time");
  if (fill) check(H5Pset_fill_value(dcpl.id(), fill_type, fill), "fill value");
  return dcpl;
}

template <typename T>
void write_all(hid_t dataset, hid_t type, const std::vector<T>& values) {
  if (values.empty()) return;
  check(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "write");
}

constexpr std::uint64_t kStatusBlock = 1 << 16;  // rows of /status read at a time

// Where each image came from: /inputs, /input_index, and a CSV manifest's other columns.
void write_sources(hid_t f, hsize_t n, const Catalog& catalog) {
  Handle strings = utf8_string_type();
  Handle inputs = create_dataset(f, "inputs", strings.id(), {hsize_t(catalog.inputs.size())});
  std::vector<std::string> inputs_text;  // names, reversibly, as /paths
  for (const auto& input : catalog.inputs) inputs_text.push_back(utf8_text(input, true));
  write_strings(inputs.id(), inputs_text.size(), 0, inputs_text);
  Handle index = create_dataset(f, "input_index", H5T_STD_I32LE, {n});  // fill value 0
  if (!catalog.input_index.empty())
    check(H5Dwrite(index.id(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, catalog.input_index.data()),
          "write /input_index");
  if (catalog.meta.empty()) return;
  Handle meta = make_group(check(H5Gcreate2(f, "meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create /meta"));
  for (const auto& column : catalog.meta) {
    Handle values = create_dataset(meta.id(), column.name, strings.id(), {n});
    write_strings(values.id(), n, 0, *column.values);
  }
}

// Runs a write to the file; when it fails on a full file system, says so (HDF5's own message
// for ENOSPC is "unable to flush mounted file hierarchy" or "file write failed").
template <typename Write>
void write_or_explain(const std::string& path, Write&& write) {
  try {
    write();
  } catch (const StoreError& e) {
    struct statvfs fs {};
    const auto dir = std::filesystem::path(path).parent_path();
    if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 && std::uint64_t(fs.f_bavail) * fs.f_frsize < (1u << 20))
      throw StoreError(fmt::format("{}: the file system holding {} is full ({} KiB left); what was journaled is kept, "
                                   "free some space and run again with --resume",
                                   e.what(), path, std::uint64_t(fs.f_bavail) * fs.f_frsize / 1024));
    throw;
  }
}

}  // namespace

OutputFile OutputFile::create(const std::string& path, const OutputSpec& spec, const Catalog& catalog) {
  quiet_hdf5();
  std::error_code ec;
  std::filesystem::remove(journal_path(path), ec);
  if (std::filesystem::exists(path, ec) && !std::filesystem::remove(path, ec))
    throw StoreError(fmt::format("cannot remove the old {}: {}", path, ec.message()));
  OutputFile out;
  out.path_ = path;
  out.count_ = spec.count;
  out.float32_ = spec.float32;
  out.file_ = make_file(check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT), "create " + path));
  const hid_t f = out.file_.id();
  const hsize_t n = spec.count;

  // /images uncompressed: one contiguous block allocated now (sparse on disk), so that the
  // place of row i in the file is known before any pixel exists (offset + i x row bytes):
  // every rank writes its rows there itself (RowWriter), and later writes change raw data
  // only. Compressed: one chunk per image, stored by rank 0 as the workers compressed it.
  std::vector<hsize_t> dims{n}, chunk{1};
  for (auto d : spec.image_dims) {
    dims.push_back(d);
    chunk.push_back(d);
  }
  out.image_dims_ = dims;
  Handle dcpl = make_plist(check(H5Pcreate(H5P_DATASET_CREATE), "dataset properties"));
  if (spec.gzip_level >= 0) {
    check(H5Pset_chunk(dcpl.id(), int(chunk.size()), chunk.data()), "chunk");
    check(H5Pset_deflate(dcpl.id(), unsigned(spec.gzip_level)), "gzip");
  } else {
    check(H5Pset_layout(dcpl.id(), H5D_CONTIGUOUS), "layout");
    check(H5Pset_alloc_time(dcpl.id(), H5D_ALLOC_TIME_EARLY), "allocation time");
    check(H5Pset_fill_time(dcpl.id(), H5D_FILL_TIME_NEVER), "fill time");
  }
  const hid_t pixel_type = spec.float32 ? H5T_IEEE_F32LE : H5T_STD_U8LE;
  create_dataset(f, "images", pixel_type, dims, dcpl.id());

  Handle strings = utf8_string_type();
  Handle paths = create_dataset(f, "paths", strings.id(), {n});
  // File names reversibly (a backslash doubled), so that every byte of a name is recoverable.
  std::vector<std::string> names_text(catalog.paths.size());
  for (std::size_t i = 0; i < names_text.size(); ++i) names_text[i] = utf8_text(catalog.paths[i], true);
  write_strings(paths.id(), n, 0, names_text);
  Handle labels = create_dataset(f, "labels", H5T_STD_I32LE, {n});
  write_all(labels.id(), H5T_NATIVE_INT32, catalog.labels);
  Handle names = create_dataset(f, "label_names", strings.id(), {hsize_t(catalog.label_names.size())});
  write_strings(names.id(), catalog.label_names.size(), 0, catalog.label_names);
  write_sources(f, n, catalog);

  const std::int32_t zero = 0;
  create_dataset(f, "orig_shape", H5T_STD_I32LE, {n, 3}, early_plist(&zero, H5T_NATIVE_INT32).id());
  create_dataset(f, "status", H5T_STD_U8LE, {n}, early_plist(&kPendingStatus, H5T_NATIVE_UINT8).id());
  create_dataset(f, "errors", strings.id(), {n}, early_plist(nullptr, 0).id());

  for (const auto& [name, value] : spec.string_attributes) set_attr(f, name, value);
  for (const auto& [name, value] : spec.int_attributes) set_attr(f, name, value);
  set_attr(f, "complete", std::int64_t{0});
  out.open_datasets();
  out.open_journal();
  check(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush " + path);
  out.data_.sync(path);
  return out;
}

OutputFile OutputFile::reopen(const std::string& path) {
  quiet_hdf5();
  OutputFile out;
  out.path_ = path;
  out.file_ = make_file(check(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), "open " + path));
  out.open_datasets();
  out.open_journal();
  Handle space = make_space(check(H5Dget_space(out.images_.id()), "images space"));
  const int rank = check(H5Sget_simple_extent_ndims(space.id()), "images rank");
  out.image_dims_.resize(std::size_t(rank));
  check(H5Sget_simple_extent_dims(space.id(), out.image_dims_.data(), nullptr), "images dims");
  out.count_ = out.image_dims_[0];
  Handle type = make_type(check(H5Dget_type(out.images_.id()), "images type"));
  out.float32_ = H5Tget_class(type.id()) == H5T_FLOAT;
  return out;
}

bool OutputFile::is_complete(const std::string& path) {
  const auto state = read_state(path);
  return state && state->complete;
}

std::optional<OutputFile::State> OutputFile::read_state(const std::string& path, std::string* why) {
  quiet_hdf5();
  const auto refuse = [&](std::string reason) -> std::optional<State> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  Handle file;
  try {
    file = make_file(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "open"));
  } catch (const StoreError& e) {
    return refuse(e.what());
  }
  const hid_t id = file.id();
  try {
    if (!has_attr(id, "fingerprint")) return refuse("an HDF5 file without imgshard's fingerprint: not an imgshard output");
    State state;
    state.fingerprint = get_string_attr(id, "fingerprint");
    state.complete = has_attr(id, "complete") && get_int_attr(id, "complete") == 1;
    Handle status = make_dataset(check(H5Dopen2(id, "status", H5P_DEFAULT), "open /status"));
    Handle space = make_space(check(H5Dget_space(status.id()), "status space"));
    hsize_t n = 0;
    check(H5Sget_simple_extent_dims(space.id(), &n, nullptr), "status dims");
    state.count = n;
    return state;
  } catch (const StoreError& e) {
    return refuse(e.what());
  }
}

void OutputFile::open_datasets() {
  const hid_t f = file_.id();
  auto open = [&](const char* name) { return make_dataset(check(H5Dopen2(f, name, H5P_DEFAULT), std::string("open /") + name)); };
  images_ = open("images");
  status_ = open("status");
  errors_ = open("errors");
  orig_shape_ = open("orig_shape");
  paths_ = open("paths");
}

void OutputFile::open_journal() {
  journal_ = Journal(journal_path(path_), fingerprint());
  data_ = SyncDescriptor(path_);
}

OutputFile::SyncDescriptor::SyncDescriptor(const std::string& path)
    : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (fd_ < 0) throw StoreError(fmt::format("cannot open {} to sync it: {}", path, std::strerror(errno)));
}

OutputFile::SyncDescriptor::~SyncDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::SyncDescriptor::sync(const std::string& path) const {
  if (::fsync(fd_) != 0)
    throw StoreError(fmt::format("cannot sync {} to disk: {}", path, std::strerror(errno)));
}

std::string OutputFile::fingerprint() const {
  return has_attr(file_.id(), "fingerprint") ? get_string_attr(file_.id(), "fingerprint") : "";
}

bool OutputFile::complete() const {
  return has_attr(file_.id(), "complete") && get_int_attr(file_.id(), "complete") == 1;
}

std::vector<IndexRange> OutputFile::journaled() const { return journal_.read(count_); }

std::optional<RowPlacement> OutputFile::row_placement() const {
  const haddr_t offset = H5Dget_offset(images_.id());
  if (offset == HADDR_UNDEF) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;  // chunked (compressed, or a file of an older imgshard)
  }
  std::uint64_t row = float32_ ? 4 : 1;
  for (std::size_t d = 1; d < image_dims_.size(); ++d) row *= image_dims_[d];
  return RowPlacement{std::uint64_t(offset), row};
}

void OutputFile::write_rows(const RowBatch& batch) {
  if (batch.count == 0) return;
  write_or_explain(path_, [&] { write_rows_unexplained(batch); });
}

void OutputFile::write_rows_unexplained(const RowBatch& batch) {
  const std::uint64_t begin = batch.begin, count = batch.count;
  if (batch.rows_written) {
    // The rows were written into /images directly (RowWriter), by whichever rank made them.
  } else if (!batch.chunk_bytes.empty()) {
    static_assert(std::endian::native == std::endian::little, "chunks are stored as native bytes: /images is LE");
    // One chunk per image: row i is the chunk at offset (begin + i, 0, 0, 0).
    std::vector<hsize_t> offset(image_dims_.size(), 0);
    std::size_t at = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      offset[0] = begin + i;
      check(H5Dwrite_chunk(images_.id(), H5P_DEFAULT, 0, offset.data(), batch.chunk_bytes[i], batch.pixels.data() + at),
            "write /images chunk");
      at += batch.chunk_bytes[i];
    }
  } else {
    Handle file_space = row_selection(image_dims_, begin, count);
    std::vector<hsize_t> memory_dims = image_dims_;
    memory_dims[0] = count;
    Handle memory = simple_space(memory_dims);
    check(H5Dwrite(images_.id(), float32_ ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8, memory.id(), file_space.id(),
                   H5P_DEFAULT, batch.pixels.data()),
          "write /images");
  }
  {
    Handle file_space = row_selection({count_, 3}, begin, count);
    Handle memory = simple_space({count, 3});
    check(H5Dwrite(orig_shape_.id(), H5T_NATIVE_INT32, memory.id(), file_space.id(), H5P_DEFAULT, batch.orig_shape.data()),
          "write /orig_shape");
  }
  write_strings(errors_.id(), count_, begin, batch.errors);
  {
    // Status last: a row whose status is no longer "pending" has its other datasets written.
    Handle file_space = row_selection({count_}, begin, count);
    Handle memory = simple_space({count});
    check(H5Dwrite(status_.id(), H5T_NATIVE_UINT8, memory.id(), file_space.id(), H5P_DEFAULT, batch.status.data()),
          "write /status");
  }
  unjournaled_.push_back({begin, count});
}

void OutputFile::checkpoint() {
  if (unjournaled_.empty()) return;
  write_or_explain(path_, [&] { check(H5Fflush(file_.id(), H5F_SCOPE_GLOBAL), "flush " + path_); });
  data_.sync(path_);  // the rows on disk first: only then may the journal vouch for them
  journal_.append(unjournaled_);
  unjournaled_.clear();
}

void OutputFile::set_attribute(const std::string& name, const std::string& value) { set_attr(file_.id(), name, value); }
void OutputFile::set_attribute(const std::string& name, std::int64_t value) { set_attr(file_.id(), name, value); }

void OutputFile::write_input_errors(const std::vector<std::string>& errors) {
  const hid_t f = file_.id();
  if (H5Lexists(f, "input_errors", H5P_DEFAULT) > 0)
    check(H5Ldelete(f, "input_errors", H5P_DEFAULT), "replace /input_errors");
  Handle strings = utf8_string_type();
  Handle set = create_dataset(f, "input_errors", strings.id(), {hsize_t(errors.size())});
  write_strings(set.id(), errors.size(), 0, errors);
}

void OutputFile::write_timings(const metrics::RunReport& report) {
  const hid_t f = file_.id();
  if (H5Lexists(f, "timings", H5P_DEFAULT) > 0) check(H5Ldelete(f, "timings", H5P_DEFAULT), "replace /timings");
  Handle group = make_group(check(H5Gcreate2(f, "timings", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create /timings"));
  const hid_t g = group.id();
  const hsize_t ranks = report.ranks.size(), phases = metrics::kPhaseCount;

  Handle strings = utf8_string_type();
  std::vector<std::string> names(metrics::kPhaseNames.begin(), metrics::kPhaseNames.end());
  Handle phase_names = create_dataset(g, "phase_names", strings.id(), {phases});
  write_strings(phase_names.id(), phases, 0, names);

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
  write_all(create_dataset(g, "phase_seconds", H5T_IEEE_F64LE, {ranks, phases}).id(), H5T_NATIVE_DOUBLE, seconds);
  write_all(create_dataset(g, "wall_seconds", H5T_IEEE_F64LE, {ranks}).id(), H5T_NATIVE_DOUBLE, wall);
  for (auto& [name, values] : {std::pair{"rank", &rank_ids}, {"threads", &threads}, {"images", &images},
                               {"units", &units}, {"bytes_read", &bytes_read}, {"bytes_sent", &bytes_sent},
                               {"bytes_received", &bytes_received}, {"bytes_written", &bytes_written}})
    write_all(create_dataset(g, name, H5T_STD_I64LE, {ranks}).id(), H5T_NATIVE_INT64, *values);
  Handle host_set = create_dataset(g, "hosts", strings.id(), {ranks});
  write_strings(host_set.id(), ranks, 0, hosts);
  set_attr(g, "wall_seconds", fmt::format("{}", report.wall_seconds));
  set_attr(g, "images_per_s", fmt::format("{}", report.images_per_s()));
}

std::uint64_t OutputFile::pending_rows() const {
  std::uint64_t pending = 0;
  for (std::uint64_t begin = 0; begin < count_; begin += kStatusBlock) {
    const auto status = read_status(begin, std::min(kStatusBlock, count_ - begin));
    pending += std::uint64_t(std::count(status.begin(), status.end(), kPendingStatus));
  }
  return pending;
}

void OutputFile::finish() {
  checkpoint();
  if (const auto pending = pending_rows())
    throw StoreError(fmt::format("{} of {} rows of {} were never written: it stays incomplete (--resume finishes it)",
                                 pending, count_, path_));
  set_attr(file_.id(), "complete", std::int64_t{1});
  check(H5Fflush(file_.id(), H5F_SCOPE_GLOBAL), "flush " + path_);
  data_.sync(path_);
  images_.reset();
  status_.reset();
  errors_.reset();
  orig_shape_.reset();
  paths_.reset();
  file_.reset();
  journal_.remove();
}

std::vector<std::uint8_t> OutputFile::read_status(std::uint64_t begin, std::uint64_t count) const {
  std::vector<std::uint8_t> values(count);
  if (count == 0) return values;
  Handle file_space = row_selection({count_}, begin, count);
  Handle memory = simple_space({count});
  check(H5Dread(status_.id(), H5T_NATIVE_UINT8, memory.id(), file_space.id(), H5P_DEFAULT, values.data()),
        "read /status");
  return values;
}

std::vector<std::string> OutputFile::read_errors(std::uint64_t begin, std::uint64_t count) const {
  return read_strings(errors_.id(), begin, count, count_);
}

std::vector<std::string> OutputFile::read_paths(std::uint64_t begin, std::uint64_t count) const {
  return read_strings(paths_.id(), begin, count, count_);
}

std::vector<std::pair<std::uint64_t, std::string>> OutputFile::failures() const {
  std::vector<std::pair<std::uint64_t, std::string>> all;
  for (std::uint64_t begin = 0; begin < count_; begin += kStatusBlock) {
    const std::uint64_t count = std::min(kStatusBlock, count_ - begin);
    const auto status = read_status(begin, count);
    const auto failed = [&](std::uint64_t i) { return status[i] != 0 && status[i] != kPendingStatus; };
    std::uint64_t first = 0;
    while (first < count && !failed(first)) ++first;
    if (first == count) continue;
    // One read of paths and reasons per block that has failures, from its first failure on.
    const auto paths = read_paths(begin + first, count - first);
    const auto errors = read_errors(begin + first, count - first);
    for (std::uint64_t i = first; i < count; ++i)
      if (failed(i)) all.emplace_back(begin + i, fmt::format("{}: {}", paths[i - first], errors[i - first]));
  }
  return all;
}

}  // namespace imgshard::store
