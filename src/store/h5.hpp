#pragma once
// A small RAII layer over the HDF5 C API in HighFive's spirit: a Handle owns one hid_t,
// and no hid_t leaves store/.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hdf5.h>

namespace imgshard::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws StoreError("what: <HDF5's innermost message>") when `status` < 0.
hid_t check(hid_t status, const std::string& what);

class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), close_(o.close_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      close_ = o.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t id() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

Handle make_file(hid_t id);
Handle make_dataset(hid_t id);
Handle make_space(hid_t id);
Handle make_type(hid_t id);
Handle make_plist(hid_t id);
Handle make_group(hid_t id);
Handle make_attr(hid_t id);

// The variable-length UTF-8 string type h5py reads as str.
Handle utf8_string_type();

// Dataspace of `dims`, and a hyperslab of it selecting rows [first, first + count).
Handle simple_space(const std::vector<hsize_t>& dims);
Handle row_selection(const std::vector<hsize_t>& dims, hsize_t first, hsize_t count);

// Scalar string and integer attributes on a file or object.
void set_attr(hid_t object, const std::string& name, const std::string& value);
void set_attr(hid_t object, const std::string& name, std::int64_t value);
std::string get_string_attr(hid_t object, const std::string& name);
std::int64_t get_int_attr(hid_t object, const std::string& name);
bool has_attr(hid_t object, const std::string& name);

// Text that is valid UTF-8 whatever bytes it came from, as the UTF-8 datasets promise: each
// byte that is not part of a valid UTF-8 sequence is written "\xHH" (lower-case hex). With
// `reversible` (file names, in /paths), a backslash is also written "\\", so that the original
// bytes can be recovered exactly; valid UTF-8 without a backslash is always kept as it is.
std::string utf8_text(std::string_view bytes, bool reversible);

// Writes `strings` as rows [first, first + strings.size()) of a 1-D VL string dataset, each
// made valid UTF-8 by utf8_text (not reversible: messages, not names).
void write_strings(hid_t dataset, hsize_t total, hsize_t first, std::span<const std::string> strings);
std::vector<std::string> read_strings(hid_t dataset, hsize_t first, hsize_t count, hsize_t total);

}  // namespace imgshard::store
