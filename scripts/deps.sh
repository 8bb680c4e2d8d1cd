#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages the project needs, only those missing (sourced by scripts/*).
set -euo pipefail
POLICYC_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  antlr4 libantlr4-runtime-dev default-jre-headless
  libseccomp-dev libcli11-dev nlohmann-json3-dev libgtest-dev
  libnl-3-dev libnl-route-3-dev libcap-dev libarchive-dev nettle-dev zlib1g-dev
  busybox-static iproute2 curl vim-tiny
  libnftables-dev passt nftables
  clang libclang-rt-14-dev
  libyaml-dev
)
# libyaml-dev: the tests read the Kubernetes manifest policyc writes as YAML the way kubectl does
# (tests/support/yaml_json.cc); the product does not link it.
# libnftables-dev: published ports and outbound NAT (plan-exec loads libnftables.so.1 at run
# time, as it does libarchive: the static plan-exec cannot link it, Debian ships no libnftables.a).
# passt: pasta, the user-mode network of `network user`. nftables: the `nft` command, only for
# the tests and the operator to look at plan-exec's tables; plan-exec never runs it.
POLICYC_BENCH_PACKAGES=(bubblewrap runc hyperfine valgrind)
# Only the tests need these: golang-go builds the Go hello-world server --learn is proven on
# (tests/integration/launcher_learn_test.cc; that test skips without it).
POLICYC_TEST_PACKAGES=(golang-go)
# The .deb and its test (scripts/package, tests/package/test-deb): dpkg-shlibdeps, groff/man to
# render the man pages, zsh to load the zsh completion.
POLICYC_PACKAGE_TEST_PACKAGES=(dpkg-dev groff-base man-db zsh)
# Optional: real consumers of what policyc exports (tests/integration/podman_export_test.cc,
# containerd_export_test.cc). Installed with install_optional: when the archive cannot give
# them, those tests skip and say why; nothing else fails.
POLICYC_CONSUMER_PACKAGES=(podman containerd)

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

# Like install_missing, but a package apt cannot install is only a note.
install_optional() {
  if ! (install_missing "$@"); then
    echo "note: could not install ${*}; the tests that need them skip" >&2
  fi
}

# The x86 syscall numbers of the newest kernel headers Debian 12 ships, for the generated syscall
# table (plan/syscall_table.h): bookworm-backports' linux-libc-dev (6.12: mseal, listmount,
# statmount... that 6.1's headers and libseccomp 2.5.4 lack). apt fetches and verifies it with a
# private source list and state directory, so the system's apt sources and /usr/include stay as
# they are; only asm/unistd_{64,32,x32}.h and a SOURCE note are kept, in
# $POLICYC_UAPI_CACHE/<version>/. Fetched once (POLICYC_UAPI_REFRESH=1 fetches again); without
# network the build falls back to /usr/include's headers and says so.
POLICYC_UAPI_CACHE=${POLICYC_UAPI_CACHE:-/var/cache/policyc/uapi}
fetch_uapi_headers() {
  if [ -z "${POLICYC_UAPI_REFRESH:-}" ] && compgen -G "$POLICYC_UAPI_CACHE/*/asm/unistd_64.h" >/dev/null; then
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local work
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/sources"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    >"$work/sources/backports.sources"
  local apt_private=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources"
                     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work" -o "Dir::Cache::archives=$work/archives"
                     -o APT::Sandbox::User=root)
  if ! ($sudo apt-get "${apt_private[@]}" update -qq >/dev/null 2>&1 &&
        cd "$work" && $sudo apt-get "${apt_private[@]}" download -qq linux-libc-dev/bookworm-backports >/dev/null 2>&1); then
    echo "note: could not fetch linux-libc-dev from bookworm-backports; the syscall table comes from /usr/include" >&2
    $sudo rm -rf "$work"
    return 0
  fi
  local deb version
  deb=$(ls "$work"/linux-libc-dev_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  dpkg-deb -x "$deb" "$work/x"
  local dest="$POLICYC_UAPI_CACHE/$version"
  $sudo mkdir -p "$dest/asm"
  $sudo cp "$work"/x/usr/include/x86_64-linux-gnu/asm/unistd_{64,32,x32}.h "$dest/asm/"
  echo "linux-libc-dev $version (bookworm-backports, deb.debian.org)" | $sudo tee "$dest/SOURCE" >/dev/null
  echo "syscall table headers: $dest ($(cat "$dest/SOURCE"))" >&2
  $sudo rm -rf "$work"
}
