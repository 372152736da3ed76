#!/usr/bin/env bash
# Records what the command says about every input the project has, so a
# change meant to keep behaviour can be checked byte for byte:
#   bash scripts/record_outputs.sh BIN OUTDIR     (BIN: a sieve-imip binary)
# then `diff -r` two OUTDIRs. It writes analyze --json for every fixture,
# sample and ../shared/corpus message (plain, and with a recipient, a
# trusted authserv-id and the fixture calendar store), and test --json for
# every example script on every sample and corpus message; all at a fixed
# clock.
set -u
bin=$1
out=$2
cd "$(dirname "$0")/.."
mkdir -p "$out"
now=2026-11-20T12:00:00Z
inputs=$( (find tests/fixtures -type f \( -name '*.eml' -o -name '*.ics' \); ls samples/*.eml; ls ../shared/corpus/*.eml 2>/dev/null) | sort)
: > "$out/analyze.jsonl"; : > "$out/analyze-opts.jsonl"; : > "$out/test.jsonl"
for f in $inputs; do
  "$bin" analyze --json --now $now "$f" >> "$out/analyze.jsonl" 2>&1; echo "rc=$?" >> "$out/analyze.jsonl"
  "$bin" analyze --json --now $now --recipient bob@example.org --trust-authserv mx.example.org \
    --calendar tests/fixtures/calendar-store "$f" >> "$out/analyze-opts.jsonl" 2>&1
  echo "rc=$?" >> "$out/analyze-opts.jsonl"
done
for s in scripts-examples/*.sieve; do
  for f in samples/*.eml $(ls ../shared/corpus/*.eml 2>/dev/null); do
    "$bin" test --json --now $now "$s" "$f" >> "$out/test.jsonl" 2>&1; echo "rc=$?" >> "$out/test.jsonl"
  done
done
wc -l "$out"/*
