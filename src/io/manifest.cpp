#include "io/manifest.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

#include <csv.h>
#include <fmt/format.h>

namespace imgshard::io {
namespace {

// libcsv trims spaces and tabs around unquoted fields by default; a title or an id keeps them.
int no_space(unsigned char) { return 0; }

std::size_t column_index(const Manifest& m, const std::string& name) {
  const auto it = std::find(m.header.begin(), m.header.end(), name);
  return it == m.header.end() ? kNoColumn : std::size_t(it - m.header.begin());
}

std::string header_list(const Manifest& m) {
  std::string s;
  for (const auto& h : m.header) s += (s.empty() ? "" : ", ") + h;
  return s;
}

// Collects libcsv's fields and rows. The callbacks are called from C: they record an error
// instead of throwing, and the parse loop throws once libcsv has returned.
class Reader {
 public:
  Reader(const std::string& path, const ManifestColumns& columns, Manifest& out)
      : path_(path), columns_(columns), out_(out) {}

  static void on_field(void* text, std::size_t size, void* self) {
    auto& r = *static_cast<Reader*>(self);
    r.fields_.emplace_back(size ? std::string(static_cast<const char*>(text), size) : std::string());
  }
  static void on_row(int, void* self) { static_cast<Reader*>(self)->end_row(); }

  // The file is fed one physical line at a time so that every row knows the line it starts on.
  void begin_line(std::uint64_t line, bool blank) {
    line_ = line;
    if (row_line_ == 0 && !blank) row_line_ = line;
  }
  std::uint64_t row_line() const { return row_line_ ? row_line_ : line_; }
  const std::string& error() const { return error_; }
  void fail(std::uint64_t line, std::string reason) {
    if (error_.empty()) error_ = fmt::format("{} line {}: {}", path_, line, reason);
  }

 private:
  void end_row() {
    const std::uint64_t line = row_line();
    row_line_ = 0;
    std::vector<std::string> fields;
    fields.swap(fields_);
    if (!error_.empty()) return;
    if (out_.header.empty()) {
      take_header(std::move(fields), line);
      return;
    }
    if (fields.size() != out_.header.size()) {
      fail(line, fmt::format("{} field{}, but the header has {} columns (a stray quote or delimiter?)", fields.size(),
                             fields.size() == 1 ? "" : "s", out_.header.size()));
      return;
    }
    if (fields[out_.path_column].empty()) {
      fail(line, fmt::format("empty path (column '{}')", out_.header[out_.path_column]));
      return;
    }
    for (std::size_t c = 0; c < fields.size(); ++c) out_.columns[c].push_back(std::move(fields[c]));
    out_.lines.push_back(line);
  }

  void take_header(std::vector<std::string> names, std::uint64_t line) {
    for (std::size_t c = 0; c < names.size(); ++c) {
      const std::string& name = names[c];
      if (name.empty()) return fail(line, fmt::format("header: column {} has no name", c + 1));
      if (name.find('/') != std::string::npos || name == "." || name == "..")
        return fail(line, fmt::format("header: column name '{}' cannot name an HDF5 dataset (/meta/{})", name, name));
      if (std::find(names.begin(), names.begin() + std::ptrdiff_t(c), name) != names.begin() + std::ptrdiff_t(c))
        return fail(line, fmt::format("header: column '{}' appears twice", name));
    }
    out_.header = std::move(names);
    out_.columns.assign(out_.header.size(), {});
    out_.path_column = column_index(out_, columns_.path);
    out_.label_column = column_index(out_, columns_.label);
    if (out_.path_column == kNoColumn)
      return fail(line, fmt::format("no column '{}' for the image paths (columns: {}); name it with --csv-path",
                                    columns_.path, header_list(out_)));
    if (out_.label_column == kNoColumn && columns_.label_required)
      return fail(line, fmt::format("no label column '{}' (columns: {})", columns_.label, header_list(out_)));
    if (out_.label_column == out_.path_column)
      return fail(line, fmt::format("column '{}' cannot be both the path and the label", columns_.path));
  }

  const std::string& path_;
  const ManifestColumns& columns_;
  Manifest& out_;
  std::vector<std::string> fields_;
  std::uint64_t line_ = 0, row_line_ = 0;
  std::string error_;
};

}  // namespace

bool is_manifest_input(const std::string& input) {
  if (!input.starts_with('@') || input.size() < 5) return false;
  std::string ext = input.substr(input.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".csv";
}

std::string nul_byte_message(const std::string& file, std::uint64_t line) {
  return fmt::format("{} line {}: a NUL byte (a binary file, or text saved as UTF-16?)", file, line);
}

Manifest read_manifest(const std::string& csv_path, const ManifestColumns& columns) {
  std::ifstream in(csv_path, std::ios::binary);
  if (!in) throw ManifestError(fmt::format("cannot read CSV manifest {}", csv_path));
  Manifest m;
  Reader reader(csv_path, columns, m);
  csv_parser parser;
  // RFC 4180, as spreadsheets and pandas write it: CSV_STRICT makes a quote inside an unquoted
  // field, or text after a closing quote, an error with its line instead of a guess;
  // CSV_STRICT_FINI makes a quote left open at the end of the file one, not one huge field.
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw ManifestError("libcsv: out of memory");
  csv_set_space_func(&parser, no_space);
  struct Free {
    csv_parser* p;
    ~Free() { csv_free(p); }
  } free_parser{&parser};

  std::string text;
  std::uint64_t number = 0;
  // One line at a time, so that every row knows the line it starts on. A CR alone (old Mac
  // Excel's "CSV (Macintosh)") ends a line too; so, for the count, does one inside a quoted
  // field of a file with LF ends (it stays in the field).
  const auto feed = [&](std::string_view line) {
    ++number;
    if (line.find('\0') != std::string_view::npos)  // the system would cut a path there, HDF5 a /meta name
      throw ManifestError(nul_byte_message(csv_path, number));
    const std::string_view bare = line.substr(0, line.size() - (line.ends_with('\n') ? 1 : 0));
    reader.begin_line(number, bare.empty() || bare == "\r");
    if (csv_parse(&parser, line.data(), line.size(), Reader::on_field, Reader::on_row, &reader) != line.size())
      reader.fail(number, "a quote inside an unquoted field, or text after a closing quote (quote the whole field "
                          "and double the quotes inside it)");
    if (!reader.error().empty()) throw ManifestError(reader.error());
  };
  while (std::getline(in, text)) {
    if (number == 0 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // UTF-8 BOM (Excel's "CSV UTF-8")
    if (!in.eof()) text.push_back('\n');
    std::size_t from = 0;
    for (std::size_t cr; (cr = text.find('\r', from)) != std::string::npos && cr + 1 < text.size() &&
                         text[cr + 1] != '\n';
         from = cr + 1)
      feed(std::string_view(text).substr(from, cr + 1 - from));
    feed(std::string_view(text).substr(from));
  }
  if (in.bad()) throw ManifestError(fmt::format("cannot read CSV manifest {}: I/O error", csv_path));
  if (csv_fini(&parser, Reader::on_field, Reader::on_row, &reader) != 0)
    reader.fail(reader.row_line(), "a quoted field is never closed");
  if (!reader.error().empty()) throw ManifestError(reader.error());
  if (m.header.empty()) throw ManifestError(fmt::format("{} line 1: no header row (the file is empty)", csv_path));
  return m;
}

}  // namespace imgshard::io
