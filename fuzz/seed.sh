#!/usr/bin/env bash
# Build the seed corpora of the fuzz targets in fuzz/corpus/<target>/ (not
# committed: fuzz/.gitignore) from the project's own fixtures and samples,
# the kept regressions, and, when it is beside the checkout, the real mail
# of ../shared/corpus and the Sieve conformance scripts. Header targets get
# the values of those header fields, cut out of every message.
#
# Usage: bash fuzz/seed.sh    (from anywhere; re-running adds, never removes)
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
shared="$(dirname "$root")/shared"
corpus="$fuzz/corpus"

targets=(script engine mailbox calendar processcalendar calendar_flow msg_id authentication_results dkim_signature)
for target in "${targets[@]}"; do
  mkdir -p "$corpus/$target"
  if [ -d "$fuzz/regressions/$target" ]; then
    cp -f "$fuzz/regressions/$target"/* "$corpus/$target"/ 2>/dev/null || true
  fi
done

# Copy each file of a find(1) listing into a corpus, named after its path
# relative to $2 with a prefix, so that seeds from different places never
# overwrite each other.
copy_found() {
  local target="$1" base="$2" prefix="$3"
  shift 3
  [ -d "$base" ] || return 0
  find "$base" -type f "$@" -print0 | while IFS= read -r -d '' file; do
    local name="${file#"$base"/}"
    cp -f "$file" "$corpus/$target/$prefix-${name//\//_}"
  done
}

messages=(-name '*.eml')
copy_found engine "$root/tests/fixtures" fixture "${messages[@]}"
copy_found engine "$root/tests/e2e/messages" e2e "${messages[@]}"
copy_found engine "$root/samples" sample "${messages[@]}"
copy_found engine "$shared/corpus" shared "${messages[@]}"

copy_found calendar "$root/tests/fixtures" fixture -name '*.ics'
copy_found calendar "$root/tests/fixtures" fixture-message "${messages[@]}"

copy_found processcalendar "$root/tests/fixtures" fixture -name '*.ics'

# The action on a store: the messages the engine target gets, the
# conversations of the end-to-end tests first.
copy_found calendar_flow "$root/tests/e2e/conversation" conversation "${messages[@]}"
copy_found calendar_flow "$root/tests/fixtures" fixture "${messages[@]}"
copy_found calendar_flow "$root/samples" sample "${messages[@]}"
copy_found calendar_flow "$shared/corpus" shared "${messages[@]}"

# The mailbox target reads mbox files: any that are there (the samples,
# fixtures and ../shared hold none today), then mboxes built from the
# messages (each behind a `From ` line, body lines starting with `From `
# quoted as mboxrd does), a few per file in the order found, with LF and
# with CRLF separators.
copy_found mailbox "$root/samples" sample \( -name '*.mbox' -o -name 'mbox' \)
copy_found mailbox "$root/tests/fixtures" fixture \( -name '*.mbox' -o -name 'mbox' \)
copy_found mailbox "$shared/corpus" shared \( -name '*.mbox' -o -name 'mbox' \)
python3 - "$corpus" "$root" "$shared" <<'EOF_MBOX'
import os, re, sys

corpus, root, shared = sys.argv[1:4]
sources = [os.path.join(root, "samples"), os.path.join(root, "tests", "fixtures"),
           os.path.join(root, "tests", "e2e", "messages"), os.path.join(shared, "corpus")]
messages = []
for base in sources:
    for folder, _, names in sorted(os.walk(base)):
        for name in sorted(names):
            if name.endswith(".eml"):
                with open(os.path.join(folder, name), "rb") as f:
                    messages.append((name, f.read()))
quote = re.compile(rb"^(>*From )", re.M)
per_box = 4
for start in range(0, len(messages), per_box):
    group = messages[start:start + per_box]
    for ending in (b"\n", b"\r\n"):
        box = b""
        for name, raw in group:
            box += b"From sender@example.com Fri Nov 20 08:00:00 2026" + ending
            box += quote.sub(rb">\1", raw)
            if not raw.endswith(b"\n"):
                box += ending
            box += ending
        label = "crlf" if ending == b"\r\n" else "lf"
        out = os.path.join(corpus, "mailbox", f"built-{start // per_box:03d}-{label}.mbox")
        with open(out, "wb") as f:
            f.write(box)
EOF_MBOX

copy_found script "$root/scripts-examples" example -name '*.sieve'
copy_found script "$root/tests" test -name '*.sieve'
copy_found script "$shared/sieve-conformance" conformance \( -name '*.sieve' -o -name '*.svtest' \)

# The calendar target reads its input as fields, one a line (see
# src/fuzzing.rs): a few that set each field, from which mutations start.
cal="$corpus/calendar"
printf 'FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20271231T235959Z\n' >"$cal/fields-weekly-until"
printf 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1\n-\n-\n:20261130T170000Z\nPT30M\n' >"$cal/fields-monthly-setpos"
printf 'FREQ=YEARLY;BYWEEKNO=1,53;BYDAY=MO\n;VALUE=DATE:20270101\n;VALUE=DATE:20280103\n;VALUE=DATE:20261228\nP1D\n' >"$cal/fields-yearly-weekno-dates"
printf 'FREQ=HOURLY;INTERVAL=1;COUNT=10000\n;VALUE=PERIOD:20261201T000000Z/PT1H\n\n;TZID=Europe/Paris:20261201T000000\nPT1M\nFREQ=YEARLY;BYMONTH=11;BYDAY=1SU\n19700101T020000\n-0400\n-0500\nFREQ=YEARLY;BYMONTH=3;BYDAY=2SU\n19700101T020000\n-0500\n-0400\n' >"$cal/fields-hourly-every-field"

# Header field values (unfolded lines kept as they are, CRLF and all) for
# the header targets, from every message seeded above.
python3 - "$corpus" <<'EOF'
import email.parser, email.policy, os, sys

corpus = sys.argv[1]
wanted = {
    "message-id": "msg_id", "in-reply-to": "msg_id", "references": "msg_id",
    "content-id": "msg_id",
    "authentication-results": "authentication_results",
    "arc-authentication-results": "authentication_results",
    "dkim-signature": "dkim_signature",
}
parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
engine = os.path.join(corpus, "engine")
for name in sorted(os.listdir(engine)):
    with open(os.path.join(engine, name), "rb") as f:
        headers = parser.parse(f)
    for index, (field, value) in enumerate(headers.items()):
        target = wanted.get(field.lower())
        if target is None or not isinstance(value, str):
            continue
        # ARC results carry "i=N;" before the Authentication-Results value.
        if field.lower().startswith("arc-") and ";" in value:
            value = value.split(";", 1)[1]
        out = os.path.join(corpus, target, f"{name}-{index}")
        with open(out, "wb") as f:
            f.write(value.strip().encode("utf-8", "surrogateescape"))
EOF

for target in "${targets[@]}"; do
  printf '%-24s %5d seeds\n' "$target" "$(find "$corpus/$target" -type f | wc -l)"
done
