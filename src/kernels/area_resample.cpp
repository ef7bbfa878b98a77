// The INTER_AREA resampler (see area_resample.hpp for the contract).
//
// Exactness: OpenCV 4.6's resizeArea_<T, float> computes, for every output value,
//   h(sy) = ((0 + S[sy][x0]*a0) + S[sy][x0+1]*a1) + ...   for each source row sy, then
//   out   = saturate_cast<T>((b0*h(y0) + b1*h(y0+1)) + ...)
// in float32, each product and each sum rounded (no FMA: this file is compiled with
// -ffp-contract=off), weights from computeResizeAreaTab (double, cast to float). We keep
// exactly that: the weights are computed by the same code, each output value sums the same
// products in the same order. What changes is the schedule: each source row's horizontal
// sums are computed once, vectorised across output pixels (one 4-lane quad per pixel for 3
// and 4 channels, 1, 2 or 4 pixels per vector with SSE4, AVX2, AVX-512), with every
// output's tap list padded with zero weights to one length so that the loop has no
// branch; then the vertical sums, vectorised across the row.
//
// Zero-weight taps add +0 to a finite sum, which changes nothing. For float32 input they
// would turn an infinite pixel into NaN (inf * 0), so there the padding taps are masked.
//
// Highway compiles the vector code once per x86 target (SSSE3, SSE4, AVX2, AVX-512) and
// picks the best one the CPU has at run time; below SSSE3, scalar loops do the same sums.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/area_resample.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#ifndef IMGSHARD_AREA_RESAMPLE_SHARED
#define IMGSHARD_AREA_RESAMPLE_SHARED
#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "kernels/area_resample.hpp"

#if HWY_ARCH_X86
#include <cpuid.h>
#endif

namespace imgshard::kernels::area {

// The horizontal pass of 3- and 4-channel images, laid out for one vector width: output
// pixels in groups of `pixels_per_vector`, each pixel one quad of 4 lanes (its channels;
// with 3 channels the 4th lane reads the next pixel's first value and is thrown away).
struct QuadPlan {
  int channels = 0;           // 3 or 4: the source's pixel stride, in values
  int pixels_per_vector = 0;  // 1, 2 or 4
  int out_width = 0;
  int groups = 0;             // ceil(out_width / pixels_per_vector)
  int taps = 0;               // taps per output after padding
  std::vector<std::int32_t> offset;  // per output (groups * pixels_per_vector): first tap, in values
  std::vector<float> weight;         // [group][tap][pixel][4 lanes]
  std::vector<std::uint32_t> valid;  // same layout: ~0 for a real tap, 0 for padding (float32 only)
};

// The vector code of one instruction set.
struct Kernels {
  int quad_pixels;  // pixels per vector of the horizontal pass; 0: none (scalar loops)
  void (*horizontal_u8)(const QuadPlan&, const std::uint8_t*, float*);
  void (*horizontal_f32)(const QuadPlan&, const float*, float*);
  void (*vertical_u8)(const float* const*, const float*, int, int, std::uint8_t*);
  void (*vertical_f32)(const float* const*, const float*, int, int, float*);
  // 1- and 2-channel images: 4 / channels rows side by side as the channels of one 4-channel
  // row (so that the quad pass runs on them), and its results back into rows.
  void (*join_rows_u8)(const std::uint8_t* const* rows, int channels, int width, std::uint8_t* out);
  void (*join_rows_f32)(const float* const* rows, int channels, int width, float* out);
  void (*split_rows)(const float* quads, int channels, int width, float* const* rows);
};

}  // namespace imgshard::kernels::area
#endif  // IMGSHARD_AREA_RESAMPLE_SHARED

// ------------------------------------------------------------------------------------------
// Vector code, compiled once per target.
HWY_BEFORE_NAMESPACE();
namespace imgshard::kernels::area::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Pixels per vector of the horizontal pass on this target: 4 with AVX-512, 2 with AVX2, 1
// with 128-bit vectors, 0 without a vector unit (the scalar loops then run).
int QuadPixels() {
#if HWY_TARGET == HWY_SCALAR
  return 0;
#elif HWY_TARGET <= HWY_AVX3
  return 4;
#elif HWY_TARGET <= HWY_AVX2
  return 2;
#else
  return 1;
#endif
}

#if HWY_TARGET != HWY_SCALAR

// `N / 4` quads of 4 values each, starting at p0..p3, as floats.
template <std::size_t N, typename T>
HWY_INLINE auto LoadQuads(const T* p0, const T* p1, const T* p2, const T* p3) {
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    // Widen each quad to 32-bit integers, join them, convert once.
    const auto quad = [](const T* p) {
      return hn::PromoteTo(hn::FixedTag<std::int32_t, 4>(), hn::LoadU(hn::FixedTag<std::uint8_t, 4>(), p));
    };
    const hn::FixedTag<float, N> df;
    if constexpr (N == 4) {
      (void)p1, (void)p2, (void)p3;
      return hn::ConvertTo(df, quad(p0));
    } else if constexpr (N == 8) {
      (void)p2, (void)p3;
      return hn::ConvertTo(df, hn::Combine(hn::FixedTag<std::int32_t, N>(), quad(p1), quad(p0)));
    } else {  // names N, not 16, so that narrower targets never instantiate this branch
      const hn::FixedTag<std::int32_t, N / 2> d8;
      return hn::ConvertTo(df, hn::Combine(hn::FixedTag<std::int32_t, N>(), hn::Combine(d8, quad(p3), quad(p2)),
                                           hn::Combine(d8, quad(p1), quad(p0))));
    }
  } else {
    const hn::FixedTag<float, 4> d4;
    if constexpr (N == 4) {
      (void)p1, (void)p2, (void)p3;
      return hn::LoadU(d4, p0);
    } else if constexpr (N == 8) {
      (void)p2, (void)p3;
      return hn::Combine(hn::FixedTag<float, N>(), hn::LoadU(d4, p1), hn::LoadU(d4, p0));
    } else {
      const hn::FixedTag<float, N / 2> d8;
      return hn::Combine(hn::FixedTag<float, N>(), hn::Combine(d8, hn::LoadU(d4, p3), hn::LoadU(d4, p2)),
                         hn::Combine(d8, hn::LoadU(d4, p1), hn::LoadU(d4, p0)));
    }
  }
}

// Stores the quads of one group: 4 values per pixel, or 3 (the 4th lane is overwritten by
// the next pixel's store; the row has room for the last one).
template <std::size_t N, class V>
HWY_INLINE void StoreQuads(V v, int channels, float* out) {
  if (channels == 4) {
    hn::StoreU(v, hn::FixedTag<float, N>(), out);
    return;
  }
  const hn::FixedTag<float, 4> d4;
  if constexpr (N == 4) {
    hn::StoreU(v, d4, out);
  } else if constexpr (N == 8) {
    hn::StoreU(hn::LowerHalf(d4, v), d4, out);
    hn::StoreU(hn::UpperHalf(d4, v), d4, out + 3);
  } else {
    const hn::FixedTag<float, N / 2> d8;
    const auto lo = hn::LowerHalf(d8, v), hi = hn::UpperHalf(d8, v);
    hn::StoreU(hn::LowerHalf(d4, lo), d4, out);
    hn::StoreU(hn::UpperHalf(d4, lo), d4, out + 3);
    hn::StoreU(hn::LowerHalf(d4, hi), d4, out + 6);
    hn::StoreU(hn::UpperHalf(d4, hi), d4, out + 9);
  }
}

// One row's horizontal sums. kTaps > 0: the tap count known at compile time (the loop is
// unrolled); 0: read from the plan.
template <std::size_t N, typename T, bool kMasked, int kTaps>
HWY_NOINLINE void HorizontalQuadsN(const QuadPlan& plan, const T* row, float* out) {
  const hn::FixedTag<float, N> df;
  const hn::RebindToUnsigned<hn::FixedTag<float, N>> du;
  constexpr std::size_t P = N / 4;
  const int C = plan.channels;
  const int K = kTaps > 0 ? kTaps : plan.taps;
  const float* w = plan.weight.data();
  const std::uint32_t* valid = plan.valid.data();
  const std::int32_t* off = plan.offset.data();
  const int out_step = int(P) * C;
  for (int g = 0; g < plan.groups; ++g, off += P, out += out_step) {
    const T* p0 = row + off[0];
    const T* p1 = row + off[P > 1 ? 1 : 0];
    const T* p2 = row + off[P > 2 ? 2 : 0];
    const T* p3 = row + off[P > 3 ? 3 : 0];
    auto acc = hn::Zero(df);
    for (int j = 0; j < K; ++j) {
      const int at = j * C;
      const auto term = hn::Mul(LoadQuads<N>(p0 + at, p1 + at, p2 + at, p3 + at), hn::LoadU(df, w + j * int(N)));
      if constexpr (kMasked) {
        const auto real = hn::MaskFromVec(hn::BitCast(df, hn::LoadU(du, valid + j * int(N))));
        acc = hn::IfThenElse(real, hn::Add(acc, term), acc);
      } else {
        acc = hn::Add(acc, term);
      }
    }
    w += K * int(N);
    valid += K * int(N);
    StoreQuads<N>(acc, C, out);
  }
}

template <std::size_t N, typename T, bool kMasked>
void HorizontalQuadsTaps(const QuadPlan& plan, const T* row, float* out) {
  switch (plan.taps) {
    case 2: return HorizontalQuadsN<N, T, kMasked, 2>(plan, row, out);
    case 3: return HorizontalQuadsN<N, T, kMasked, 3>(plan, row, out);
    case 4: return HorizontalQuadsN<N, T, kMasked, 4>(plan, row, out);
    case 5: return HorizontalQuadsN<N, T, kMasked, 5>(plan, row, out);
    case 6: return HorizontalQuadsN<N, T, kMasked, 6>(plan, row, out);
    case 7: return HorizontalQuadsN<N, T, kMasked, 7>(plan, row, out);
    case 8: return HorizontalQuadsN<N, T, kMasked, 8>(plan, row, out);
    default: return HorizontalQuadsN<N, T, kMasked, 0>(plan, row, out);
  }
}

template <typename T>
void HorizontalQuads(const QuadPlan& plan, const T* row, float* out) {
  constexpr bool kMasked = std::is_same_v<T, float>;
  switch (plan.pixels_per_vector) {
    case 1: return HorizontalQuadsTaps<4, T, kMasked>(plan, row, out);
#if HWY_TARGET <= HWY_AVX2
    case 2: return HorizontalQuadsTaps<8, T, kMasked>(plan, row, out);
#endif
#if HWY_TARGET <= HWY_AVX3
    case 4: return HorizontalQuadsTaps<16, T, kMasked>(plan, row, out);
#endif
    default: throw std::logic_error("area resampler: quad plan made for another vector width");
  }
}

void HorizontalQuadsU8(const QuadPlan& plan, const std::uint8_t* row, float* out) { HorizontalQuads(plan, row, out); }
void HorizontalQuadsF32(const QuadPlan& plan, const float* row, float* out) { HorizontalQuads(plan, row, out); }

#else  // HWY_SCALAR: never called (QuadPixels() == 0 routes to the scalar loops)

void HorizontalQuadsU8(const QuadPlan&, const std::uint8_t*, float*) {
  throw std::logic_error("area resampler: no vector unit");
}
void HorizontalQuadsF32(const QuadPlan&, const float*, float*) {
  throw std::logic_error("area resampler: no vector unit");
}

#endif  // HWY_TARGET != HWY_SCALAR

// out[i] = saturate(b0*rows[0][i] + b1*rows[1][i] + ...), i < length, summed in row order.
// `tail` takes the last, partial vector (length % lanes values) before it is copied out.
template <typename T>
void VerticalImpl(const float* const* rows, const float* beta, int count, int length, T* out) {
  using DF = hn::CappedTag<float, 16>;
  const DF df;
  const std::size_t N = hn::Lanes(df);
  const hn::Rebind<std::uint8_t, DF> du8;
  HWY_ALIGN T tail[16];
  for (int i = 0; i < length; i += int(N)) {
    auto acc = hn::Mul(hn::Set(df, beta[0]), hn::LoadU(df, rows[0] + i));
    for (int t = 1; t < count; ++t) acc = hn::Add(acc, hn::Mul(hn::Set(df, beta[t]), hn::LoadU(df, rows[t] + i)));
    const bool whole = i + int(N) <= length;
    T* dst = whole ? out + i : tail;
    if constexpr (std::is_same_v<T, std::uint8_t>) {
#if HWY_TARGET == HWY_SCALAR
      // Highway's scalar NearestInt rounds 0.49999997 up: cvRound's own rounding instead.
      float v[1];
      hn::StoreU(acc, df, v);
      dst[0] = cv::saturate_cast<std::uint8_t>(v[0]);
#else
      // cvtps2dq rounds half to even, as cvRound; the demotion saturates as saturate_cast.
      hn::StoreU(hn::DemoteTo(du8, hn::NearestInt(acc)), du8, dst);
#endif
    } else {
      (void)du8;
      hn::StoreU(acc, df, dst);
    }
    if (!whole) std::memcpy(out + i, tail, sizeof(T) * std::size_t(length - i));
  }
}

void VerticalU8(const float* const* rows, const float* beta, int count, int length, std::uint8_t* out) {
  VerticalImpl(rows, beta, count, length, out);
}
void VerticalF32(const float* const* rows, const float* beta, int count, int length, float* out) {
  VerticalImpl(rows, beta, count, length, out);
}

// rows[0..4/channels) side by side: out[x][r][c] = rows[r][x][c], each pixel 4 values.
template <typename T>
void JoinRows(const T* const* rows, int channels, int width, T* out) {
  int x = 0;
  if (channels == 1) {
    const hn::ScalableTag<T> d;
    const int N = int(hn::Lanes(d));
    for (; x + N <= width; x += N)
      hn::StoreInterleaved4(hn::LoadU(d, rows[0] + x), hn::LoadU(d, rows[1] + x), hn::LoadU(d, rows[2] + x),
                            hn::LoadU(d, rows[3] + x), d, out + 4 * x);
    for (; x < width; ++x)
      for (int k = 0; k < 4; ++k) out[4 * x + k] = rows[k][x];
  } else {
    using Pixel = std::conditional_t<sizeof(T) == 1, std::uint16_t, std::uint64_t>;  // both channels
    const hn::ScalableTag<Pixel> d;
    const int N = int(hn::Lanes(d));
    const auto* r0 = reinterpret_cast<const Pixel*>(rows[0]);
    const auto* r1 = reinterpret_cast<const Pixel*>(rows[1]);
    auto* o = reinterpret_cast<Pixel*>(out);
    for (; x + N <= width; x += N) hn::StoreInterleaved2(hn::LoadU(d, r0 + x), hn::LoadU(d, r1 + x), d, o + 2 * x);
    for (; x < width; ++x)
      for (int k = 0; k < 2; ++k) std::memcpy(out + 4 * x + 2 * k, rows[k] + 2 * x, 2 * sizeof(T));
  }
}

void JoinRowsU8(const std::uint8_t* const* rows, int channels, int width, std::uint8_t* out) {
  JoinRows(rows, channels, width, out);
}
void JoinRowsF32(const float* const* rows, int channels, int width, float* out) { JoinRows(rows, channels, width, out); }

// The inverse for the horizontal results: rows[r][x][c] = quads[x][r][c].
void SplitRows(const float* quads, int channels, int width, float* const* rows) {
  int x = 0;
  if (channels == 1) {
    const hn::ScalableTag<float> d;
    const int N = int(hn::Lanes(d));
    for (; x + N <= width; x += N) {
      hn::Vec<decltype(d)> v0, v1, v2, v3;
      hn::LoadInterleaved4(d, quads + 4 * x, v0, v1, v2, v3);
      hn::StoreU(v0, d, rows[0] + x);
      hn::StoreU(v1, d, rows[1] + x);
      hn::StoreU(v2, d, rows[2] + x);
      hn::StoreU(v3, d, rows[3] + x);
    }
    for (; x < width; ++x)
      for (int k = 0; k < 4; ++k) rows[k][x] = quads[4 * x + k];
  } else {
    const hn::ScalableTag<std::uint64_t> d;  // a 2-channel pixel's two floats
    const int N = int(hn::Lanes(d));
    const auto* q = reinterpret_cast<const std::uint64_t*>(quads);
    for (; x + N <= width; x += N) {
      hn::Vec<decltype(d)> v0, v1;
      hn::LoadInterleaved2(d, q + 2 * x, v0, v1);
      hn::StoreU(v0, d, reinterpret_cast<std::uint64_t*>(rows[0]) + x);
      hn::StoreU(v1, d, reinterpret_cast<std::uint64_t*>(rows[1]) + x);
    }
    for (; x < width; ++x)
      for (int k = 0; k < 2; ++k) std::memcpy(rows[k] + 2 * x, quads + 4 * x + 2 * k, 2 * sizeof(float));
  }
}

const Kernels* Table() {
  static const Kernels kernels{QuadPixels(),  &HorizontalQuadsU8, &HorizontalQuadsF32, &VerticalU8,
                               &VerticalF32,  &JoinRowsU8,        &JoinRowsF32,        &SplitRows};
  return &kernels;
}

}  // namespace imgshard::kernels::area::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

// ------------------------------------------------------------------------------------------
// Plans, routing and the row-by-row driver: compiled once.
#if HWY_ONCE
namespace imgshard::kernels {
namespace area {

// Run-time dispatch of our own, over the targets Highway compiled: Highway's
// HWY_DYNAMIC_DISPATCH needs libhwy.so, whose load-time timer probe (rdtscp) stops every
// program that links it under valgrind. The CPU features are those Highway's targets are
// compiled for (HWY_TARGET_STR_* in hwy/ops/set_macros-inl.h).
struct Isa {
  const char* name;
  const Kernels* (*table)();
  bool (*supported)();
};

#if HWY_ARCH_X86
struct X86 {
  bool ssse3 = false, sse4 = false, avx2 = false, avx3 = false;
  X86() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    const auto bit = [](unsigned r, int i) { return ((r >> i) & 1u) != 0; };
    ssse3 = bit(d, 26) && bit(c, 9);
    sse4 = ssse3 && bit(c, 19) && bit(c, 20) && bit(c, 1) && bit(c, 25);  // SSE4.1, 4.2, PCLMUL, AES
    const bool osxsave = bit(c, 27), avx = bit(c, 28), fma = bit(c, 12), f16c = bit(c, 29);
    unsigned b7 = 0;
    if (__get_cpuid_max(0, nullptr) >= 7) __cpuid_count(7, 0, a, b7, c, d);
    unsigned xcr0 = 0;
    if (osxsave) {
      unsigned hi;
      __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(hi) : "c"(0));
    }
    const bool os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xE6) == 0xE6;
    avx2 = sse4 && os_avx && avx && fma && f16c && bit(b7, 5) && bit(b7, 3) && bit(b7, 8);  // AVX2, BMI, BMI2
    avx3 = avx2 && os_avx512 && bit(b7, 16) && bit(b7, 17) && bit(b7, 30) && bit(b7, 31);  // F, DQ, BW, VL
  }
};
const X86& x86() {
  static const X86 features;
  return features;
}
#endif

// Best first; the last one runs anywhere.
const std::vector<Isa>& isas() {
  static const std::vector<Isa> list = [] {
    std::vector<Isa> v;
#if HWY_ARCH_X86
#if HWY_TARGETS & HWY_AVX3
    v.push_back({"AVX-512", &N_AVX3::Table, [] { return x86().avx3; }});
#endif
#if HWY_TARGETS & HWY_AVX2
    v.push_back({"AVX2", &N_AVX2::Table, [] { return x86().avx2; }});
#endif
#if HWY_TARGETS & HWY_SSE4
    v.push_back({"SSE4", &N_SSE4::Table, [] { return x86().sse4; }});
#endif
#if HWY_TARGETS & HWY_SSSE3
    v.push_back({"SSSE3", &N_SSSE3::Table, [] { return x86().ssse3; }});
#endif
#endif
    // The target the whole file is compiled for anyway (scalar on a baseline x86-64 build).
    v.push_back({HWY_TARGET == HWY_SCALAR ? "scalar" : "baseline", &HWY_NAMESPACE::Table, [] { return true; }});
    return v;
  }();
  return list;
}

std::atomic<const Isa*> chosen{nullptr};

const Isa& best_isa() {
  for (const Isa& isa : isas())
    if (isa.supported()) return isa;
  return isas().back();
}

const Kernels& kernels() {
  const Isa* isa = chosen.load(std::memory_order_acquire);
  if (!isa) {
    isa = &best_isa();
    chosen.store(isa, std::memory_order_release);
  }
  return *isa->table();
}

// The taps of one axis: for each output index, its first source index, how many source
// indices it sums and their weights (padded with zeros to `taps`, the longest list).
struct AxisTaps {
  int in = 0, out = 0;
  int taps = 0;
  std::vector<int> first, count;
  std::vector<float> weight;  // out * taps
};

// OpenCV's computeResizeAreaTab, the same double arithmetic, regrouped per output index.
// Each output's taps are consecutive source indices in ascending order (the order OpenCV
// sums them in); a table that broke that would be refused (it cannot happen for a scale
// >= 1, and the tests sweep thousands of sizes).
AxisTaps axis_taps(int ssize, int dsize, double scale) {
  AxisTaps a;
  a.in = ssize;
  a.out = dsize;
  a.first.assign(std::size_t(dsize), 0);
  a.count.assign(std::size_t(dsize), 0);
  std::vector<std::pair<int, float>> entries;
  std::vector<std::vector<float>> weights{std::size_t(dsize)};
  for (int dx = 0; dx < dsize; ++dx) {
    entries.clear();
    const double fsx1 = dx * scale;
    const double fsx2 = fsx1 + scale;
    const double cell_width = std::min(scale, ssize - fsx1);
    int sx1 = int(std::ceil(fsx1)), sx2 = int(std::floor(fsx2));
    sx2 = std::min(sx2, ssize - 1);
    sx1 = std::min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) entries.emplace_back(sx1 - 1, float((sx1 - fsx1) / cell_width));
    for (int sx = sx1; sx < sx2; ++sx) entries.emplace_back(sx, float(1.0 / cell_width));
    if (fsx2 - sx2 > 1e-3)
      entries.emplace_back(sx2, float(std::min(std::min(fsx2 - sx2, 1.), cell_width) / cell_width));
    if (entries.empty()) throw std::logic_error("area resampler: an output with no source");
    for (std::size_t k = 1; k < entries.size(); ++k)
      if (entries[k].first != entries[k - 1].first + 1)
        throw std::logic_error("area resampler: taps not consecutive");
    a.first[std::size_t(dx)] = entries.front().first;
    a.count[std::size_t(dx)] = int(entries.size());
    for (const auto& e : entries) weights[std::size_t(dx)].push_back(e.second);
    a.taps = std::max(a.taps, int(entries.size()));
  }
  a.weight.assign(std::size_t(dsize) * std::size_t(a.taps), 0.f);
  for (int dx = 0; dx < dsize; ++dx)
    std::copy(weights[std::size_t(dx)].begin(), weights[std::size_t(dx)].end(),
              a.weight.begin() + std::ptrdiff_t(dx) * a.taps);
  return a;
}

// The vector layout of a horizontal pass. An output whose padded tap list would run past
// the row's end is moved left: its real taps then come after leading zero-weight taps,
// which add +0 to the initial 0 (and are masked for float32) and change nothing.
QuadPlan quad_plan(const AxisTaps& x, int channels, int pixels_per_vector) {
  QuadPlan q;
  q.channels = channels;
  q.pixels_per_vector = pixels_per_vector;
  q.out_width = x.out;
  q.groups = (x.out + pixels_per_vector - 1) / pixels_per_vector;
  q.taps = x.taps;
  const int P = pixels_per_vector, K = x.taps;
  const std::size_t outputs = std::size_t(q.groups) * std::size_t(P);
  q.offset.assign(outputs, 0);
  q.weight.assign(outputs * std::size_t(K) * 4, 0.f);
  q.valid.assign(outputs * std::size_t(K) * 4, 0u);
  for (int dx = 0; dx < x.out; ++dx) {
    const int start = std::min(x.first[std::size_t(dx)], x.in - K);  // K <= x.in: every tap is a source pixel
    const int lead = x.first[std::size_t(dx)] - start;
    q.offset[std::size_t(dx)] = start * channels;
    const int g = dx / P, p = dx % P;
    for (int j = 0; j < x.count[std::size_t(dx)]; ++j) {
      const std::size_t at = ((std::size_t(g) * K + std::size_t(lead + j)) * P + std::size_t(p)) * 4;
      for (int lane = 0; lane < 4; ++lane) {
        q.weight[at + std::size_t(lane)] = x.weight[std::size_t(dx) * std::size_t(K) + std::size_t(j)];
        q.valid[at + std::size_t(lane)] = ~0u;
      }
    }
  }
  return q;  // outputs past out_width: offset 0, weight 0, never valid; their stores land in the row's padding
}

// One plan per image size pair, cached per thread: a run sees the same sizes again and
// again, and the tables cost about as much as resizing a small image.
struct Plan {
  cv::Size src, dst;
  int type = 0;
  int pixels_per_vector = 0;  // of the target it was made for
  int channels = 0;
  bool quads = false;  // the vector horizontal pass (any vector unit)
  // Source rows per horizontal pass: 1, or 4 / channels for 1 and 2 channels, whose rows
  // are joined side by side into one 4-channel row for the quad pass.
  int rows_per_pass = 1;
  AxisTaps x, y;
  QuadPlan quad;
  int ring_rows = 0;  // horizontal results kept: the longest vertical tap list, plus a pass
  std::size_t row_floats = 0;
  std::size_t quad_floats = 0;  // one pass's quad results (1 and 2 channels)
};

std::shared_ptr<const Plan> make_plan(cv::Size src, cv::Size dst, int type, int pixels_per_vector) {
  auto plan = std::make_shared<Plan>();
  plan->pixels_per_vector = pixels_per_vector;
  plan->src = src;
  plan->dst = dst;
  plan->type = type;
  plan->channels = CV_MAT_CN(type);
  const double scale_x = 1. / (double(dst.width) / src.width), scale_y = 1. / (double(dst.height) / src.height);
  plan->x = axis_taps(src.width, dst.width, scale_x);
  plan->y = axis_taps(src.height, dst.height, scale_y);
  plan->quads = pixels_per_vector > 0;
  plan->rows_per_pass = plan->quads && plan->channels <= 2 ? 4 / plan->channels : 1;
  if (plan->quads) plan->quad = quad_plan(plan->x, plan->channels <= 2 ? 4 : plan->channels, pixels_per_vector);
  // A pass writes rows_per_pass rows while the oldest output row still waiting may need
  // y.taps - 1 rows before them.
  plan->ring_rows = plan->y.taps + plan->rows_per_pass - 1;
  // Room for the padded groups, the 4th lane of the last quad and a whole last vector.
  const std::size_t outputs = plan->quads ? std::size_t(plan->quad.groups) * plan->quad.pixels_per_vector
                                          : std::size_t(dst.width);
  plan->row_floats = outputs * 4 + 4 + 16;
  plan->quad_floats = plan->rows_per_pass > 1 ? outputs * 4 + 16 : 0;
  return plan;
}

std::shared_ptr<const Plan> plan_for(cv::Size src, cv::Size dst, int type) {
  thread_local std::shared_ptr<const Plan> last;
  const int pixels_per_vector = kernels().quad_pixels;
  if (!last || last->src != src || last->dst != dst || last->type != type ||
      last->pixels_per_vector != pixels_per_vector)
    last = make_plan(src, dst, type, pixels_per_vector);
  return last;
}

// The horizontal pass without vectors (1 and 2 channels, or no vector unit): the same sums.
template <typename T, int C>
void horizontal_scalar(const AxisTaps& x, const T* row, float* out) {
  for (int dx = 0; dx < x.out; ++dx, out += C) {
    const T* s = row + std::ptrdiff_t(x.first[std::size_t(dx)]) * C;
    const float* w = x.weight.data() + std::ptrdiff_t(dx) * x.taps;
    float acc[C] = {};
    for (int j = 0, n = x.count[std::size_t(dx)]; j < n; ++j, s += C)
      for (int c = 0; c < C; ++c) acc[c] += float(s[c]) * w[j];
    for (int c = 0; c < C; ++c) out[c] = acc[c];
  }
}

template <typename T>
void horizontal_scalar(const AxisTaps& x, int channels, const T* row, float* out) {
  switch (channels) {
    case 1: return horizontal_scalar<T, 1>(x, row, out);
    case 2: return horizontal_scalar<T, 2>(x, row, out);
    case 3: return horizontal_scalar<T, 3>(x, row, out);
    default: return horizontal_scalar<T, 4>(x, row, out);
  }
}

}  // namespace area

bool area_resampler_handles(cv::Size src, cv::Size dst, int type) {
  const int depth = CV_MAT_DEPTH(type), cn = CV_MAT_CN(type);
  if ((depth != CV_8U && depth != CV_32F) || cn < 1 || cn > 4) return false;
  if (src.width <= 0 || src.height <= 0 || dst.width <= 0 || dst.height <= 0 || src == dst) return false;
  // cv::resize's routing (modules/imgproc/src/resize.cpp): scale = 1 / (dsize / ssize).
  const double scale_x = 1. / (double(dst.width) / src.width), scale_y = 1. / (double(dst.height) / src.height);
  if (scale_x < 1 || scale_y < 1) return false;  // an upscale: OpenCV's bilinear variant
  const int ix = cv::saturate_cast<int>(scale_x), iy = cv::saturate_cast<int>(scale_y);
  const bool integer_ratios = std::abs(scale_x - ix) < DBL_EPSILON && std::abs(scale_y - iy) < DBL_EPSILON;
  return !integer_ratios;  // OpenCV's resizeAreaFast_: vectorised already, left to it
}

struct AreaResampler::State {
  std::shared_ptr<const area::Plan> plan;
  const area::Kernels* kernels = nullptr;  // the instruction set the plan was made for
  cv::Mat* dst = nullptr;
  bool u8 = true;
  std::vector<float> ring;  // ring_rows horizontal results, row sy at sy % ring_rows, then a spare
  std::vector<const float*> rows;
  int pushed = 0;
  int processed = 0;  // source rows whose horizontal results are in the ring
  int next_out = 0;   // the next output row to write
  // 1 and 2 channels: the rows of the pass being gathered, joined, and the quad results.
  std::vector<std::uint8_t> pending, joined;
  std::vector<float> quads;
  std::size_t pending_stride = 0;
  int pending_rows = 0;

  float* ring_row(int sy) { return ring.data() + std::size_t(sy % plan->ring_rows) * plan->row_floats; }
  float* spare_row() { return ring.data() + std::size_t(plan->ring_rows) * plan->row_floats; }
  void horizontal_pass();
  void write_ready_rows();
};

namespace {
// The ring buffer of the last resampler of this thread, reused by the next one.
thread_local std::vector<float> spare_ring;
}  // namespace

AreaResampler::AreaResampler(cv::Size src_size, cv::Size dst_size, int type, cv::Mat& dst)
    : state_(std::make_unique<State>()) {
  if (!area_resampler_handles(src_size, dst_size, type))
    throw std::logic_error("AreaResampler: a case for cv::resize (see area_resampler_handles)");
  State& s = *state_;
  s.kernels = &area::kernels();
  s.plan = area::plan_for(src_size, dst_size, type);
  s.u8 = CV_MAT_DEPTH(type) == CV_8U;
  dst.create(dst_size, type);
  s.dst = &dst;
  s.ring.swap(spare_ring);
  const std::size_t need = std::size_t(s.plan->ring_rows + 1) * s.plan->row_floats;
  if (s.ring.size() < need) s.ring.resize(need, 0.f);
  s.rows.resize(std::size_t(s.plan->ring_rows));
  if (s.plan->rows_per_pass > 1) {
    const std::size_t elem = CV_ELEM_SIZE1(type);
    s.pending_stride = std::size_t(src_size.width) * s.plan->channels * elem + kRowPadding;
    s.pending.resize(s.pending_stride * std::size_t(s.plan->rows_per_pass));
    s.joined.resize(std::size_t(src_size.width) * 4 * elem + kRowPadding);
    s.quads.resize(s.plan->quad_floats, 0.f);
  }
}

AreaResampler::~AreaResampler() {
  if (state_ && state_->ring.size() > spare_ring.size()) spare_ring.swap(state_->ring);
}

int AreaResampler::rows_pushed() const { return state_->pushed; }
bool AreaResampler::done() const { return state_->next_out >= state_->plan->dst.height; }

void AreaResampler::push(const void* row) {
  State& s = *state_;
  const area::Plan& p = *s.plan;
  if (s.pushed >= p.src.height) throw std::logic_error("AreaResampler: more rows than the source has");
  const int sy = s.pushed++;
  const area::Kernels& k = *s.kernels;
  if (p.rows_per_pass > 1) {
    // Gathered until the pass is full (or the image ends), then joined and resampled at once.
    const std::size_t bytes = std::size_t(p.src.width) * p.channels * (s.u8 ? 1 : sizeof(float));
    std::memcpy(s.pending.data() + s.pending_stride * std::size_t(s.pending_rows++), row, bytes);
    if (s.pending_rows == p.rows_per_pass || s.pushed == p.src.height) s.horizontal_pass();
  } else {
    float* h = s.ring_row(sy);
    if (p.quads && s.u8)
      k.horizontal_u8(p.quad, static_cast<const std::uint8_t*>(row), h);
    else if (p.quads)
      k.horizontal_f32(p.quad, static_cast<const float*>(row), h);
    else if (s.u8)
      area::horizontal_scalar(p.x, p.channels, static_cast<const std::uint8_t*>(row), h);
    else
      area::horizontal_scalar(p.x, p.channels, static_cast<const float*>(row), h);
    s.processed = sy + 1;
  }
  s.write_ready_rows();
}

// 1 and 2 channels: the gathered rows side by side as one 4-channel row (a short last pass
// repeats its last row), one quad pass, the results back into the ring (repeats to a spare).
void AreaResampler::State::horizontal_pass() {
  const area::Plan& p = *plan;
  const area::Kernels& k = *kernels;
  const int R = p.rows_per_pass, got = pending_rows;
  const std::uint8_t* in[4];
  float* out[4];
  for (int r = 0; r < R; ++r) {
    in[r] = pending.data() + pending_stride * std::size_t(std::min(r, got - 1));
    out[r] = r < got ? ring_row(processed + r) : spare_row();
  }
  if (u8) {
    k.join_rows_u8(in, p.channels, p.src.width, joined.data());
    k.horizontal_u8(p.quad, joined.data(), quads.data());
  } else {
    const float* inf[4] = {reinterpret_cast<const float*>(in[0]), reinterpret_cast<const float*>(in[1]),
                           reinterpret_cast<const float*>(in[2]), reinterpret_cast<const float*>(in[3])};
    k.join_rows_f32(inf, p.channels, p.src.width, reinterpret_cast<float*>(joined.data()));
    k.horizontal_f32(p.quad, reinterpret_cast<const float*>(joined.data()), quads.data());
  }
  k.split_rows(quads.data(), p.channels, p.dst.width, out);
  processed += got;
  pending_rows = 0;
}

// Every output row whose source rows have all been through the horizontal pass.
void AreaResampler::State::write_ready_rows() {
  const area::Plan& p = *plan;
  const area::Kernels& k = *kernels;
  const int length = p.dst.width * p.channels;
  while (next_out < p.dst.height) {
    const int dy = next_out;
    const int first = p.y.first[std::size_t(dy)], count = p.y.count[std::size_t(dy)];
    if (first + count > processed) break;
    for (int t = 0; t < count; ++t) rows[std::size_t(t)] = ring_row(first + t);
    const float* beta = p.y.weight.data() + std::ptrdiff_t(dy) * p.y.taps;
    if (u8)
      k.vertical_u8(rows.data(), beta, count, length, dst->ptr<std::uint8_t>(dy));
    else
      k.vertical_f32(rows.data(), beta, count, length, dst->ptr<float>(dy));
    ++next_out;
  }
}

void resize_area(const cv::Mat& src, cv::Mat& dst, cv::Size size) {
  if (!area_resampler_handles(src.size(), size, src.type())) {
    cv::resize(src, dst, size, 0, 0, cv::INTER_AREA);
    return;
  }
  // Writing into our own input would read rows we have already overwritten.
  if (dst.data && dst.datastart <= src.dataend && src.datastart <= dst.dataend) {
    const cv::Mat copy = src.clone();
    resize_area(copy, dst, size);
    return;
  }
  AreaResampler resampler(src.size(), size, src.type(), dst);
  for (int y = 0; y + 1 < src.rows; ++y) resampler.push(src.ptr(y));
  // The last row is the only one that may end where the buffer ends: a padded copy.
  thread_local std::vector<std::uint8_t> last;
  const std::size_t bytes = std::size_t(src.cols) * src.elemSize();
  last.resize(bytes + AreaResampler::kRowPadding);
  std::memcpy(last.data(), src.ptr(src.rows - 1), bytes);
  resampler.push(last.data());
}

std::vector<std::string> area_resampler_isas() {
  std::vector<std::string> names;
  for (const area::Isa& isa : area::isas())
    if (isa.supported()) names.emplace_back(isa.name);
  return names;
}

std::string area_resampler_isa() {
  const area::Isa* isa = area::chosen.load();
  return isa ? isa->name : area::best_isa().name;
}

void area_resampler_use_isa(const std::string& name) {
  if (name.empty()) {
    area::chosen.store(&area::best_isa());
    return;
  }
  for (const area::Isa& isa : area::isas())
    if (isa.supported() && name == isa.name) {
      area::chosen.store(&isa);
      return;
    }
  throw std::invalid_argument("area resampler: no instruction set '" + name + "' on this CPU");
}

}  // namespace imgshard::kernels
#endif  // HWY_ONCE
