#!/bin/bash
# Unary Version latency and throughput over the CRI socket with h2load (a real HTTP/2 load
# generator), on 1, 8 and 64 concurrent streams, and the daemon's idle RSS.
# Usage: bench/bench-grpc.sh [BUILD_DIR] [REQUESTS]
set -euo pipefail
build=${1:-build}
requests=${2:-200000}
crio=$(realpath "$build/src/crio")
tmp=$(mktemp -d /tmp/crio-bench.XXXXXX)
pid=

cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT

"$crio" --listen "$tmp/crio.sock" --log-level error --log-target console &
pid=$!
for _ in $(seq 100); do [ -S "$tmp/crio.sock" ] && break; sleep 0.05; done
[ -S "$tmp/crio.sock" ] || { echo "crio did not start" >&2; exit 1; }

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
echo "idle RSS after start: $(rss) KiB"

# An empty VersionRequest, framed as a gRPC message: flag 0, length 0.
printf '\0\0\0\0\0' >"$tmp/version.bin"

for streams in 1 8 64; do
        n=$requests
        [ "$streams" = 1 ] && n=$((requests / 4))
        h2load -n "$n" -c 1 -m "$streams" -d "$tmp/version.bin" \
                -H 'content-type: application/grpc' -H 'te: trailers' \
                --log-file="$tmp/log-$streams" -B "unix:$tmp/crio.sock" \
                http://localhost/runtime.v1.RuntimeService/Version >"$tmp/out-$streams"
        grep -q "succeeded, 0 failed, 0 errored" "$tmp/out-$streams" || { cat "$tmp/out-$streams"; exit 1; }
        /usr/bin/python3 - "$tmp/log-$streams" "$tmp/out-$streams" "$streams" <<'PY'
import re, sys
lat = sorted(int(l.split("\t")[2]) for l in open(sys.argv[1]) if l.strip())
out = open(sys.argv[2]).read()
rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", out).group(1)
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"streams={sys.argv[3]:>3}  requests={len(lat)}  {float(rps):>10.0f} calls/s  "
      f"p50={p(0.50)} us  p99={p(0.99)} us")
PY
done

sleep 1
echo "idle RSS after load: $(rss) KiB"
