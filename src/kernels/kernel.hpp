#pragma once
// The contract every kernel follows. A kernel is a pure function of one image (or of a row
// tile of one): it knows nothing of files, ranks or threads. Each kernel lives in its own
// file and is declared once, by a KernelSpec its class returns from a static declaration()
// (see declared<K>); --list-kernels, the pipeline parser's messages and README's kernel
// table are all generated from those declarations.
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <opencv2/core.hpp>

namespace imgshard::kernels {

// A pipeline that cannot be built or an image a kernel cannot take. The message is one line
// that starts with the kernel's name, e.g. "gauss: sigma must be > 0, got -1".
class KernelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ElemType { u8, f32 };
enum class Layout { hwc, chw };

// Shape of the images flowing between two steps. height/width 0 mean "varies per image".
struct ImageShape {
  int height = 0;
  int width = 0;
  int channels = 3;
  ElemType type = ElemType::u8;
  Layout layout = Layout::hwc;

  bool fixed() const { return height > 0 && width > 0; }
  std::size_t bytes() const {
    return std::size_t(height) * width * channels * (type == ElemType::u8 ? 1 : 4);
  }
};

enum class ArgType {
  integer,  // whole number, range-checked
  number,   // real number, range-checked
  choice,   // one word of `choices`
  numbers,  // real numbers joined by '/', e.g. 0.485/0.456/0.406
};

inline constexpr double kNoLimit = std::numeric_limits<double>::infinity();

// A word an argument takes and the value it stands for, declared together: the parser checks
// the word, the kernel reads the value (ArgValues::choice, or integer() for the words an
// integer argument also takes), so no kernel spells its words a second time.
struct Choice {
  std::string word;
  int value = 0;

  Choice(std::string w, int v) : word(std::move(w)), value(v) {}
  template <class E>
    requires std::is_enum_v<E>
  Choice(std::string w, E v) : word(std::move(w)), value(static_cast<int>(v)) {}
};

// What a step takes, checked by the pipeline before the step's output_shape: no step takes
// layout=chw's planes; most take uint8 only, the linear ones and geometry also normalize's float32.
enum class Input { u8, u8_or_f32 };

// One argument, declared once: name, type, default, range, doc.
struct ArgSpec {
  std::string name;
  ArgType type = ArgType::integer;
  std::string default_value;  // empty: the argument is required
  std::string doc;
  double min = -kNoLimit;     // for integer/number (and each element of numbers)
  double max = kNoLimit;
  bool min_exclusive = false;  // "must be > min" rather than ">= min"
  std::vector<Choice> choices;  // for choice; an integer/number arg may also take these words

  bool required() const { return default_value.empty(); }
};

// The validated arguments of one step, by name, as their canonical text. Typed getters parse;
// a word of the argument's declared choices reads as the value declared with it.
class ArgValues {
 public:
  void set(const ArgSpec& arg, std::string value) { values_[arg.name] = {&arg, std::move(value)}; }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const std::string& text(const std::string& name) const;
  int integer(const std::string& name) const;
  double number(const std::string& name) const;
  std::vector<double> numbers(const std::string& name) const;
  template <class E>
  E choice(const std::string& name) const {
    return static_cast<E>(integer(name));
  }

 private:
  struct Value {
    const ArgSpec* arg = nullptr;
    std::string text;
  };
  const Value& at(const std::string& name) const;
  std::optional<int> chosen(const std::string& name) const;  // the value of the word given, if one was
  std::map<std::string, Value> values_;
};

// A step fed its input one row at a time, top to bottom (by a decoder, as it decodes).
class RowStream {
 public:
  virtual ~RowStream() = default;
  // The next row: width * channels values, followed by at least kRowPadding readable bytes.
  virtual void push(const void* row) = 0;
  // After the last row: completes the output.
  virtual void finish() = 0;
  static constexpr int kRowPadding = 16;
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // The shape this step produces from `in`; throws KernelError when it cannot take `in`
  // (e.g. `normalize` with 3 means after `gray`). Runs once per pipeline, before any image,
  // once `in` has passed the declaration's Input (e.g. `equalize` after `normalize` has not).
  virtual ImageShape output_shape(const ImageShape& in) const = 0;

  // out = f(in). `in` is continuous RGB (or 1-channel) of the type output_shape was given.
  // `out` may be reallocated; it never aliases `in`. Throws KernelError for an image the
  // step cannot take (e.g. smaller than a crop).
  virtual void apply(const cv::Mat& in, cv::Mat& out) const = 0;

  // Rows of context a row tile needs above and below to give the same result as the whole
  // image; -1 when the kernel cannot be tiled (geometry changes, global statistics).
  virtual int halo() const { return -1; }

  // For shrink-on-load (--decode fast): the smallest source size (width, height) this step,
  // as the first geometric step of a pipeline, can be given instead of `source` without
  // changing its output size. Returning `source` forbids any shrink.
  virtual cv::Size min_source_size(cv::Size source) const { return source; }

  // For a first step fed by the decoder row by row, so that no full-size image is made: a
  // stream that, given the rows of a continuous image of `source` size and `type`, leaves in
  // `out` what apply() would (bit for bit). nullptr when this step needs the whole image.
  // `out` must outlive the stream.
  virtual std::unique_ptr<RowStream> stream(cv::Size /*source*/, int /*type*/, cv::Mat& /*out*/) const {
    return nullptr;
  }
};

struct KernelSpec {
  std::string name;
  std::string summary;  // one line: what it does
  std::string opencv;   // the OpenCV/NumPy expression it equals, for docs and tests
  Input input = Input::u8;
  std::vector<ArgSpec> args;
  // Positional arguments are read in declaration order, unless one of these lists names
  // another order for exactly that many of them. crop declares width, height, x, y and the
  // form {x, y, width, height}, so that both crop=W:H and crop=x:y:W:H read as users expect.
  std::vector<std::vector<std::string>> positional_forms;
  std::unique_ptr<Kernel> (*make)(const ArgValues& args) = nullptr;  // set by declared<K>()

  // The index in `args` of the `position`-th of `count` positional arguments.
  std::size_t positional_index(std::size_t position, std::size_t count) const {
    for (const auto& form : positional_forms)
      if (form.size() == count && position < count)
        for (std::size_t i = 0; i < args.size(); ++i)
          if (args[i].name == form[position]) return i;
    return position;
  }
};

// The one factory: K built from the validated arguments, or from none.
template <class K>
std::unique_ptr<Kernel> make_kernel(const ArgValues& args) {
  if constexpr (std::is_constructible_v<K, const ArgValues&>)
    return std::make_unique<K>(args);
  else
    return std::make_unique<K>();
}

// The declaration of kernel K, made once: what K::declaration() says, built by make_kernel<K>.
// A kernel's file ends with `const KernelSpec& NAME_kernel() { return declared<K>(); }`.
template <class K>
const KernelSpec& declared() {
  static const KernelSpec spec = [] {
    KernelSpec s = K::declaration();
    s.make = make_kernel<K>;
    return s;
  }();
  return spec;
}

}  // namespace imgshard::kernels
