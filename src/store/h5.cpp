#include "store/h5.hpp"

#include <cerrno>
#include <cstring>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <hdf5.h>

#include "store/utf8.hpp"

namespace imgshard::store::h5 {

static_assert(std::is_same_v<hid_t, std::int64_t> && std::is_same_v<herr_t, int>,
              "h5.hpp keeps identifiers as std::int64_t and closes them with int (*)(std::int64_t)");

namespace {

herr_t innermost(unsigned, const H5E_error2_t* err, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (err && err->desc) *message = err->desc;  // walked outward-in: the last one seen is the root cause
  return 0;
}

// Throws StoreError("what: <HDF5's innermost message>") when `status` < 0.
hid_t check(hid_t status, const std::string& what) {
  if (status >= 0) return status;
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &message);
  H5Eclear2(H5E_DEFAULT);
  throw StoreError(message.empty() ? what : fmt::format("{}: {}", what, message));
}

// Silences HDF5's own error stack printing: check() turns errors into one-line exceptions.
void quiet() {
  static const bool once = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  (void)once;
}

}  // namespace

// The one place where identifiers are taken out of objects or wrapped into them.
struct Access {
  static hid_t id(const Object& o) { return o.id_; }
  template <class T>
  static T own(hid_t id, herr_t (*close)(hid_t)) {
    return T(id, close);
  }
};

namespace {

hid_t id(const Object& o) { return Access::id(o); }

// Types and property lists, owned here only (a predefined type is not closed).
class Owned : public Object {
 public:
  Owned(hid_t id, Closer close) : Object(id, close) {}
};

// For messages: "/images", or an attribute's own name.
std::string name_of(const Object& o) {
  char name[256] = {};
  const auto size = H5Iget_type(id(o)) == H5I_ATTR ? H5Aget_name(id(o), sizeof name, name)
                                                    : H5Iget_name(id(o), name, sizeof name);
  return size > 0 ? name : "?";
}

Owned utf8_string_type() {
  Owned type(check(H5Tcopy(H5T_C_S1), "string type"), H5Tclose);
  check(H5Tset_size(id(type), H5T_VARIABLE), "string type");
  check(H5Tset_cset(id(type), H5T_CSET_UTF8), "string type");
  return type;
}

// An element's type in memory or in the file (predefined types are not closed).
enum class In { memory, file };

template <class T>
Owned element_type(In in) {
  const bool file = in == In::file;
  if constexpr (std::is_same_v<T, std::string>) return utf8_string_type();
  else if constexpr (std::is_same_v<T, std::uint8_t>) return {file ? H5T_STD_U8LE : H5T_NATIVE_UINT8, nullptr};
  else if constexpr (std::is_same_v<T, std::int32_t>) return {file ? H5T_STD_I32LE : H5T_NATIVE_INT32, nullptr};
  else if constexpr (std::is_same_v<T, std::int64_t>) return {file ? H5T_STD_I64LE : H5T_NATIVE_INT64, nullptr};
  else if constexpr (std::is_same_v<T, float>) return {file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT, nullptr};
  else return {file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE, nullptr};
}

std::uint64_t elements_per_row(const Dims& dims) {
  std::uint64_t n = 1;
  for (std::size_t d = 1; d < dims.size(); ++d) n *= dims[d];
  return n;
}

// The file's selection of rows [first, first + count) of `dataset`, and memory shaped for them.
std::pair<Dataspace, Dataspace> row_spaces(const Dataset& dataset, std::uint64_t first, std::uint64_t count) {
  Dims dims = dataset.dims();
  Dataspace file = Dataspace::simple(dims);
  file.select_rows(first, count);
  dims[0] = count;
  return {std::move(file), Dataspace::simple(dims)};
}

std::vector<hsize_t> hsizes(const Dims& dims) { return {dims.begin(), dims.end()}; }

}  // namespace

Object::Object(Object&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}

Object& Object::operator=(Object&& o) noexcept {
  if (this != &o) {
    close();
    id_ = std::exchange(o.id_, -1);
    close_ = o.close_;
  }
  return *this;
}

Object::~Object() { close(); }

void Object::close() {
  if (id_ >= 0 && close_) close_(id_);
  id_ = -1;
}

Dataspace Dataspace::simple(const Dims& dims) {
  const auto size = hsizes(dims);
  return Access::own<Dataspace>(check(H5Screate_simple(int(size.size()), size.data(), nullptr), "dataspace"),
                                H5Sclose);
}

Dataspace Dataspace::scalar() { return Access::own<Dataspace>(check(H5Screate(H5S_SCALAR), "scalar space"), H5Sclose); }

Dims Dataspace::dims() const {
  const int rank = check(H5Sget_simple_extent_ndims(id(*this)), "dataspace rank");
  std::vector<hsize_t> size(std::size_t(rank), 0);
  check(H5Sget_simple_extent_dims(id(*this), size.data(), nullptr), "dataspace dims");
  return {size.begin(), size.end()};
}

void Dataspace::select_rows(std::uint64_t first, std::uint64_t count) {
  auto size = hsizes(dims());
  std::vector<hsize_t> start(size.size(), 0);
  start[0] = first;
  size[0] = count;
  check(H5Sselect_hyperslab(id(*this), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr), "row selection");
}

std::string Attribute::read_string() const {
  const Owned type = utf8_string_type();
  char* text = nullptr;
  check(H5Aread(id(*this), id(type), &text), "read attribute " + name_of(*this));
  std::string value = text ? text : "";
  H5free_memory(text);
  return value;
}

std::int64_t Attribute::read_int() const {
  std::int64_t value = 0;
  check(H5Aread(id(*this), H5T_NATIVE_INT64, &value), "read attribute " + name_of(*this));
  return value;
}

void Attribute::write(const std::string& value) const {
  const Owned type = utf8_string_type();
  const char* text = value.c_str();
  check(H5Awrite(id(*this), id(type), &text), "write attribute " + name_of(*this));
}

void Attribute::write(std::int64_t value) const {
  check(H5Awrite(id(*this), H5T_NATIVE_INT64, &value), "write attribute " + name_of(*this));
}

Dims Dataset::dims() const {
  return Access::own<Dataspace>(check(H5Dget_space(id(*this)), "dataspace of " + name_of(*this)), H5Sclose).dims();
}

bool Dataset::holds_floats() const {
  const Owned type(check(H5Dget_type(id(*this)), "type of " + name_of(*this)), H5Tclose);
  return H5Tget_class(id(type)) == H5T_FLOAT;
}

std::uint64_t Dataset::storage_bytes() const { return H5Dget_storage_size(id(*this)); }

std::optional<std::uint64_t> Dataset::offset() const {
  const haddr_t offset = H5Dget_offset(id(*this));
  if (offset != HADDR_UNDEF) return std::uint64_t(offset);
  H5Eclear2(H5E_DEFAULT);
  return std::nullopt;
}

template <Element T>
void Dataset::write_rows(std::uint64_t first, std::span<const T> values) const {
  if (values.empty()) return;
  const std::uint64_t per_row = elements_per_row(dims());
  if (values.size() % per_row != 0)
    throw StoreError(fmt::format("write {}: {} values are no whole rows of {}", name_of(*this), values.size(), per_row));
  const auto [file, memory] = row_spaces(*this, first, values.size() / per_row);
  const Owned type = element_type<T>(In::memory);
  const auto write = [&](const void* data) {
    check(H5Dwrite(id(*this), id(type), id(memory), id(file), H5P_DEFAULT, data), "write " + name_of(*this));
  };
  if constexpr (std::is_same_v<T, std::string>) {
    std::vector<std::string> valid(values.size());
    std::vector<const char*> pointers(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      valid[i] = utf8_text(values[i], false);
      pointers[i] = valid[i].c_str();
    }
    write(pointers.data());
  } else {
    write(values.data());
  }
}

template <Element T>
std::vector<T> Dataset::read_rows(std::uint64_t first, std::uint64_t count) const {
  if (count == 0) return {};
  const std::uint64_t n = count * elements_per_row(dims());
  const auto [file, memory] = row_spaces(*this, first, count);
  const Owned type = element_type<T>(In::memory);
  const auto read = [&](void* data) {
    check(H5Dread(id(*this), id(type), id(memory), id(file), H5P_DEFAULT, data), "read " + name_of(*this));
  };
  if constexpr (std::is_same_v<T, std::string>) {
    std::vector<char*> pointers(n, nullptr);
    read(pointers.data());
    std::vector<std::string> values(n);
    for (std::uint64_t i = 0; i < n; ++i) values[i] = pointers[i] ? pointers[i] : "";
    H5Dvlen_reclaim(id(type), id(memory), H5P_DEFAULT, pointers.data());
    return values;
  } else {
    std::vector<T> values(n);
    read(values.data());
    return values;
  }
}

void Dataset::write_chunk(std::uint64_t row, std::span<const std::uint8_t> bytes) const {
  std::vector<hsize_t> offset(dims().size(), 0);
  offset[0] = row;
  check(H5Dwrite_chunk(id(*this), H5P_DEFAULT, 0, offset.data(), bytes.size(), bytes.data()),
        "write " + name_of(*this) + " chunk");
}

#define IMGSHARD_H5_ELEMENT(T)                                                                     \
  template void Dataset::write_rows<T>(std::uint64_t, std::span<const T>) const;                  \
  template std::vector<T> Dataset::read_rows<T>(std::uint64_t, std::uint64_t) const;              \
  template Dataset Location::create_dataset<T>(const std::string&, const Dims&, const Storage&, \
                                               std::optional<T>) const;

bool Location::exists(const std::string& name) const { return H5Lexists(id(*this), name.c_str(), H5P_DEFAULT) > 0; }

void Location::remove(const std::string& name) const {
  check(H5Ldelete(id(*this), name.c_str(), H5P_DEFAULT), "remove " + name);
}

Group Location::create_group(const std::string& name) const {
  return Access::own<Group>(
      check(H5Gcreate2(id(*this), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "create /" + name), H5Gclose);
}

Dataset Location::dataset(const std::string& name) const {
  return Access::own<Dataset>(check(H5Dopen2(id(*this), name.c_str(), H5P_DEFAULT), "open /" + name), H5Dclose);
}

template <Element T>
Dataset Location::create_dataset(const std::string& name, const Dims& dims, const Storage& storage,
                                 std::optional<T> fill) const {
  const Owned dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "dataset properties"), H5Pclose);
  if (!storage.chunk.empty()) {
    const auto chunk = hsizes(storage.chunk);
    check(H5Pset_chunk(id(dcpl), int(chunk.size()), chunk.data()), "chunk");
    if (storage.gzip_level >= 0) check(H5Pset_deflate(id(dcpl), unsigned(storage.gzip_level)), "gzip");
  }
  if (storage.early) check(H5Pset_alloc_time(id(dcpl), H5D_ALLOC_TIME_EARLY), "allocation time");
  if (storage.never_fill) {
    check(H5Pset_layout(id(dcpl), H5D_CONTIGUOUS), "layout");
    check(H5Pset_fill_time(id(dcpl), H5D_FILL_TIME_NEVER), "fill time");
  }
  if constexpr (!std::is_same_v<T, std::string>) {
    if (fill) check(H5Pset_fill_value(id(dcpl), id(element_type<T>(In::memory)), &*fill), "fill value");
  }
  const Owned type = element_type<T>(In::file);
  const Dataspace space = Dataspace::simple(dims);
  return Access::own<Dataset>(
      check(H5Dcreate2(id(*this), name.c_str(), id(type), id(space), H5P_DEFAULT, id(dcpl), H5P_DEFAULT),
            "create " + name),
      H5Dclose);
}

IMGSHARD_H5_ELEMENT(std::uint8_t)
IMGSHARD_H5_ELEMENT(std::int32_t)
IMGSHARD_H5_ELEMENT(std::int64_t)
IMGSHARD_H5_ELEMENT(float)
IMGSHARD_H5_ELEMENT(double)
IMGSHARD_H5_ELEMENT(std::string)
#undef IMGSHARD_H5_ELEMENT

bool Location::has_attribute(const std::string& name) const { return H5Aexists(id(*this), name.c_str()) > 0; }

Attribute Location::attribute(const std::string& name) const {
  return Access::own<Attribute>(check(H5Aopen(id(*this), name.c_str(), H5P_DEFAULT), "open attribute " + name),
                                H5Aclose);
}

void Location::set_attribute(const std::string& name, const std::string& value) const {
  // Strings are replaced: a new value may need another size.
  if (has_attribute(name)) check(H5Adelete(id(*this), name.c_str()), "delete attribute " + name);
  const Owned type = utf8_string_type();
  const Dataspace space = Dataspace::scalar();
  Access::own<Attribute>(check(H5Acreate2(id(*this), name.c_str(), id(type), id(space), H5P_DEFAULT, H5P_DEFAULT),
                               "create attribute " + name),
                         H5Aclose)
      .write(value);
}

void Location::set_attribute(const std::string& name, std::int64_t value) const {
  if (has_attribute(name)) return attribute(name).write(value);
  const Dataspace space = Dataspace::scalar();
  Access::own<Attribute>(check(H5Acreate2(id(*this), name.c_str(), H5T_STD_I64LE, id(space), H5P_DEFAULT, H5P_DEFAULT),
                               "create attribute " + name),
                         H5Aclose)
      .write(value);
}

File File::create(const std::string& path, std::uint64_t alignment) {
  quiet();
  const Owned fapl(check(H5Pcreate(H5P_FILE_ACCESS), "file access properties"), H5Pclose);
  check(H5Pset_alignment(id(fapl), 64 << 10, alignment), "alignment");
  return Access::own<File>(check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, id(fapl)), "create " + path),
                           H5Fclose);
}

File File::open(const std::string& path, Mode mode) {
  quiet();
  const unsigned flags = mode == Mode::read_only ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
  return Access::own<File>(check(H5Fopen(path.c_str(), flags, H5P_DEFAULT), "open"), H5Fclose);
}

namespace {

// The descriptor HDF5's default driver (sec2) writes the file through; -1 when unknown.
int descriptor_of(const File& f) {
  void* handle = nullptr;
  if (H5Fget_vfd_handle(id(f), H5P_DEFAULT, &handle) < 0 || !handle) {
    H5Eclear2(H5E_DEFAULT);
    return -1;
  }
  return *static_cast<int*>(handle);
}

// Allocates the disk blocks of the file up to HDF5's end of allocation (EOA), below which lies
// everything HDF5 holds, but `sparse`: the room a flush may need. That is past the file's
// end, and below it too: the unused tail of an allocation block that an earlier flush left a
// hole (on 1 KiB blocks) may be written now. Blocks already there stay as they are. Throws
// StoreError when there is no room.
void allocate_what_a_flush_writes(const File& f, const char* path, std::optional<Extent> sparse) {
  haddr_t eoa = 0;
  const int fd = descriptor_of(f);
  if (fd < 0 || H5Fget_eoa(id(f), &eoa) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return;
  }
  const auto allocate = [&](std::uint64_t begin, std::uint64_t end) {
    if (end <= begin || ::fallocate(fd, FALLOC_FL_KEEP_SIZE, off_t(begin), off_t(end - begin)) == 0) return true;
    if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)
      throw StoreError(fmt::format("flush {}: no room for it: {}", path, std::strerror(errno)));
    return false;  // this file system has no fallocate: the flush goes on without
  };
  if (!sparse) {
    allocate(0, eoa);
  } else if (allocate(0, std::min<std::uint64_t>(sparse->offset, eoa))) {
    allocate(sparse->offset + sparse->size, eoa);
  }
}

}  // namespace

void File::flush(std::optional<Extent> sparse) const {
  char path[4096] = {};
  H5Fget_name(id(*this), path, sizeof path);
  allocate_what_a_flush_writes(*this, path, sparse);
  check(H5Fflush(id(*this), H5F_SCOPE_GLOBAL), fmt::format("flush {}", path));
}

void File::abandon() {
  if (!*this) return;
  // A failed H5Fclose would keep the file's identifier, and HDF5 would try again, and crash,
  // when the library shuts down (at MPI_Finalize): so the close gets somewhere to write. Where
  // no memory file can be made, /dev/null read-only refuses the writes: the file on disk is
  // safe all the same.
  const int fd = descriptor_of(*this);
  int nowhere = ::memfd_create("imgshard-abandoned", MFD_CLOEXEC);
  if (nowhere < 0) nowhere = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && nowhere >= 0) ::dup3(nowhere, fd, O_CLOEXEC);
  if (nowhere >= 0) ::close(nowhere);
  H5Eclear2(H5E_DEFAULT);
  close();
  H5Eclear2(H5E_DEFAULT);
}

}  // namespace imgshard::store::h5
