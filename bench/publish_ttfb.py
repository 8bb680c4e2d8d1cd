#!/usr/bin/env python3
"""bench/publish_ttfb.py [RUNS]: time to first byte of the hello-world server in a plan-exec
container, through a published port (127.0.0.1:18090 -> container :8080, nftables DNAT in the
output chain plus masquerade) against straight to the container's veth address (10.200.252.2,
bound to the host end so nothing can leave the machine). One container serves both; each
sample is connect + request + first byte of the answer, alternating the two ways. Prints the
medians (with min and max) and their ratio. Needs root and a build (build/ or BUILD_DIR) with
plan-exec, policyc and hello_world. Publishes on 127.0.0.1 only: no forwarding is turned on."""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")))
POLICYC = os.path.join(BUILD, "compiler", "policyc")
PLAN_EXEC = os.path.join(BUILD, "launcher", "plan-exec")
HELLO = os.path.join(BUILD, "test-programs", "hello_world")


def first_byte(address, port, device=None):
    start = time.perf_counter()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    if device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    try:
        s.connect((address, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        if not s.recv(1):
            raise RuntimeError(f"{address}:{port} closed without answering")
        return time.perf_counter() - start
    finally:
        s.close()


def wait_ready(address, port, device, deadline=5.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            return first_byte(address, port, device)
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{address}:{port} did not answer within {deadline} s")


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if os.geteuid() != 0:
        sys.exit("bench/publish_ttfb.py: needs root (veth, nftables)")
    work = tempfile.mkdtemp(prefix="publish-ttfb.")
    proc = None
    try:
        rootfs = os.path.join(work, "rootfs")
        for d in ("home", "proc", "dev", "tmp"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy(HELLO, os.path.join(rootfs, "home", "hello-world"))
        pol = os.path.join(work, "publish.pol")
        with open(pol, "w") as f:
            f.write(f'container ttfb {{\n  rootfs "{rootfs}"\n  namespaces mount pid ipc uts net\n  mount proc at /proc\n'
                    '  network veth { host 10.200.252.1/24  container 10.200.252.2/24  gateway host\n'
                    '                 publish tcp 127.0.0.1:18090:8080 }\n  command /home/hello-world\n}\n')
        plan = os.path.join(work, "publish.plan")
        subprocess.run([POLICYC, pol, "-o", plan], check=True)
        proc = subprocess.Popen([PLAN_EXEC, plan], stderr=subprocess.PIPE)
        device = f"pe-{proc.pid}"
        wait_ready("10.200.252.2", 8080, device)
        wait_ready("127.0.0.1", 18090, None)
        published, direct = [], []
        for _ in range(runs):
            published.append(first_byte("127.0.0.1", 18090))
            direct.append(first_byte("10.200.252.2", 8080, device))
        pm, dm = statistics.median(published), statistics.median(direct)
        print("| way | median | min | max |\n|---|---|---|---|")
        print(f"| published port 127.0.0.1:18090 | {pm * 1e6:.0f} us | {min(published) * 1e6:.0f} | {max(published) * 1e6:.0f} |")
        print(f"| veth address 10.200.252.2:8080 | {dm * 1e6:.0f} us | {min(direct) * 1e6:.0f} | {max(direct) * 1e6:.0f} |")
        print(f"\npublished / veth = {pm / dm:.2f} ({runs} samples each, alternating)")
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
