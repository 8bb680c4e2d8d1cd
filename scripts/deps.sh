#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing (sourced by scripts/*).
set -euo pipefail
POLICYC_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  antlr4 libantlr4-runtime-dev default-jre-headless
  libseccomp-dev libcli11-dev nlohmann-json3-dev libgtest-dev
  libnl-3-dev libnl-route-3-dev libcap-dev libarchive-dev nettle-dev zlib1g-dev
  busybox-static iproute2 curl
  clang libclang-rt-14-dev
)
POLICYC_BENCH_PACKAGES=(bubblewrap runc hyperfine valgrind)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}
