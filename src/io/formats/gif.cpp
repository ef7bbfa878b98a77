// GIF: recognised, so that a GIF named .png says what it is, and refused (not supported).
#include "io/formats.hpp"

namespace imgshard::io {
namespace {

bool sniff(Bytes b) { return starts_with(b, "GIF87a") || starts_with(b, "GIF89a"); }

}  // namespace

constinit const ImageFormat gif_format{.name = "GIF", .sniff = sniff, .decoded = false};

}  // namespace imgshard::io
