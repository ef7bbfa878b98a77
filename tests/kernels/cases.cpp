#include "cases.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace imgshard::kernels::testing {
namespace {

// `g` of the edge and threshold kernels: the grey image.
cv::Mat gray(const cv::Mat& img) {
  if (img.channels() == 1) return img;
  cv::Mat g;
  cv::cvtColor(img, g, cv::COLOR_RGB2GRAY);
  return g;
}

// cv2.resize to W x H, or keep the aspect and centre-crop / pad (resize's mode=crop|pad).
void resize_reference(const cv::Mat& img, cv::Mat& out, cv::Size target, const std::string& mode, int interp,
                      int fill = 0) {
  if (mode == "stretch") {
    cv::resize(img, out, target, 0, 0, interp);
    return;
  }
  const double sx = double(target.width) / img.cols, sy = double(target.height) / img.rows;
  const double s = mode == "crop" ? std::max(sx, sy) : std::min(sx, sy);
  cv::Size scaled(int(std::lround(img.cols * s)), int(std::lround(img.rows * s)));
  cv::Mat resized;
  if (mode == "crop") {
    scaled = {std::max(scaled.width, target.width), std::max(scaled.height, target.height)};
    cv::resize(img, resized, scaled, 0, 0, interp);
    resized(cv::Rect((scaled.width - target.width) / 2, (scaled.height - target.height) / 2, target.width,
                     target.height))
        .copyTo(out);
  } else {
    scaled = {std::clamp(scaled.width, 1, target.width), std::clamp(scaled.height, 1, target.height)};
    cv::resize(img, resized, scaled, 0, 0, interp);
    out = cv::Mat(target, img.type(), cv::Scalar::all(fill));
    resized.copyTo(out(cv::Rect((target.width - scaled.width) / 2, (target.height - scaled.height) / 2,
                                scaled.width, scaled.height)));
  }
}

// shorter=S: (S, int(h*S/w + 0.5)) if w < h else (int(w*S/h + 0.5), S): halves up.
void shorter_reference(const cv::Mat& img, cv::Mat& out, int s, int interp) {
  const auto longer = [&](int l, int sh) { return std::max(1, int(std::lround(double(l) * s / sh))); };
  const cv::Size size = img.cols < img.rows ? cv::Size(s, longer(img.rows, img.cols))
                                            : cv::Size(longer(img.cols, img.rows), s);
  cv::resize(img, out, size, 0, 0, interp);
}

// img[y:y+H, x:x+W], x = (w-W)//2 and y = (h-H)//2 when centred (-1).
void crop_reference(const cv::Mat& img, cv::Mat& out, int x, int y, int w, int h) {
  if (x < 0) x = (img.cols - w) / 2;
  if (y < 0) y = (img.rows - h) / 2;
  img(cv::Rect(x, y, w, h)).copyTo(out);
}

// convertScaleAbs(magnitude(d/dx, d/dy)) of the grey image, derivatives in float32.
void gradient_reference(const cv::Mat& img, cv::Mat& out, bool scharr) {
  const cv::Mat g = gray(img);
  cv::Mat dx, dy, mag;
  if (scharr) {
    cv::Scharr(g, dx, CV_32F, 1, 0);
    cv::Scharr(g, dy, CV_32F, 0, 1);
  } else {
    cv::Sobel(g, dx, CV_32F, 1, 0);
    cv::Sobel(g, dy, CV_32F, 0, 1);
  }
  cv::magnitude(dx, dy, mag);
  cv::convertScaleAbs(mag, out);
}

// cv2.merge([f(c) for c in cv2.split(img)]): equalize and clahe on RGB.
void per_channel(const cv::Mat& img, cv::Mat& out, const std::function<void(const cv::Mat&, cv::Mat&)>& f) {
  std::vector<cv::Mat> planes;
  cv::split(img, planes);
  for (auto& p : planes) {
    cv::Mat q;
    f(p, q);
    p = q;
  }
  cv::merge(planes, out);
}

// ((img / 255.0 - mean) / std).astype(np.float32), in double as NumPy computes it.
void normalize_reference(const cv::Mat& img, cv::Mat& out, std::vector<double> mean, std::vector<double> std) {
  const int c = img.channels();
  out.create(img.size(), CV_MAKETYPE(CV_32F, c));
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols * c; ++x) {
      const std::size_t ch = std::size_t(x % c);
      const double m = mean.size() == 1 ? mean[0] : mean[ch], s = std.size() == 1 ? std[0] : std[ch];
      out.ptr<float>(y)[x] = float((img.ptr<std::uint8_t>(y)[x] / 255.0 - m) / s);
    }
}

// img.transpose(2, 0, 1), as a (C*H) x W one-channel Mat.
void chw_reference(const cv::Mat& img, cv::Mat& out) {
  std::vector<cv::Mat> planes;
  cv::split(img, planes);
  cv::vconcat(planes, out);
}

void gamma_reference(const cv::Mat& img, cv::Mat& out, double g) {
  cv::Mat table(1, 256, CV_8U);
  for (int i = 0; i < 256; ++i)
    table.at<std::uint8_t>(i) = cv::saturate_cast<std::uint8_t>(std::floor(255 * std::pow(i / 255.0, g) + 0.5));
  cv::LUT(img, table, out);
}

std::vector<KernelCase> make_cases() {
  using M = const cv::Mat&;
  std::vector<KernelCase> c;
  // Geometry: every channel count and float32 too.
  for (auto [step, size, mode, interp, fill] : std::vector<std::tuple<std::string, cv::Size, std::string, int, int>>{
           {"resize=31:17", {31, 17}, "stretch", cv::INTER_AREA, 0},
           {"resize=224:224:interp=linear", {224, 224}, "stretch", cv::INTER_LINEAR, 0},
           {"resize=64:48:interp=cubic", {64, 48}, "stretch", cv::INTER_CUBIC, 0},
           {"resize=50:50:interp=nearest", {50, 50}, "stretch", cv::INTER_NEAREST, 0},
           {"resize=40:30:interp=lanczos", {40, 30}, "stretch", cv::INTER_LANCZOS4, 0},
           {"resize=32:24:mode=crop", {32, 24}, "crop", cv::INTER_AREA, 0},
           {"resize=32:24:mode=pad:fill=7", {32, 24}, "pad", cv::INTER_AREA, 7},
       })
    c.push_back({.step = step,
                 .opencv = [=](M in, cv::Mat& out) { resize_reference(in, out, size, mode, interp, fill); },
                 .float_input = true});
  c.push_back({.step = "shorter=64",
               .opencv = [](M in, cv::Mat& out) { shorter_reference(in, out, 64, cv::INTER_AREA); },
               .float_input = true});
  c.push_back({.step = "shorter=17:interp=linear",
               .opencv = [](M in, cv::Mat& out) { shorter_reference(in, out, 17, cv::INTER_LINEAR); },
               .float_input = true});
  c.push_back({.step = "crop=5:3", .opencv = [](M in, cv::Mat& out) { crop_reference(in, out, -1, -1, 5, 3); },
               .float_input = true, .min_size = {5, 3}});
  c.push_back({.step = "crop=1:2:4:3", .opencv = [](M in, cv::Mat& out) { crop_reference(in, out, 1, 2, 4, 3); },
               .float_input = true, .min_size = {5, 5}});
  c.push_back({.step = "crop=width=7:height=5:x=0:y=center",
               .opencv = [](M in, cv::Mat& out) { crop_reference(in, out, 0, -1, 7, 5); },
               .float_input = true, .min_size = {7, 5}});
  for (auto [axis, code] : std::vector<std::pair<std::string, int>>{{"h", 1}, {"v", 0}, {"hv", -1}})
    c.push_back({.step = "flip=" + axis, .opencv = [code](M in, cv::Mat& out) { cv::flip(in, out, code); },
                 .float_input = true});
  for (auto [angle, code] : std::vector<std::pair<std::string, int>>{
           {"90", cv::ROTATE_90_CLOCKWISE}, {"180", cv::ROTATE_180}, {"270", cv::ROTATE_90_COUNTERCLOCKWISE}})
    c.push_back({.step = "rotate=" + angle, .opencv = [code](M in, cv::Mat& out) { cv::rotate(in, out, code); },
                 .float_input = true});

  // Colour.
  c.push_back({.step = "gray", .opencv = [](M in, cv::Mat& out) { gray(in).copyTo(out); }});

  // Filters.
  for (auto [step, sigma, k] : std::vector<std::tuple<std::string, double, int>>{
           {"gauss=sigma=1.5", 1.5, 0}, {"gauss=sigma=0.8:ksize=5", 0.8, 5}, {"gauss=3", 3.0, 0}})
    c.push_back({.step = step,
                 .opencv = [=](M in, cv::Mat& out) { cv::GaussianBlur(in, out, cv::Size(k, k), sigma); },
                 .float_input = true});
  for (int k : {3, 4, 9})
    c.push_back({.step = "box=" + std::to_string(k),
                 .opencv = [k](M in, cv::Mat& out) { cv::blur(in, out, cv::Size(k, k)); },
                 .float_input = true});
  for (int k : {3, 5, 7})
    c.push_back({.step = "median=" + std::to_string(k),
                 .opencv = [k](M in, cv::Mat& out) { cv::medianBlur(in, out, k); }});
  for (auto [step, amount, sigma] : std::vector<std::tuple<std::string, double, double>>{
           {"sharpen", 1.0, 1.0}, {"sharpen=amount=0.5:sigma=2", 0.5, 2.0}})
    c.push_back({.step = step,
                 .opencv =
                     [=](M in, cv::Mat& out) {
                       cv::Mat blurred;
                       cv::GaussianBlur(in, blurred, cv::Size(0, 0), sigma);
                       cv::addWeighted(in, 1 + amount, blurred, -amount, 0, out);
                     },
                 .float_input = true});

  // Edges.
  c.push_back({.step = "sobel", .opencv = [](M in, cv::Mat& out) { gradient_reference(in, out, false); }});
  c.push_back({.step = "scharr", .opencv = [](M in, cv::Mat& out) { gradient_reference(in, out, true); }});
  c.push_back({.step = "laplacian", .opencv = [](M in, cv::Mat& out) {
                 cv::Mat lap;
                 cv::Laplacian(gray(in), lap, CV_16S);
                 cv::convertScaleAbs(lap, out);
               }});
  for (auto [step, lo, hi] : std::vector<std::tuple<std::string, double, double>>{
           {"canny", 100, 200}, {"canny=50:150", 50, 150}, {"canny=low=10:high=30", 10, 30}})
    c.push_back({.step = step, .opencv = [=](M in, cv::Mat& out) { cv::Canny(gray(in), out, lo, hi); }});
  for (int t : {0, 128})
    c.push_back({.step = "threshold=" + std::to_string(t),
                 .opencv = [t](M in, cv::Mat& out) { cv::threshold(gray(in), out, t, 255, cv::THRESH_BINARY); }});
  c.push_back({.step = "threshold=otsu", .opencv = [](M in, cv::Mat& out) {
                 cv::threshold(gray(in), out, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
               }});

  // Tone curves.
  c.push_back({.step = "equalize", .opencv = [](M in, cv::Mat& out) {
                 per_channel(in, out, [](M p, cv::Mat& q) { cv::equalizeHist(p, q); });
               }});
  for (auto [step, clip, tiles] : std::vector<std::tuple<std::string, double, int>>{
           {"clahe", 2.0, 8}, {"clahe=clip=4:tiles=4", 4.0, 4}, {"clahe=1:1", 1.0, 1}})
    c.push_back({.step = step, .opencv = [=](M in, cv::Mat& out) {
                   per_channel(in, out, [=](M p, cv::Mat& q) { cv::createCLAHE(clip, {tiles, tiles})->apply(p, q); });
                 }});
  c.push_back({.step = "invert",
               .opencv = [](M in, cv::Mat& out) { out = cv::Mat(in.size(), in.type(), cv::Scalar::all(255)) - in; },
               .bare = [](M in, cv::Mat& out) { cv::bitwise_not(in, out); }});
  for (auto [step, alpha, beta] : std::vector<std::tuple<std::string, double, double>>{
           {"brightness", 1, 0}, {"brightness=alpha=1.5:beta=-20", 1.5, -20}, {"brightness=0.5:30.5", 0.5, 30.5}})
    c.push_back({.step = step,
                 .opencv = [=](M in, cv::Mat& out) { cv::convertScaleAbs(in, out, alpha, beta); }});
  for (double g : {0.5, 1.0, 2.2})
    c.push_back({.step = "gamma=" + cv::format("%g", g),
                 .opencv = [g](M in, cv::Mat& out) { gamma_reference(in, out, g); }});

  // Tensor.
  c.push_back({.step = "normalize",
               .opencv = [](M in, cv::Mat& out) {
                 normalize_reference(in, out, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225});
               },
               .tolerance = tolerance::float32,
               .channels = {3},
               .bare = [](M in, cv::Mat& out) {
                 // (img * (1/255) - mean) / std with OpenCV's float32 arithmetic, per-channel scalars.
                 in.convertTo(out, CV_32F, 1 / 255.0);
                 cv::subtract(out, cv::Scalar(0.485, 0.456, 0.406), out);
                 cv::divide(out, cv::Scalar(0.229, 0.224, 0.225), out);
               }});
  c.push_back({.step = "normalize=mean=0.5:std=0.25",
               .opencv = [](M in, cv::Mat& out) { normalize_reference(in, out, {0.5}, {0.25}); },
               .tolerance = tolerance::float32});
  c.push_back({.step = "normalize=mean=0.1/0.2/0.3:std=0.3/0.2/0.1",
               .opencv = [](M in, cv::Mat& out) { normalize_reference(in, out, {0.1, 0.2, 0.3}, {0.3, 0.2, 0.1}); },
               .tolerance = tolerance::float32,
               .channels = {3}});
  c.push_back({.step = "layout=chw", .opencv = chw_reference, .float_input = true});
  c.push_back({.step = "layout=hwc", .opencv = [](M in, cv::Mat& out) { in.copyTo(out); }, .float_input = true});
  return c;
}

}  // namespace

const std::vector<KernelCase>& kernel_cases() {
  static const std::vector<KernelCase> cases = make_cases();
  return cases;
}

BuiltStep::BuiltStep(const std::string& step) {
  // A lone step may leave the size open, and Pipeline::parse insists on a fixed one: a resize
  // after it fixes that (before it, for layout, which must be last).
  const bool last = step.rfind("layout", 0) == 0;
  pipeline_ = std::make_unique<pipeline::Pipeline>(
      pipeline::Pipeline::parse(last ? "resize=1:1," + step : step + ",resize=1:1"));
  index_ = last ? 1 : 0;
}

cv::Mat noise_image(cv::Size size, int channels, bool float32, std::uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat m(size, CV_MAKETYPE(float32 ? CV_32F : CV_8U, channels));
  if (float32)
    rng.fill(m, cv::RNG::UNIFORM, -3.0, 3.0);
  else
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  return m;
}

cv::Mat sample_photo(const std::string& relative_path) {
  const std::string path = std::string(IMGSHARD_SOURCE_DIR) + "/data/sample/" + relative_path;
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR), rgb;
  if (bgr.empty()) throw std::runtime_error("cannot read " + path);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::string test_name(const std::string& step) {
  std::string name;
  for (char ch : step) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

}  // namespace imgshard::kernels::testing
