#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/veth_launch.sh [RUNS]: how long from "launch" until the hello-world server answers the
# host over a veth pair, for
#   plan-exec   plan-exec veth.plan -- /home/hello-world   (veth through netlink, pivot_root)
#   manual      the seed's sequence: ip netns add; ip link add ... type veth; ip link set ... netns;
#               addresses, links up, lo up, default route (8 `ip` commands); then
#               ip netns exec NS unshare -fmiup chroot ROOTFS /home/hello-world
# Both serve the same static binary from the same busybox rootfs; both are polled the same way
# (curl bound to the host end of the pair, so no request can leave the machine). Median of RUNS
# runs (default 10) of each, interleaved, with min and max; the ratio manual/plan-exec is printed.
# Needs root. Uses only 10.200.250.0/24 and 10.200.251.0/24 and names it makes; cleans up on exit.
# Environment: BUILD_DIR (default build), SKIP_BUILD=1 to use what is built.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-10}
BUILD=${BUILD_DIR:-build}
PLAN_EXEC=$BUILD/launcher/plan-exec
POLICYC=$BUILD/compiler/policyc
PORT=8080
ID=$$
NETNS=vbench-$ID                   # the manual sequence's namespace
MANUAL_HOST=vbh-$ID MANUAL_PEER=vbc-$ID

[ "$(id -u)" -eq 0 ] || { echo "bench/veth_launch.sh: needs root (veth pairs, namespaces)" >&2; exit 1; }
for tool in ip unshare curl busybox; do
  command -v "$tool" >/dev/null || { echo "bench/veth_launch.sh: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target policyc plan-exec hello_world >/dev/null
fi

WORK=$(mktemp -d /tmp/veth-bench.XXXXXX)
ROOTFS=$WORK/rootfs
BACKGROUND=""   # pid of the launcher currently running

cleanup() {
  if [ -n "$BACKGROUND" ]; then
    kill -TERM "$BACKGROUND" 2>/dev/null || true
    wait "$BACKGROUND" 2>/dev/null || true
  fi
  if ip netns list | grep -qw "$NETNS"; then
    for pid in $(ip netns pids "$NETNS"); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$NETNS" 2>/dev/null || true
  fi
  ip link del "$MANUAL_HOST" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$ROOTFS"/{bin,dev,home,proc,tmp}
cp /bin/busybox "$ROOTFS/bin/busybox"
ln -s busybox "$ROOTFS/bin/sh"
cp "$BUILD/test-programs/hello_world" "$ROOTFS/home/hello-world"

# The same isolation as `unshare -fmiup` plus the net namespace the veth lives in, nothing more:
# no limits, no filter (the manual sequence has neither).
cat >"$WORK/veth.pol" <<EOF
container vethbench {
  rootfs "$ROOTFS"
  namespaces mount pid ipc uts net
  network veth { host 10.200.250.1/24  container 10.200.250.2/24  gateway host }
  command "/home/hello-world"
}
EOF
"$POLICYC" "$WORK/veth.pol" -o "$WORK/veth.plan"

now_ns() { date +%s%N; }

# Polls the server through `$1` (host end) at `$2` until it answers; fails after 10 s.
wait_for_page() {
  local deadline=$(($(now_ns) + 10000000000))
  # A SYN sent before the container end is configured is dropped, not refused: a short
  # connect timeout retries at once instead of waiting for the kernel's 1 s SYN retransmit.
  until curl -s --connect-timeout 0.1 --max-time 1 --interface "$1" "http://$2:$PORT/" 2>/dev/null | grep -q "Hello, World"; do
    [ "$(now_ns)" -lt "$deadline" ] || { echo "no answer from $2 through $1" >&2; return 1; }
  done
}

run_plan_exec() {
  local start
  start=$(now_ns)
  "$PLAN_EXEC" "$WORK/veth.plan" -- /home/hello-world 2>/dev/null &
  BACKGROUND=$!
  wait_for_page "pe-$BACKGROUND" 10.200.250.2
  echo $((($(now_ns) - start) / 1000))
  kill -TERM "$BACKGROUND"
  wait "$BACKGROUND" || true
  BACKGROUND=""
}

run_manual() {
  local start
  start=$(now_ns)
  ip netns add "$NETNS"
  ip link add "$MANUAL_HOST" type veth peer name "$MANUAL_PEER"
  ip link set "$MANUAL_PEER" netns "$NETNS"
  ip addr add 10.200.251.1/24 dev "$MANUAL_HOST"
  ip link set "$MANUAL_HOST" up
  ip -n "$NETNS" addr add 10.200.251.2/24 dev "$MANUAL_PEER"
  ip -n "$NETNS" link set "$MANUAL_PEER" up
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" route add default via 10.200.251.1
  ip netns exec "$NETNS" unshare -fmiup chroot "$ROOTFS" /home/hello-world 2>/dev/null &
  BACKGROUND=$!
  wait_for_page "$MANUAL_HOST" 10.200.251.2
  echo $((($(now_ns) - start) / 1000))
  for pid in $(ip netns pids "$NETNS"); do kill -TERM "$pid" 2>/dev/null || true; done
  wait "$BACKGROUND" || true
  BACKGROUND=""
  ip netns del "$NETNS"
  ip link del "$MANUAL_HOST" 2>/dev/null || true   # usually gone with the namespace already
}

# "median min max" in ms of microsecond samples on stdin.
stats() {
  sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f %.2f %.2f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}

# Samples go to files, not $(...): a subshell would lose BACKGROUND, and cleanup with it.
run_plan_exec >/dev/null   # warm-up: page cache, first netlink socket
run_manual >/dev/null
for _ in $(seq "$RUNS"); do   # interleaved, so drift on a noisy machine hits both alike
  run_plan_exec >>"$WORK/plan-exec.us"
  run_manual >>"$WORK/manual.us"
done
read -r p_med p_min p_max < <(stats <"$WORK/plan-exec.us")
read -r m_med m_min m_max < <(stats <"$WORK/manual.us")

echo "launch until the hello-world server answers the host over a veth ($RUNS runs each, ms)"
printf '%-50s %8s %8s %8s\n' "" median min max
printf '%-50s %8s %8s %8s\n' "plan-exec veth.plan" "$p_med" "$p_min" "$p_max"
printf '%-50s %8s %8s %8s\n' "ip netns/link/addr/route + unshare -fmiup chroot" "$m_med" "$m_min" "$m_max"
awk -v p="$p_med" -v m="$m_med" 'BEGIN { printf "ratio manual / plan-exec: %.2fx\n", m / p }'
