#include "store/h5.hpp"

#include <fmt/format.h>

namespace imgshard::store {
namespace {

herr_t innermost(unsigned, const H5E_error2_t* err, void* out) {
  auto* message = static_cast<std::string*>(out);
  if (err && err->desc) *message = err->desc;  // walked outward-in: the last one seen is the root cause
  return 0;
}

}  // namespace

hid_t check(hid_t status, const std::string& what) {
  if (status >= 0) return status;
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &message);
  H5Eclear2(H5E_DEFAULT);
  throw StoreError(message.empty() ? what : fmt::format("{}: {}", what, message));
}

Handle make_file(hid_t id) { return Handle(id, H5Fclose); }
Handle make_dataset(hid_t id) { return Handle(id, H5Dclose); }
Handle make_space(hid_t id) { return Handle(id, H5Sclose); }
Handle make_type(hid_t id) { return Handle(id, H5Tclose); }
Handle make_plist(hid_t id) { return Handle(id, H5Pclose); }
Handle make_group(hid_t id) { return Handle(id, H5Gclose); }
Handle make_attr(hid_t id) { return Handle(id, H5Aclose); }

Handle utf8_string_type() {
  Handle type = make_type(check(H5Tcopy(H5T_C_S1), "string type"));
  check(H5Tset_size(type.id(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(type.id(), H5T_CSET_UTF8), "string type");
  return type;
}

Handle simple_space(const std::vector<hsize_t>& dims) {
  return make_space(check(H5Screate_simple(int(dims.size()), dims.data(), nullptr), "dataspace"));
}

Handle row_selection(const std::vector<hsize_t>& dims, hsize_t first, hsize_t count) {
  Handle space = simple_space(dims);
  std::vector<hsize_t> start(dims.size(), 0), size = dims;
  start[0] = first;
  size[0] = count;
  check(H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, start.data(), nullptr, size.data(), nullptr), "row selection");
  return space;
}

bool has_attr(hid_t object, const std::string& name) { return H5Aexists(object, name.c_str()) > 0; }

void set_attr(hid_t object, const std::string& name, const std::string& value) {
  if (has_attr(object, name)) check(H5Adelete(object, name.c_str()), "delete attribute " + name);
  Handle type = utf8_string_type();
  Handle space = make_space(check(H5Screate(H5S_SCALAR), "scalar space"));
  Handle attr = make_attr(check(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                                "create attribute " + name));
  const char* text = value.c_str();
  check(H5Awrite(attr.id(), type.id(), &text), "write attribute " + name);
}

void set_attr(hid_t object, const std::string& name, std::int64_t value) {
  if (has_attr(object, name)) {
    Handle attr = make_attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name));
    check(H5Awrite(attr.id(), H5T_NATIVE_INT64, &value), "write attribute " + name);
    return;
  }
  Handle space = make_space(check(H5Screate(H5S_SCALAR), "scalar space"));
  Handle attr = make_attr(check(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT),
                                "create attribute " + name));
  check(H5Awrite(attr.id(), H5T_NATIVE_INT64, &value), "write attribute " + name);
}

std::string get_string_attr(hid_t object, const std::string& name) {
  Handle attr = make_attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  Handle type = utf8_string_type();
  char* text = nullptr;
  check(H5Aread(attr.id(), type.id(), &text), "read attribute " + name);
  std::string value = text ? text : "";
  H5free_memory(text);
  return value;
}

std::int64_t get_int_attr(hid_t object, const std::string& name) {
  Handle attr = make_attr(check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  std::int64_t value = 0;
  check(H5Aread(attr.id(), H5T_NATIVE_INT64, &value), "read attribute " + name);
  return value;
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s` (1-4), or 0 when it is not one:
// no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629).
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&](std::size_t i) { return std::uint8_t(s[i]); };
  const std::uint8_t c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c == 0xe0) n = 3, lo = 0xa0;
  else if (c == 0xed) n = 3, hi = 0x9f;
  else if (c >= 0xe1 && c <= 0xef) n = 3;
  else if (c == 0xf0) n = 4, lo = 0x90;
  else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else if (c == 0xf4) n = 4, hi = 0x8f;
  else return 0;
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xbf) return 0;
  return n;
}

}  // namespace

std::string utf8_text(std::string_view bytes, bool reversible) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t n = utf8_sequence(bytes.substr(at));
    if (n == 0) {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto c = std::uint8_t(bytes[at++]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      if (reversible && bytes[at] == '\\') out += '\\';
      out.append(bytes.substr(at, n));
      at += n;
    }
  }
  return out;
}

void write_strings(hid_t dataset, hsize_t total, hsize_t first, std::span<const std::string> strings) {
  if (strings.empty()) return;
  std::vector<std::string> valid(strings.size());
  std::vector<const char*> pointers(strings.size());
  for (std::size_t i = 0; i < strings.size(); ++i) {
    valid[i] = utf8_text(strings[i], false);
    pointers[i] = valid[i].c_str();
  }
  Handle type = utf8_string_type();
  Handle file_space = row_selection({total}, first, strings.size());
  Handle memory = simple_space({hsize_t(strings.size())});
  check(H5Dwrite(dataset, type.id(), memory.id(), file_space.id(), H5P_DEFAULT, pointers.data()), "write strings");
}

std::vector<std::string> read_strings(hid_t dataset, hsize_t first, hsize_t count, hsize_t total) {
  std::vector<char*> pointers(count, nullptr);
  if (count == 0) return {};
  Handle type = utf8_string_type();
  Handle file_space = row_selection({total}, first, count);
  Handle memory = simple_space({count});
  check(H5Dread(dataset, type.id(), memory.id(), file_space.id(), H5P_DEFAULT, pointers.data()), "read strings");
  std::vector<std::string> result(count);
  for (hsize_t i = 0; i < count; ++i) result[i] = pointers[i] ? pointers[i] : "";
  H5Dvlen_reclaim(type.id(), memory.id(), H5P_DEFAULT, pointers.data());
  return result;
}

}  // namespace imgshard::store
