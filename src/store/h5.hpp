#pragma once
// A small typed layer over the HDF5 C API in HighFive's spirit, for store/ alone. Each class
// owns one HDF5 object and closes it; none is made from a raw identifier but in h5.cpp, and
// neither HDF5's header nor its identifiers show here. Every failure is a StoreError that
// ends with HDF5's innermost message; HDF5 prints nothing itself.
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/error.hpp"

namespace imgshard::store::h5 {

using Dims = std::vector<std::uint64_t>;

// What datasets hold: little-endian numbers, and variable-length UTF-8 strings (h5py's
// str), written valid UTF-8 whatever their bytes (utf8_text, not reversible).
template <class T>
concept Element = std::same_as<T, std::uint8_t> || std::same_as<T, std::int32_t> || std::same_as<T, std::int64_t> ||
                  std::same_as<T, float> || std::same_as<T, double> || std::same_as<T, std::string>;

struct Access;  // h5.cpp's only way to and from raw identifiers

class Object {
 public:
  Object(Object&& o) noexcept;
  Object& operator=(Object&& o) noexcept;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;
  ~Object();

  explicit operator bool() const { return id_ >= 0; }
  void close();  // now; nothing when closed already

 protected:
  using Closer = int (*)(std::int64_t);
  Object() = default;
  Object(std::int64_t id, Closer close) : id_(id), close_(close) {}

 private:
  friend struct Access;
  std::int64_t id_ = -1;
  Closer close_ = nullptr;
};

// The shape of a dataset, and the rows an I/O call touches.
class Dataspace : public Object {
 public:
  Dataspace() = default;
  static Dataspace simple(const Dims& dims);
  static Dataspace scalar();
  Dims dims() const;
  // Selects rows [first, first + count) of the first dimension, whole in the others.
  void select_rows(std::uint64_t first, std::uint64_t count);

 private:
  friend struct Access;
  Dataspace(std::int64_t id, Closer close) : Object(id, close) {}
};

// A scalar attribute: a string or an integer.
class Attribute : public Object {
 public:
  Attribute() = default;
  std::string read_string() const;
  std::int64_t read_int() const;
  void write(const std::string& value) const;
  void write(std::int64_t value) const;

 private:
  friend struct Access;
  Attribute(std::int64_t id, Closer close) : Object(id, close) {}
};

// How a new dataset lies in the file.
struct Storage {
  Dims chunk;               // chunked in pieces of this shape (empty: contiguous)
  int gzip_level = -1;      // with `chunk`: each piece deflated (-1: not)
  bool early = false;       // allocated at creation: later writes change raw data only
  bool never_fill = false;  // contiguous, and never written with the fill value
};

// Bytes [offset, offset + size) of a file.
struct Extent {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

class Dataset : public Object {
 public:
  Dataset() = default;
  Dims dims() const;
  bool holds_floats() const;
  // Where the data of a contiguous, allocated dataset starts in the file; nullopt when it is
  // chunked.
  std::optional<std::uint64_t> offset() const;
  // The bytes its data takes in the file (allocated, whether written or not).
  std::uint64_t storage_bytes() const;

  // Rows [first, first + n) from `values`, n rows' worth of elements; nothing when empty.
  template <Element T>
  void write_rows(std::uint64_t first, std::span<const T> values) const;
  template <Element T>
  void write_rows(std::uint64_t first, const std::vector<T>& values) const {
    write_rows(first, std::span<const T>(values));
  }
  // Rows [first, first + count), all elements of each, row after row.
  template <Element T>
  std::vector<T> read_rows(std::uint64_t first, std::uint64_t count) const;
  // Row `row` of a dataset chunked a row at a time, as its filter would have compressed it.
  void write_chunk(std::uint64_t row, std::span<const std::uint8_t> bytes) const;

 private:
  friend struct Access;
  Dataset(std::int64_t id, Closer close) : Object(id, close) {}
};

class Group;

// A file or a group: what holds datasets, groups and attributes.
class Location : public Object {
 public:
  bool exists(const std::string& name) const;  // a link of that name
  void remove(const std::string& name) const;  // the link
  Group create_group(const std::string& name) const;
  Dataset dataset(const std::string& name) const;
  template <Element T>
  Dataset create_dataset(const std::string& name, const Dims& dims, const Storage& storage = {},
                         std::optional<T> fill = std::nullopt) const;

  bool has_attribute(const std::string& name) const;
  Attribute attribute(const std::string& name) const;
  // Creates the scalar attribute `name`, or gives it this value.
  void set_attribute(const std::string& name, const std::string& value) const;
  void set_attribute(const std::string& name, std::int64_t value) const;

 protected:
  Location() = default;
  Location(std::int64_t id, Closer close) : Object(id, close) {}
};

class Group : public Location {
 public:
  Group() = default;

 private:
  friend struct Access;
  Group(std::int64_t id, Closer close) : Location(id, close) {}
};

class File : public Location {
 public:
  enum class Mode { read_only, read_write };
  File() = default;
  // A new file: fails when one is there. Objects of 64 KiB and more start on a multiple of
  // `alignment` bytes (1: anywhere).
  static File create(const std::string& path, std::uint64_t alignment = 1);
  static File open(const std::string& path, Mode mode);
  // To the operating system (H5Fflush); syncing it is the caller's. Every disk block the flush
  // may write is allocated first (fallocate: the whole file up to HDF5's end of allocation,
  // holes below its end included), so that a full disk fails it before it writes anything:
  // HDF5 does not write its structures atomically, and a flush that stopped half way would
  // leave a file that cannot be opened. `sparse` (raw data HDF5 itself never writes) stays
  // as it is. On a file system without fallocate, it flushes all the same.
  void flush(std::optional<Extent> sparse = std::nullopt) const;
  // Closes the file without HDF5 writing anything more into it, for after a failed write:
  // what HDF5 still holds may be half done, and the file on disk must stay as the last flush
  // left it. HDF5 writes what it holds into an anonymous memory file instead, and forgets it.
  void abandon();

 private:
  friend struct Access;
  File(std::int64_t id, Closer close) : Location(id, close) {}
};

}  // namespace imgshard::store::h5
