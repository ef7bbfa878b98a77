#include "kernels/registry.hpp"

#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace imgshard::kernels {

// Each kernel's file defines its declaration; add one line here and one in the list below.
const KernelSpec& resize_kernel();
const KernelSpec& shorter_kernel();
const KernelSpec& crop_kernel();
const KernelSpec& flip_kernel();
const KernelSpec& rotate_kernel();
const KernelSpec& gray_kernel();
const KernelSpec& gauss_kernel();
const KernelSpec& box_kernel();
const KernelSpec& median_kernel();
const KernelSpec& sharpen_kernel();
const KernelSpec& sobel_kernel();
const KernelSpec& scharr_kernel();
const KernelSpec& laplacian_kernel();
const KernelSpec& canny_kernel();
const KernelSpec& threshold_kernel();
const KernelSpec& equalize_kernel();
const KernelSpec& clahe_kernel();
const KernelSpec& invert_kernel();
const KernelSpec& brightness_kernel();
const KernelSpec& gamma_kernel();
const KernelSpec& normalize_kernel();
const KernelSpec& layout_kernel();

// In the order a pipeline usually runs: geometry, colour, filters, edges, tone curves, tensor.
const std::vector<const KernelSpec*>& all_kernels() {
  static const std::vector<const KernelSpec*> kernels = {
      &resize_kernel(),
      &shorter_kernel(),
      &crop_kernel(),
      &flip_kernel(),
      &rotate_kernel(),
      &gray_kernel(),
      &gauss_kernel(),
      &box_kernel(),
      &median_kernel(),
      &sharpen_kernel(),
      &sobel_kernel(),
      &scharr_kernel(),
      &laplacian_kernel(),
      &canny_kernel(),
      &threshold_kernel(),
      &equalize_kernel(),
      &clahe_kernel(),
      &invert_kernel(),
      &brightness_kernel(),
      &gamma_kernel(),
      &normalize_kernel(),
      &layout_kernel(),
  };
  return kernels;
}

const KernelSpec* find_kernel(std::string_view name) {
  for (const KernelSpec* k : all_kernels())
    if (k->name == name) return k;
  return nullptr;
}

namespace {

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string range_text(const ArgSpec& arg) {
  const bool has_min = arg.min > -kNoLimit, has_max = arg.max < kNoLimit;
  if (has_min && has_max && !arg.min_exclusive) return fmt::format("between {} and {}", arg.min, arg.max);
  if (has_min && has_max) return fmt::format("> {} and <= {}", arg.min, arg.max);
  if (has_min) return fmt::format("{} {}", arg.min_exclusive ? ">" : ">=", arg.min);
  if (has_max) return fmt::format("<= {}", arg.max);
  return "a number";
}

bool in_range(const ArgSpec& arg, double v) {
  if (arg.min_exclusive ? !(v > arg.min) : !(v >= arg.min)) return false;
  return v <= arg.max;
}

// The declared words, joined by `sep`: "h|v|hv", "stretch, crop, pad".
std::string words_of(const ArgSpec& arg, std::string_view sep) {
  std::string words;
  for (const auto& c : arg.choices) words += (words.empty() ? "" : std::string(sep)) + c.word;
  return words;
}

std::string type_text(const ArgSpec& arg) {
  const std::string words = words_of(arg, "|");
  switch (arg.type) {
    case ArgType::integer: return words.empty() ? "int" : "int|" + words;
    case ArgType::number: return words.empty() ? "number" : "number|" + words;
    case ArgType::numbers: return "a/b/c";
    case ArgType::choice: return words;
  }
  return "";
}

}  // namespace

std::string validate_arg(const KernelSpec& kernel, const ArgSpec& arg, std::string_view value) {
  const auto fail = [&](std::string_view what) {
    return KernelError(fmt::format("{}: {} must be {}, got '{}'", kernel.name, arg.name, what, value));
  };
  for (const auto& c : arg.choices)
    if (value == c.word) return std::string(value);
  const std::string words = words_of(arg, ", ");  // for the messages: "center", "stretch, crop, pad"
  switch (arg.type) {
    case ArgType::choice:
      throw fail("one of " + words);
    case ArgType::integer: {
      long long v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || end != value.data() + value.size())
        throw fail(arg.choices.empty() ? "a whole number" : "a whole number or " + words);
      if (!in_range(arg, double(v))) throw fail(range_text(arg));
      return std::to_string(v);
    }
    case ArgType::number: {
      auto v = parse_double(value);
      if (!v) throw fail(arg.choices.empty() ? "a number" : "a number or " + words);
      if (!in_range(arg, *v)) throw fail(range_text(arg));
      return fmt::format("{}", *v);
    }
    case ArgType::numbers: {
      std::string canonical;
      std::size_t start = 0;
      while (true) {
        std::size_t slash = value.find('/', start);
        std::string_view part = value.substr(start, slash == std::string_view::npos ? value.npos : slash - start);
        auto v = parse_double(part);
        if (!v) throw fail("numbers joined by '/'");
        if (!in_range(arg, *v)) throw fail("numbers each " + range_text(arg));
        if (!canonical.empty()) canonical += '/';  // (not "" or "/" + ...: GCC 12 warns -Wrestrict on that)
        canonical += fmt::format("{}", *v);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
      }
      return canonical;
    }
  }
  throw fail("valid");
}

void check_input(const KernelSpec& kernel, const ImageShape& in) {
  if (in.layout != Layout::hwc)
    throw KernelError(fmt::format("{}: cannot follow layout=chw (layout must be the last step)", kernel.name));
  // normalize is the one step that makes float32, so say which step is in the way.
  if (kernel.input == Input::u8 && in.type != ElemType::u8)
    throw KernelError(fmt::format("{}: needs uint8 input, but follows normalize (float32): put normalize after it",
                                  kernel.name));
}

const ArgValues::Value& ArgValues::at(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw KernelError("internal: argument '" + name + "' was not declared");
  return it->second;
}

const std::string& ArgValues::text(const std::string& name) const { return at(name).text; }

std::optional<int> ArgValues::chosen(const std::string& name) const {
  const Value& v = at(name);
  for (const auto& c : v.arg->choices)
    if (c.word == v.text) return c.value;
  return std::nullopt;
}

int ArgValues::integer(const std::string& name) const {
  const auto word = chosen(name);
  return word ? *word : std::stoi(text(name));
}

double ArgValues::number(const std::string& name) const {
  const auto word = chosen(name);
  return word ? double(*word) : *parse_double(text(name));  // as validated: std::stod refuses subnormals
}

std::vector<double> ArgValues::numbers(const std::string& name) const {
  std::vector<double> result;
  const std::string& t = text(name);
  std::size_t start = 0;
  while (true) {
    std::size_t slash = t.find('/', start);
    const std::string_view part = std::string_view(t).substr(start, slash == std::string::npos ? slash : slash - start);
    result.push_back(*parse_double(part));  // as validated: std::stod refuses subnormals
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return result;
}

std::string list_kernels_text() {
  std::string out;
  for (const KernelSpec* k : all_kernels()) {
    out += fmt::format("{:<11} {}\n", k->name, k->summary);
    out += fmt::format("{:<11} = {}\n", "", k->opencv);
    for (const auto& a : k->args) {
      std::string range = (a.type == ArgType::integer || a.type == ArgType::number || a.type == ArgType::numbers) &&
                                  (a.min > -kNoLimit || a.max < kNoLimit)
                              ? ", " + range_text(a)
                              : "";
      out += fmt::format("{:<11}   {}=<{}>  {} ({}{})\n", "", a.name, type_text(a), a.doc,
                         a.required() ? "required" : "default " + a.default_value, range);
    }
  }
  return out;
}

std::string kernels_markdown_table() {
  // A '|' inside a cell, even inside `code`, ends the cell in GitHub's tables unless escaped.
  const auto cell = [](std::string_view text) {
    std::string escaped;
    for (char c : text) {
      if (c == '|') escaped += '\\';
      escaped += c;
    }
    return escaped;
  };
  std::string out = "| kernel | arguments | equals |\n| --- | --- | --- |\n";
  for (const KernelSpec* k : all_kernels()) {
    std::string args;
    for (const auto& a : k->args)
      args += fmt::format("{}`{}`={}{}", args.empty() ? "" : "<br>", a.name, type_text(a),
                          a.required() ? "" : fmt::format(" (default `{}`)", a.default_value));
    out += fmt::format("| `{}` | {} | {}: `{}` |\n", k->name, args.empty() ? "none" : cell(args), cell(k->summary),
                       cell(k->opencv));
  }
  return out;
}

}  // namespace imgshard::kernels
