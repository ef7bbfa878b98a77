// OpenCV's image decoders, in a module of their own that a rank loads (io/opencv_codecs.hpp)
// on its first image that is not a JPEG. Debian's libopencv_imgcodecs links GDAL and through
// it some 80 more libraries: loading and initialising them cost every rank about 0.2 s of
// CPU at start-up, paid even when every image is a JPEG, which libjpeg-turbo decodes itself.
#include <opencv2/imgcodecs.hpp>

extern "C" __attribute__((visibility("default"))) void imgshard_imdecode_color(const cv::Mat& encoded, cv::Mat& bgr) {
  bgr = cv::imdecode(encoded, cv::IMREAD_COLOR);
}
