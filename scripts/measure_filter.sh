#!/usr/bin/env bash
# Throughput of `sieve-imip filter` in messages per second: the imip script
# and the plain one (benches/scripts/), --jobs 1 and 2, on a 10,000-message
# mbox and the same messages as a Maildir (scripts/make_mailbox.py).
#
# Usage: bash scripts/measure_filter.sh [OUT]   (OUT default /tmp/sieve-imip-filter-bench)
# Needs hyperfine (apt-get install -y hyperfine) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/sieve-imip-filter-bench}
count=10000
mkdir -p "$out"
if [ ! -f "$out/mailbox.mbox" ]; then
    python3 scripts/make_mailbox.py "$out" --count "$count"
fi
# Hold the shared build lock for the build and the whole measurement, so
# that no compile on the same machine runs in between.
exec 9>/tmp/cargo-build.lock
flock 9
cargo build --release --quiet
bin=target/release/sieve-imip
for store in mailbox.mbox Maildir; do
    for script in filter-imip filter-plain; do
        for jobs in 1 2; do
            hyperfine --style none --warmup 2 --runs "${RUNS:-20}" \
                --export-json "$out/$store-$script-$jobs.json" \
                "$bin filter --jobs $jobs --now 2026-11-20T12:00:00Z benches/scripts/$script.sieve $out/$store" \
                >/dev/null
        done
    done
done
# Messages per second from the mean wall time, the CPU time (user + system,
# less sensitive to other load on a shared machine), and imip / plain.
python3 - "$out" "$count" <<'PY'
import json, sys
out, count = sys.argv[1], int(sys.argv[2])
def load(store, script, jobs):
    return json.load(open(f"{out}/{store}-{script}-{jobs}.json"))["results"][0]
for store in ("mailbox.mbox", "Maildir"):
    for jobs in (1, 2):
        rates = {}
        for script in ("filter-imip", "filter-plain"):
            r = load(store, script, jobs)
            rates[script] = count / r["mean"]
            print(f"{store:13} {script:13} --jobs {jobs}: {count / r['mean']:7.0f} messages/s "
                  f"(wall {r['mean'] * 1000:4.0f} ms ± {r['stddev'] * 1000:3.0f}, "
                  f"CPU {(r['user'] + r['system']) * 1000:4.0f} ms)")
        print(f"{store:13} --jobs {jobs}: imip runs at {100 * rates['filter-imip'] / rates['filter-plain']:.0f}% of plain")
PY
