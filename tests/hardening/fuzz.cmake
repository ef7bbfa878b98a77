# Initial cache (cmake -C) of the libFuzzer build (clang, ASan + UBSan, coverage on
# imgshard's own code): scripts/fuzz configures build-fuzz/ with it,
#   cmake -C tests/hardening/fuzz.cmake -S . -B build-fuzz
# and scripts/test runs `scripts/fuzz --regression N` as a step of its own after the main
# ctest run. Why a cache file and not CMakePresets.json: see asan.cmake beside this one.
set(CMAKE_C_COMPILER clang CACHE STRING "")
set(CMAKE_CXX_COMPILER clang++ CACHE STRING "")
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "")
set(IMGSHARD_FUZZ ON CACHE BOOL "")
set(IMGSHARD_SANITIZE ON CACHE BOOL "")
set(IMGSHARD_BUILD_TESTS OFF CACHE BOOL "")
set(IMGSHARD_BUILD_BENCHMARKS OFF CACHE BOOL "")
set(IMGSHARD_INSTALL OFF CACHE BOOL "")
