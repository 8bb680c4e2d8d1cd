#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The build configurations the project's scripts share (sourced by scripts/test, demo, fuzz),
# so a build directory one script made is never reconfigured, and rebuilt, by another.
#   configure_build DIR       gcc, optimised, line tables only (the product as shipped)
#   configure_sanitized_build DIR  clang, ASan+UBSan, libFuzzer coverage (the unit tests under
#                             the sanitizers, and fuzzing)
#   configure_release_build DIR  gcc, optimised, no tests and no GTest, no test-only switches in
#                             plan-exec: what `cmake --install` and the .deb ship (scripts/package)
# Line tables (-g1) instead of full debug info: backtraces, sanitizer reports and perf still name
# functions and lines, and the build takes a quarter less time. For gdb with variables, configure
# a directory of your own with -DCMAKE_BUILD_TYPE=Debug.

# Unity builds (CMake compiles all sources of a target as one translation unit): every file
# parses the same standard and library headers and instantiates the same templates, and doing
# that once per target instead of once per file halves a clean build (batches of 8 files took a
# quarter more CPU time than one batch per target; the test targets two fifths more). A name local
# to a file (static, anonymous namespace) must therefore be unique within its target. Plain
# `cmake -S . -B dir` builds stay file by file, for quick rebuilds after a one-file change.
_UNITY=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=0)

# Ninja when installed, for a fresh directory only: CMake refuses to switch a directory's generator.
_generator_for() {
  if [ ! -f "$1/CMakeCache.txt" ] && command -v ninja >/dev/null; then echo "-GNinja"; fi
}

configure_build() {
  local dir=$1
  cmake -S . -B "$dir" $(_generator_for "$dir") -DCMAKE_BUILD_TYPE=RelWithDebInfo "${_UNITY[@]}" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
}

# -O1 is what libFuzzer and ASan recommend: fast enough to fuzz, quicker to build than -O2.
configure_sanitized_build() {
  local dir=$1
  CC=clang CXX=clang++ cmake -S . -B "$dir" $(_generator_for "$dir") -DCMAKE_BUILD_TYPE=RelWithDebInfo "${_UNITY[@]}" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DPOLICYC_FUZZ=ON -DPOLICYC_SANITIZE=ON >/dev/null
}

# CMAKE_DISABLE_FIND_PACKAGE_GTest proves the release build needs no GTest at all.
configure_release_build() {
  local dir=$1
  cmake -S . -B "$dir" $(_generator_for "$dir") -DCMAKE_BUILD_TYPE=RelWithDebInfo "${_UNITY[@]}" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    --no-warn-unused-cli -DBUILD_TESTING=OFF -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
}
