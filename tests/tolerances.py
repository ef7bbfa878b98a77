"""How far a number may be from what a Python test expects, each value with its reason, in
one place (tests/kernels/cases.hpp does the same for the C++ kernel tests).

    import tolerances as tol
    self.assertLessEqual(max_diff(got, ref), tol.JPEG_DECODE)

ctest puts tests/ on PYTHONPATH (IMGSHARD_TEST_ENV in tests/CMakeLists.txt); to run one
test by hand: PYTHONPATH=src/python:tests /usr/bin/python3 tests/...
"""

# --- pixels -------------------------------------------------------------------------------

# uint8 results of the same OpenCV calls on the same decoded pixels (imgshard's exact decode
# equals cv2.imread on data/sample): any difference is a bug.
UINT8_EXACT = 0

# float32 results whose arithmetic imgshard orders differently from the NumPy reference (a
# table, a fused loop): the last bits. As tolerance::float32 in tests/kernels/cases.hpp.
FLOAT32 = 1e-5

# A JPEG decoded by imgshard against cv2.imread of the same file: libjpeg-turbo's SIMD paths
# and OpenCV's build may round the colour conversion and upsampling one step apart (SPEC:
# Fidelity), so one grey level.
JPEG_DECODE = 1

# --- timings and reports ---------------------------------------------------------------------

# A rank's phases against its wall_seconds: `other` takes whatever no scope claimed, read a
# moment after wall_seconds (finish_report), and it cannot go below 0 where the scopes
# claim a little more than the wall (the image loop's thread time is scaled to a share of
# it); 5% of the wall time covers both, and a rank descheduled in between on a loaded
# 2-core machine.
PHASE_SUM_SHARE = 0.05

# The same float64 written to the JSON report and to /timings: the JSON text carries 17
# significant digits, so only the last bit may differ.
REPORT_ROUNDTRIP_RTOL = 1e-12

# --- the scaling study's math (tests/study) ----------------------------------------------------

# Fits recovered from exact synthetic data: the golden-section search stops after 80
# steps of a bracket of one grid cell (5e-4): far below 1e-6.
FIT_PLACES = 6

# Closed forms (Gustafson's least squares, Karp-Flatt on exact Amdahl data): float64
# rounding of a handful of operations.
CLOSED_FORM_PLACES = 12
CLOSED_FORM_ATOL = 1e-12

# Amdahl's speedup at p = 1e9 with a fitted f = 0.2: it stands 2e-8 below 1/f, and f is
# fitted to 1e-6, which moves 1/f by 2.5e-5: three places.
AMDAHL_LIMIT_PLACES = 3

# Amdahl's f fitted to three noisy repeats (2% multiplicative noise, median kept) over 12
# core counts: 25 seeds all recover f = 0.07 within 0.01.
NOISY_FIT_F = 0.01

# The projection's throughput at and beyond R*, where it equals 1/c_0 in closed form:
# float64 rounding of the unsaturated branch's formula.
PROJECTION_RTOL = 1e-12

# A monotone curve evaluated at consecutive rank counts may step back by rounding.
MONOTONE_SLACK = 1e-9
