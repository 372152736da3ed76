#!/usr/bin/env bash
# Instructions per message of `sieve-imip filter --jobs 1` with the imip
# script against the plain MIME-header script, counted by callgrind:
# repeatable whatever else the machine is doing, unlike wall-clock time.
# Usage: bash scripts/bench/filter_instructions.sh [COUNT]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flock /tmp/cargo-build.lock cargo build --release -q
python3 scripts/make_mailbox.py --count "$count" "$work/store" >/dev/null
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    target/release/sieve-imip filter --jobs 1 --now 2026-11-20T12:00:00Z "$1" "$2" \
    2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-8s %-8s %14s %12s\n' store script instructions per-message
for store in mailbox.mbox Maildir; do
  declare -A total=()
  for script in plain imip; do
    total[$script]=$(instructions "benches/scripts/filter-$script.sieve" "$work/store/$store")
    printf '%-8s %-8s %14s %12s\n' "${store%%.*}" "$script" "${total[$script]}" "$(( total[$script] / count ))"
  done
  echo "  imip throughput relative to plain: $(python3 -c "print(f'{${total[plain]}/${total[imip]}:.1%}')")"
done
