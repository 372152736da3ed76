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
flock /tmp/cargo-build.lock cargo build --release --quiet
bin=target/release/sieve-imip
for store in mailbox.mbox Maildir; do
    for script in filter-imip filter-plain; do
        for jobs in 1 2; do
            json="$out/$store-$script-$jobs.json"
            hyperfine --style none --warmup 2 --runs 10 --export-json "$json" \
                "$bin filter --jobs $jobs --now 2026-11-20T12:00:00Z benches/scripts/$script.sieve $out/$store" \
                >/dev/null
            python3 - "$json" "$count" "$store" "$script" "$jobs" <<'PY'
import json, sys
path, count, store, script, jobs = sys.argv[1:]
result = json.load(open(path))["results"][0]
mean, stddev = result["mean"], result["stddev"]
print(f"{store:13} {script:13} --jobs {jobs}: {int(count) / mean:8.0f} messages/s "
      f"(mean {mean * 1000:.0f} ms ± {stddev * 1000:.0f} ms)")
PY
        done
    done
done
