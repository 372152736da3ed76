#!/usr/bin/env bash
# Time per message of `sieve-imip deliver`, process start to exit: one
# invitation (samples/invitation-outlook.eml) and one plain message
# (samples/newsletter.eml), through scripts-examples/global-admin.sieve
# (--before) and scripts-examples/route-by-method.sieve, into a fresh Maildir.
#
# deliver reads the message on stdin. With hyperfine >= 1.16 the command runs
# directly (-N --input FILE). Older hyperfine (Debian 12 has 1.15) runs it as
# sh -c 'exec BIN ... < FILE'; then `sh -c 'true < FILE'` is timed too and the
# figures are also given less that shell overhead (the exec of BIN stays in,
# as it does in a direct run).
#
# Usage: bash scripts/bench/deliver.sh   (RUNS=N, default 100; WARMUP default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-100}
warmup=${WARMUP:-5}
command -v hyperfine >/dev/null ||
    DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y -q hyperfine >/dev/null
work=$(mktemp -d /tmp/sieve-imip-deliver-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Hold the shared build lock for the build and the measurement, so that no
# compile on the same machine runs in between.
exec 9>/tmp/cargo-build.lock
flock 9
cargo build --release --quiet
bin=target/release/sieve-imip
deliver="$bin deliver --maildir $work/Maildir --before scripts-examples/global-admin.sieve scripts-examples/route-by-method.sieve --recipient bob@example.org --now 2026-11-20T12:00:00Z"

if hyperfine --help | grep -q -- '--input'; then
    mode=direct
else
    mode=shell
fi
for message in invitation-outlook newsletter; do
    input=samples/$message.eml
    if [ "$mode" = direct ]; then
        hyperfine -N --style none --warmup "$warmup" --runs "$runs" --input "$input" \
            --export-json "$work/$message.json" "$deliver" >/dev/null
    else
        hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
            --export-json "$work/$message.json" "sh -c 'exec $deliver < $input'" >/dev/null
    fi
done
if [ "$mode" = shell ]; then
    hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
        --export-json "$work/shell.json" "sh -c 'true < samples/newsletter.eml'" >/dev/null
fi
# Every run delivered: one file per warmup and run for each message.
delivered=$(find "$work/Maildir" -type f -path '*/new/*' | wc -l)
expected=$((2 * (runs + warmup)))
[ "$delivered" = "$expected" ] ||
    { echo "deliver.sh: $delivered messages delivered, expected $expected" >&2; exit 1; }

echo "hyperfine $(hyperfine --version | cut -d' ' -f2), $mode mode, $runs runs after $warmup warmups; $(nproc) cores; $delivered messages delivered"
python3 - "$work" "$mode" <<'PY'
import json, sys
work, mode = sys.argv[1], sys.argv[2]
def load(name):
    return json.load(open(f"{work}/{name}.json"))["results"][0]
shell = load("shell") if mode == "shell" else None
head = f"{'message':20} {'median':>9} {'mean':>17} {'min':>9} {'CPU':>9}"
if shell:
    head += f"   {'median less sh':>14} {'mean less sh':>12}"
print(head)
def ms(x):
    return f"{x * 1e3:6.2f} ms"
for name in ("invitation-outlook", "newsletter") + (("shell",) if shell else ()):
    r = load(name)
    label = "sh -c 'true < FILE'" if name == "shell" else name
    line = (f"{label:20} {ms(r['median']):>9} {ms(r['mean'])} ± {r['stddev'] * 1e3:4.2f} "
            f"{ms(r['min']):>9} {ms(r['user'] + r['system']):>9}")
    if shell and name != "shell":
        line += f"   {ms(r['median'] - shell['median']):>14} {ms(r['mean'] - shell['mean']):>12}"
    print(line)
PY
