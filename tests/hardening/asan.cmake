# Initial cache (cmake -C) of the hardening build that runs the C++ unit tests under
# AddressSanitizer + UBSan (gcc): scripts/sanitize-tests configures build-asan/ with it,
#   cmake -C tests/hardening/asan.cmake -S . -B build-asan
# and scripts/test runs that as a step of its own after the main ctest run.
# These files stand in for CMakePresets.json, which CMake reads only from the top folder of
# the source tree, whose contents are fixed (CMakeLists.txt src scripts slurm tests data
# README.md .ci .gitignore); they sit here, with the tests they build. A value given with
# -D on the command line after -C wins; an existing build-asan/ keeps its cache.
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "")
set(IMGSHARD_SANITIZE ON CACHE BOOL "")
set(IMGSHARD_BUILD_TESTS ON CACHE BOOL "")
set(IMGSHARD_BUILD_BENCHMARKS OFF CACHE BOOL "")
set(IMGSHARD_INSTALL OFF CACHE BOOL "")
