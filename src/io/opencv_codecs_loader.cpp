#include "io/opencv_codecs.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

namespace imgshard::io {
namespace {

using ImdecodeColor = void (*)(const cv::Mat&, cv::Mat&);

std::filesystem::path module_path() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (exe.parent_path() / IMGSHARD_CODECS_RELDIR / "imgshard_opencv_codecs.so").lexically_normal();
}

ImdecodeColor load() {
  const std::string path = module_path().string();
  void* module = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module) throw std::runtime_error(fmt::format("cannot load OpenCV's decoders: {}", ::dlerror()));
  auto* f = reinterpret_cast<ImdecodeColor>(::dlsym(module, "imgshard_imdecode_color"));
  if (!f) throw std::runtime_error(fmt::format("cannot load OpenCV's decoders from {}: {}", path, ::dlerror()));
  return f;  // the module stays loaded until the process ends
}

}  // namespace

std::string opencv_codecs_missing() {
  const auto path = module_path();
  if (::access(path.c_str(), R_OK) == 0) return "";
  return fmt::format("OpenCV's decoders (for every image that is not a JPEG) are not where this imgshard expects "
                     "them, {}: run imgshard where it was built or installed (cmake --install), not a copy of the "
                     "binary alone",
                     path.string());
}

cv::Mat imdecode_color(const cv::Mat& encoded) {
  static std::once_flag once;
  static ImdecodeColor imdecode = nullptr;
  std::call_once(once, [] { imdecode = load(); });  // a throw leaves it to the next call
  cv::Mat bgr;
  imdecode(encoded, bgr);
  return bgr;
}

}  // namespace imgshard::io
