#pragma once
// cv::imdecode, loaded on first use from the module beside the executable
// (<bin>/IMGSHARD_CODECS_RELDIR/imgshard_opencv_codecs.so, the same relative place in the
// build tree and in an install), so that runs of JPEGs alone never load OpenCV's codecs
// and GDAL (src/io/opencv_codecs.cpp says why).
#include <string>

#include <opencv2/core.hpp>

namespace imgshard::io {

// Where the module is looked for, and "" when it is there, else why it cannot be used: a
// rank checks this at start-up, so that a broken install fails at once, not at its first PNG.
std::string opencv_codecs_missing();

// cv::imdecode(encoded, cv::IMREAD_COLOR) (throws cv::Exception as it does). Loads the module
// on the first call; throws std::runtime_error when it cannot.
cv::Mat imdecode_color(const cv::Mat& encoded);

}  // namespace imgshard::io
