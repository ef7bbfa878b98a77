#pragma once
// Running one image's local kernels over row tiles in parallel (OpenMP), for units with fewer
// images than threads, or large images. The result is bit-identical to the untiled run.
//
// How: tile t owns output rows [r0, r1); it runs the kernel on the rows [r0 - halo, r1 + halo)
// of the input, clipped to the image, and keeps its own rows of the result. Inside the image
// those extra rows are real neighbours, and at the image's top and bottom the clipped range
// meets the same border the whole image has, so every kept row sees exactly what it would see
// untiled. The input of a tile is a plain Mat header on those rows, not a submatrix (rowRange):
// OpenCV picks other code paths for submatrices (GaussianBlur on uint8 leaves its bit-exact
// fixed-point path for sepFilter2D), and those round differently.
#include <opencv2/core.hpp>

#include "kernels/kernel.hpp"
#include "pipeline/pipeline.hpp"

namespace imgshard::pipeline {

// The tiling knobs, in one place.
struct Tiling {
  int tiles = 1;           // row tiles per image (usually the threads of the rank)
  int min_tile_rows = 32;  // fewer rows than this per tile are not worth a thread
};

// The tiles an image of `rows` rows is cut into under `tiling` (1: run untiled).
int tile_count(int rows, const Tiling& tiling);

// out = k(in), computed over row tiles in parallel when k.halo() >= 0, else by k.apply.
// Call it outside any active OpenMP region (a team of one is fine): a region nested in an
// active one runs on one thread unless nesting is enabled. Uses at most omp_get_max_threads().
void apply_tiled(const kernels::Kernel& k, const cv::Mat& in, cv::Mat& out, const Tiling& tiling);

// Whether any step can be tiled (halo >= 0): without one, run_tiled is Pipeline::run on one
// thread, and images are better spread over threads whole.
bool has_tileable_step(const Pipeline& pipeline);

// Pipeline::run, with each step tiled by apply_tiled: the same result, spread over threads.
void run_tiled(const Pipeline& pipeline, const cv::Mat& rgb, cv::Mat& out, cv::Mat& scratch, const Tiling& tiling);

}  // namespace imgshard::pipeline
