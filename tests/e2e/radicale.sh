#!/usr/bin/env bash
# End-to-end test of the CalDAV store against a real Radicale.
#
# Radicale (PyPI, pinned below) runs on 127.0.0.1 on a free port with its
# storage, configuration and htpasswd user in a temp dir; a calendar is made
# with MKCALENDAR; then the store is exercised (`cargo test --test caldav`,
# its Radicale test selected by SIEVE_IMIP_RADICALE_URL): create, find by
# UID, update with the right ETag and a stale one, delete, eight concurrent
# writers; and the stored states are read back over CalDAV with curl.
# Radicale is stopped on exit, whatever happened.
#
# Needs python3 with pip and curl; no root. Run by hand with
#   bash tests/e2e/radicale.sh
# Environment: SIEVE_IMIP_RADICALE_KEEP=1 keeps the temp dir.
#
# Then, on the same server and calendar, a whole scheduling conversation
# (tests/e2e/conversation/, one `sieve-imip deliver` process per message
# with the [caldav] backend and processcalendar): Jane as attendee
# (invitation, update, stale update, cancellation) and as organizer
# (replies, a party crasher, a delegation, an older reply), each outcome,
# Maildir and stored state checked, and the CalDAV requests each delivery
# cost printed as a table (Radicale logs at info level so that its own
# count of requests is compared with the log line's).
#
# Each step is a function.
set -euo pipefail
cd "$(dirname "$0")/../.."

RADICALE_VERSION=3.9.0
CAL_USER=jane
CAL_PASSWORD=e2e-secret
CALENDAR=calendar

say() { echo "radicale e2e: $*" >&2; }
die() { echo "radicale e2e: error: $*" >&2; exit 1; }

WORK=""
RADICALE_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$RADICALE_PID" ] && kill -0 "$RADICALE_PID" 2>/dev/null; then
    kill "$RADICALE_PID"
    wait "$RADICALE_PID" 2>/dev/null
  fi
  if [ "$rc" != 0 ] && [ -n "$WORK" ] && [ -f "$WORK/radicale.log" ]; then
    say "last lines of the Radicale log:"
    tail -n 30 "$WORK/radicale.log" >&2
  fi
  if [ "${SIEVE_IMIP_RADICALE_KEEP:-}" = 1 ]; then
    say "kept $WORK (SIEVE_IMIP_RADICALE_KEEP=1)"
  elif [ -n "$WORK" ]; then
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT

install_radicale() {
  if python3 -c "import radicale, sys; sys.exit(radicale.VERSION != '$RADICALE_VERSION')" 2>/dev/null; then
    return
  fi
  say "installing radicale $RADICALE_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "radicale==$RADICALE_VERSION" >/dev/null \
    || die "could not install radicale $RADICALE_VERSION from PyPI"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts Radicale on $PORT (a free port the first time; the same port on a
# restart, so the configured URL stays right), its log appended to.
start_radicale() {
  PORT=${PORT:-$(free_port)}
  mkdir -p "$WORK/storage"
  printf '%s:%s\n' "$CAL_USER" "$CAL_PASSWORD" >"$WORK/htpasswd"
  printf '%s\n' "$CAL_PASSWORD" >"$WORK/password"
  chmod 600 "$WORK/htpasswd" "$WORK/password"
  cat >"$WORK/radicale.conf" <<EOF
[server]
hosts = 127.0.0.1:$PORT

[auth]
type = htpasswd
htpasswd_filename = $WORK/htpasswd
htpasswd_encryption = plain

[rights]
type = owner_only

[storage]
filesystem_folder = $WORK/storage

[logging]
level = info
EOF
  python3 -m radicale --config "$WORK/radicale.conf" >>"$WORK/radicale.log" 2>&1 &
  RADICALE_PID=$!
  HOME_URL="http://127.0.0.1:$PORT/$CAL_USER/"
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null -u "$CAL_USER:$CAL_PASSWORD" "$HOME_URL"; then
      say "Radicale $RADICALE_VERSION on 127.0.0.1:$PORT"
      return
    fi
    kill -0 "$RADICALE_PID" 2>/dev/null || die "Radicale exited at start"
    sleep 0.2
  done
  die "Radicale did not answer on 127.0.0.1:$PORT"
}

# A request to the server: dav METHOD PATH [BODY-FILE] [HEADER...]; prints
# the body, fails on an HTTP error.
dav() {
  local method=$1 path=$2 body=${3:-}
  shift 3 || shift $#
  local args=(-s -S --fail -u "$CAL_USER:$CAL_PASSWORD" -X "$method")
  [ -n "$body" ] && args+=(--data-binary "@$body" -H "Content-Type: application/xml; charset=utf-8")
  for header in "$@"; do args+=(-H "$header"); done
  curl "${args[@]}" "http://127.0.0.1:$PORT$path"
}

make_calendar() {
  cat >"$WORK/mkcalendar.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>Calendar</D:displayname></D:prop></D:set>
</C:mkcalendar>
EOF
  # Radicale makes the principal's collection on the first authenticated request.
  dav PROPFIND "/$CAL_USER/" "" "Depth: 0" >/dev/null
  dav MKCALENDAR "/$CAL_USER/$CALENDAR/" "$WORK/mkcalendar.xml" >/dev/null
}

run_store_test() {
  SIEVE_IMIP_RADICALE_URL="$HOME_URL" \
  SIEVE_IMIP_RADICALE_USER="$CAL_USER" \
  SIEVE_IMIP_RADICALE_PASSWORD_FILE="$WORK/password" \
  SIEVE_IMIP_REQUIRE_RADICALE=1 \
    cargo test --locked --quiet --test caldav -- --nocapture radicale_ 2>&1 | tee "$WORK/caldav-test.log" >&2
  [ "${PIPESTATUS[0]}" = 0 ] || die "the CalDAV store test failed"
  grep -q "CalDAV round trips on Radicale" "$WORK/caldav-test.log" || die "the Radicale test did not run"
}

# What the server holds after the store test, read with curl, not the store.
check_stored_states() {
  local item="/$CAL_USER/$CALENDAR/kept@example.com.ics"
  dav GET "$item" >"$WORK/kept.ics" || die "GET $item failed"
  for n in 0 1 2 3 4 5 6 7; do
    grep -q "mailto:guest$n@example.org" "$WORK/kept.ics" || die "guest$n's update was lost"
  done
  if dav GET "/$CAL_USER/$CALENDAR/cycle@example.com.ics" >/dev/null 2>&1; then
    die "the deleted event is still there"
  fi
  cat >"$WORK/query.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>
EOF
  local hrefs
  hrefs=$(dav REPORT "/$CAL_USER/$CALENDAR/" "$WORK/query.xml" "Depth: 1" | grep -o '<[^>]*href>[^<]*' | sed 's/.*>//; s/%40/@/g')
  [ "$hrefs" = "/$CAL_USER/$CALENDAR/kept@example.com.ics" ] \
    || die "the calendar holds other items than the kept event: $hrefs"
}

# --- the processcalendar conversation through `sieve-imip deliver` ---------
#
# Each message of tests/e2e/conversation/ (numbered in order) is delivered
# by its own `sieve-imip deliver` process, as an MTA runs it, with the
# [caldav] backend on this server and tests/e2e/conversation.sieve; after
# each, the exit code, the log line's processcalendar outcome, the Maildir
# and the event as the server holds it (read with curl) are checked.

CONVERSATION=tests/e2e/conversation
JANE=jane@example.com
NOW=2026-11-20T12:00:00Z
# A REQUEST or REPLY that changes the calendar: one REPORT and one PUT.
MAX_TRIPS_CHANGED=2
TRIPS_TABLE=()

build_binary() {
  cargo build --locked --quiet --bin sieve-imip >&2 || die "cargo build failed"
  BIN=$PWD/target/debug/sieve-imip
  [ -x "$BIN" ] || die "no binary at $BIN"
}

# The configuration `deliver` reads: credentials only in the password file;
# the calendar named, so opening the store costs no PROPFIND and the
# per-message count is what the message cost. `required`: a server that
# fails is a deferral (exit 75), which the checks below see.
write_deliver_config() {
  cat >"$WORK/deliver.toml" <<EOF
[caldav]
url = "$HOME_URL"
user = "$CAL_USER"
password_file = "$WORK/password"
calendars = ["$CALENDAR"]
required = true
EOF
  grep -v '^calendars = ' "$WORK/deliver.toml" >"$WORK/deliver-listing.toml"
  DELIVER_CONFIG=$WORK/deliver.toml
  OPEN_TRIPS=0
}

# Jane's client stores the event she organizes before anyone answers.
put_organizer_copy() {
  local item="/$CAL_USER/$CALENDAR/review@example.com.ics"
  curl -s -S --fail -u "$CAL_USER:$CAL_PASSWORD" -X PUT \
    -H "If-None-Match: *" -H "Content-Type: text/calendar; charset=utf-8" \
    --data-binary "@$CONVERSATION/review-organizer-copy.ics" \
    "http://127.0.0.1:$PORT$item" >/dev/null || die "PUT $item failed"
}

# Every event of the calendar, read with one calendar-query REPORT (the
# store chose the hrefs): $WORK/items/UID.ics (unfolded) and UID.etag per
# item, and $WORK/items.tsv with "UID<TAB>href" lines, sorted.
read_calendar() {
  cat >"$WORK/all.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>
EOF
  dav REPORT "/$CAL_USER/$CALENDAR/" "$WORK/all.xml" "Depth: 1" >"$WORK/all.answer" \
    || die "REPORT on the calendar failed"
  rm -rf "$WORK/items"
  mkdir -p "$WORK/items"
  python3 - "$WORK/all.answer" "$WORK/items" >"$WORK/items.tsv" <<'EOF' || die "cannot read the REPORT answer"
import os, sys, xml.etree.ElementTree as ET
answer, folder = sys.argv[1], sys.argv[2]
ns = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}
rows = []
for response in ET.parse(answer).getroot().findall("D:response", ns):
    href = response.findtext("D:href", "", ns)
    etag = response.findtext(".//D:getetag", "", ns)
    lines = []
    for line in response.findtext(".//C:calendar-data", "", ns).replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
    uids = sorted({line[4:] for line in lines if line.startswith("UID:")})
    if len(uids) != 1:
        sys.exit(f"{href}: {len(uids)} UIDs")
    uid = uids[0]
    if os.path.exists(os.path.join(folder, uid + ".ics")):
        sys.exit(f"UID {uid} is stored twice")
    with open(os.path.join(folder, uid + ".ics"), "w") as out:
        out.write("\n".join(lines) + "\n")
    with open(os.path.join(folder, uid + ".etag"), "w") as out:
        out.write(etag + "\n")
    rows.append(f"{uid}\t{href.replace('%40', '@')}")
print("\n".join(sorted(rows)))
EOF
}

# The stored text of UID (unfolded), read from the server now.
stored() {
  read_calendar
  [ -f "$WORK/items/$1.ics" ] || die "UID $1 is not on the server"
  cat "$WORK/items/$1.ics"
}

etag_of() {
  read_calendar
  cat "$WORK/items/$1.etag" 2>/dev/null || die "UID $1 is not on the server"
}

# expect_stored UID WHAT PATTERN: a line of the stored copy matches the
# (extended) regular expression.
expect_stored() {
  local uid=$1 what=$2 pattern=$3
  stored "$uid" | grep -q -E "$pattern" \
    || die "$what: the server copy of $uid has no line matching $pattern:
$(cat "$WORK/items/$uid.ics")"
}

refuse_stored() {
  local uid=$1 what=$2 pattern=$3
  if stored "$uid" | grep -q -E "$pattern"; then
    die "$what: the server copy of $uid has a line matching $pattern"
  fi
}

# The stored ATTENDEE line of ADDRESS in UID.
attendee_line() {
  stored "$1" | grep -E "^ATTENDEE[;:].*:mailto:$2\$" || true
}

# deliver_message FILE OUTCOME [LABEL]: one `sieve-imip deliver` process with FILE
# on stdin, as an MTA runs it. Checks its exit code, its log line (the
# message's own, with processcalendar=OUTCOME) and that the message landed
# in the Maildir once: INBOX (the implicit keep) when the calendar changed,
# Calendar/Unprocessed otherwise. Sets REASON and notes the round trips.
DELIVERED=0
deliver_message() {
  local name=$1 want=$2 label=${3:-$1}
  local file=$CONVERSATION/$name
  [ -f "$file" ] || die "no message $file"
  local sender msgid
  sender=$(sed -n 's/^From:.*<\([^>]*\)>.*/\1/p' "$file" | head -n 1)
  msgid=$(sed -n 's/^Message-ID: *\(<[^>]*>\).*/\1/p' "$file" | head -n 1)
  [ -n "$sender" ] && [ -n "$msgid" ] || die "$name: no From or Message-ID"
  local lines_before=0 rc=0 served_before
  [ -f "$WORK/deliver.log" ] && lines_before=$(wc -l <"$WORK/deliver.log")
  served_before=$(served)
  "$BIN" deliver --maildir "$WORK/Maildir" --config "$DELIVER_CONFIG" \
    --sender "$sender" --recipient "$JANE" --now "$NOW" --log "$WORK/deliver.log" \
    "$PWD/tests/e2e/conversation.sieve" <"$file" 2>"$WORK/deliver.stderr" || rc=$?
  [ "$rc" = 0 ] || die "$name: deliver exited $rc: $(cat "$WORK/deliver.stderr")"
  [ "$(wc -l <"$WORK/deliver.log")" = $((lines_before + 1)) ] || die "$name: not one log line"
  local line
  line=$(tail -n 1 "$WORK/deliver.log")
  LAST_LINE=$line
  say "$name: $line"
  case "$line" in
    *" message-id=$msgid "* | "sieve-imip deliver: message-id=$msgid "*) ;;
    *) die "$name: the log line is not this message's: $line" ;;
  esac
  case "$line" in *" status=delivered "*) ;; *) die "$name: not delivered: $line" ;; esac
  case "$line" in *" note="*) die "$name: a note in the log line: $line" ;; esac
  local got method trips
  got=$(sed -n 's/.* processcalendar=\([a-z_]*\).*/\1/p' <<<"$line")
  method=$(sed -n 's/.* imip=yes method=\([A-Z]*\).*/\1/p' <<<"$line")
  trips=$(sed -n 's/.* calendar-round-trips=\([0-9]*\).*/\1/p' <<<"$line")
  REASON=$(sed -n 's/.* processcalendar-reason="\([^"]*\)".*/\1/p' <<<"$line")
  [ "$got" = "$want" ] || die "$name: processcalendar=$got, expected $want: $line"
  [ -n "$trips" ] || die "$name: no calendar-round-trips in the log line: $line"
  # What the server saw of this process: the run's requests, and the
  # PROPFIND of opening when the calendars are not named.
  local seen=$(($(served) - served_before))
  [ "$seen" = $((trips + OPEN_TRIPS)) ] \
    || die "$name: Radicale received $seen requests, the log line says $trips (+$OPEN_TRIPS to open the store)"
  local folder="$WORK/Maildir/.Calendar.Unprocessed"
  case "$want" in added | updated) folder="$WORK/Maildir" ;; esac
  grep -l -F -x "Message-ID: $msgid"$'\r' "$folder"/new/* >/dev/null 2>&1 \
    || grep -l -F -x "Message-ID: $msgid" "$folder"/new/* >/dev/null 2>&1 \
    || die "$name: not in $folder"
  DELIVERED=$((DELIVERED + 1))
  local stored_messages
  stored_messages=$(find "$WORK/Maildir" -path '*/new/*' -type f | wc -l)
  [ "$stored_messages" = "$DELIVERED" ] \
    || die "$name: the Maildir holds $stored_messages messages after $DELIVERED deliveries"
  case "$method/$want" in
    REQUEST/added | REQUEST/updated | REPLY/updated)
      [ "$trips" -le "$MAX_TRIPS_CHANGED" ] \
        || die "$name: a $method that changed the calendar cost $trips CalDAV requests (at most $MAX_TRIPS_CHANGED: one REPORT, one PUT)"
      ;;
  esac
  TRIPS_TABLE+=("$(printf '%-38s %-8s %-10s %-6s %s' "$label" "$method" "$got" "$trips" "$seen")")
}

# Requests Radicale logged from sieve-imip so far (its log level is info:
# one line per request, with the user agent).
served() {
  grep -c "received from 127.0.0.1 using 'sieve-imip/" "$WORK/radicale.log" || true
}

# expect_reason WHAT TEXT: the last delivery's reason names TEXT.
expect_reason() {
  grep -q -i -E "$2" <<<"$REASON" || die "$1: the reason does not say $2: $REASON"
}

run_deliver_conversation() {
  build_binary
  write_deliver_config
  mkdir -p "$WORK/Maildir"
  local planning=planning@example.com review=review@example.com before

  # Jane as an ATTENDEE of alice@example.com's event.
  deliver_message 01-request-seq0.eml added
  expect_stored "$planning" "01" '^DTSTART:20261201T100000Z$'
  expect_stored "$planning" "01" '^SEQUENCE:0$'

  deliver_message 02-request-seq1-moved.eml updated
  expect_stored "$planning" "02" '^DTSTART:20261201T140000Z$'
  expect_stored "$planning" "02" '^SEQUENCE:1$'
  refuse_stored "$planning" "02" '^DTSTART:20261201T100000Z$'

  before=$(etag_of "$planning")
  deliver_message 03-request-seq0-late.eml no_action
  expect_reason "03" 'stale|older'
  [ "$(etag_of "$planning")" = "$before" ] || die "03: the stale REQUEST changed the server copy"
  expect_stored "$planning" "03" '^DTSTART:20261201T140000Z$'

  # Jane as ORGANIZER of her own event, which her client stored first.
  put_organizer_copy
  deliver_message 04-reply-bob-accepted.eml updated
  attendee_line "$review" bob@example.org | grep -q 'PARTSTAT=ACCEPTED' \
    || die "04: bob is not ACCEPTED: $(attendee_line "$review" bob@example.org)"

  before=$(etag_of "$review")
  deliver_message 05-reply-eve-crasher.eml no_action
  expect_reason "05" 'party-crash'
  [ "$(etag_of "$review")" = "$before" ] || die "05: the party crasher's REPLY changed the server copy"
  refuse_stored "$review" "05" 'eve@example.net'

  deliver_message 06-reply-dave-delegated.eml updated
  attendee_line "$review" dave@example.net | grep -q 'PARTSTAT=DELEGATED' \
    || die "06: dave is not DELEGATED: $(attendee_line "$review" dave@example.net)"
  attendee_line "$review" dave@example.net | grep -q 'DELEGATED-TO="mailto:carol@example.org"' \
    || die "06: dave's line does not name carol: $(attendee_line "$review" dave@example.net)"

  deliver_message 07-reply-carol-delegate-accepted.eml updated
  # The stored copy holds dave's DELEGATED-TO: the delegation is confirmed.
  case "$LAST_LINE" in *" risk=0 reasons=- "*) ;; *) die "07: the delegate's reply has findings: $LAST_LINE" ;; esac
  attendee_line "$review" carol@example.org | grep -q 'PARTSTAT=ACCEPTED' \
    || die "07: carol is not ACCEPTED: $(attendee_line "$review" carol@example.org)"
  attendee_line "$review" carol@example.org | grep -q 'DELEGATED-FROM="mailto:dave@example.net"' \
    || die "07: carol's line has no DELEGATED-FROM: $(attendee_line "$review" carol@example.org)"

  before=$(etag_of "$review")
  deliver_message 08-reply-bob-older-declined.eml no_action
  expect_reason "08" 'older'
  [ "$(etag_of "$review")" = "$before" ] || die "08: the older REPLY changed the server copy"
  attendee_line "$review" bob@example.org | grep -q 'PARTSTAT=ACCEPTED' \
    || die "08: bob is no longer ACCEPTED: $(attendee_line "$review" bob@example.org)"

  # Back to alice's event: she cancels it.
  deliver_message 09-cancel-seq2.eml updated
  expect_stored "$planning" "09" '^STATUS:CANCELLED$'
  expect_stored "$planning" "09" '^SEQUENCE:2$'

  # Without `calendars`, opening the store lists the home first: the same
  # stale REQUEST costs the server one PROPFIND more, which the log line
  # (the scripts' run) does not count.
  DELIVER_CONFIG=$WORK/deliver-listing.toml
  OPEN_TRIPS=1
  deliver_message 03-request-seq0-late.eml no_action "03 again, calendars not named"
  expect_reason "03 again" 'stale|older'

  # The calendar holds the store test's event and the two of the
  # conversation, each once, under the hrefs the store chose.
  read_calendar
  local want
  want=$(printf '%s\t%s\n' \
    kept@example.com "/$CAL_USER/$CALENDAR/kept@example.com.ics" \
    "$planning" "/$CAL_USER/$CALENDAR/$planning.ics" \
    "$review" "/$CAL_USER/$CALENDAR/$review.ics" | sort)
  [ "$(cat "$WORK/items.tsv")" = "$want" ] \
    || die "the calendar holds other items than expected:
$(cat "$WORK/items.tsv")"

  say "CalDAV requests per delivery: 'logged' is the log line's calendar-round-trips (the scripts' run),"
  say "'server' what Radicale received from the process (with calendars = [\"$CALENDAR\"] opening costs none)"
  printf '%-38s %-8s %-10s %-6s %s\n' message method outcome logged server >&2
  printf '%s\n' "${TRIPS_TABLE[@]}" >&2
}

# --- eight answers at once, and the server going away -----------------------

# A REPLY from GUEST (accepting jane's stand-up), as an attendee's client
# sends it, written to $WORK/replies/GUEST.eml with CRLF line ends.
write_guest_reply() {
  local guest=$1
  mkdir -p "$WORK/replies"
  sed 's/$/\r/' >"$WORK/replies/$guest.eml" <<EOF
From: <$guest>
To: Jane Doe <jane@example.com>
Subject: Accepted: Stand-up
Date: Fri, 20 Nov 2026 10:00:00 +0000
Message-ID: <standup-reply-$guest>
MIME-Version: 1.0
Content-Type: text/calendar; charset=utf-8; method=REPLY

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Org//Webmail Calendar 2.1//EN
METHOD:REPLY
BEGIN:VEVENT
UID:standup@example.com
SEQUENCE:0
DTSTAMP:20261120T100000Z
DTSTART:20261207T090000Z
DTEND:20261207T091500Z
SUMMARY:Stand-up
ORGANIZER;CN=Jane Doe:mailto:jane@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:$guest
END:VEVENT
END:VCALENDAR
EOF
}

# Jane's stand-up with eight guests, stored by her client; their eight
# REPLYs are delivered by eight `deliver` processes at once. Each reads
# the event, sets its guest's PARTSTAT and writes with If-Match; a process
# that lost the race gets 412 and retries on a fresh copy. All eight
# answers must be on the server.
run_concurrent_replies() {
  local guests=() n
  {
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Jane Doe//Desktop Calendar 7.3//EN\r\n'
    printf 'BEGIN:VEVENT\r\nUID:standup@example.com\r\nSEQUENCE:0\r\nDTSTAMP:20261119T150000Z\r\n'
    printf 'DTSTART:20261207T090000Z\r\nDTEND:20261207T091500Z\r\nSUMMARY:Stand-up\r\n'
    printf 'ORGANIZER;CN=Jane Doe:mailto:jane@example.com\r\n'
    for n in 0 1 2 3 4 5 6 7; do
      printf 'ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:guest%s@example.org\r\n' "$n"
    done
    printf 'END:VEVENT\r\nEND:VCALENDAR\r\n'
  } >"$WORK/standup.ics"
  for n in 0 1 2 3 4 5 6 7; do
    guests+=("guest$n@example.org")
    write_guest_reply "guest$n@example.org"
  done
  curl -s -S --fail -u "$CAL_USER:$CAL_PASSWORD" -X PUT \
    -H "If-None-Match: *" -H "Content-Type: text/calendar; charset=utf-8" \
    --data-binary "@$WORK/standup.ics" \
    "http://127.0.0.1:$PORT/$CAL_USER/$CALENDAR/standup@example.com.ics" >/dev/null \
    || die "PUT of the stand-up failed"
  mkdir -p "$WORK/Maildir-concurrent"
  local pids=() guest
  for guest in "${guests[@]}"; do
    "$BIN" deliver --maildir "$WORK/Maildir-concurrent" --config "$WORK/deliver.toml" \
      --sender "$guest" --recipient "$JANE" --now "$NOW" --log "$WORK/concurrent.log" \
      "$PWD/tests/e2e/conversation.sieve" <"$WORK/replies/$guest.eml" 2>>"$WORK/concurrent.stderr" &
    pids+=("$!")
  done
  local failed=0 pid
  for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  [ "$failed" = 0 ] || die "$failed of the concurrent deliveries failed: $(cat "$WORK/concurrent.stderr")"
  [ "$(grep -c ' processcalendar=updated ' "$WORK/concurrent.log")" = 8 ] \
    || die "not every concurrent reply was applied:
$(cat "$WORK/concurrent.log")"
  [ "$(find "$WORK/Maildir-concurrent/new" -type f | wc -l)" = 8 ] \
    || die "the concurrent deliveries did not store eight messages"
  for guest in "${guests[@]}"; do
    attendee_line standup@example.com "$guest" | grep -q 'PARTSTAT=ACCEPTED' \
      || die "$guest's answer was lost: $(attendee_line standup@example.com "$guest")"
  done
  local trips
  trips=$(sed -n 's/.* calendar-round-trips=\([0-9]*\).*/\1/p' "$WORK/concurrent.log" | sort -n | tr '\n' ' ')
  say "eight concurrent REPLYs: all applied; CalDAV requests per delivery: $trips(above 2: a lost race, retried after 412)"
}

# Radicale stops. A delivery with `required = true` exits 75 and stores
# nothing (the MTA keeps the message and retries); without it, the message
# is delivered and the log says the calendar step failed. Radicale comes
# back on the same port, and the retried delivery adds the event.
run_server_down() {
  local file=$WORK/outage.eml
  sed 's/$/\r/' >"$file" <<'EOF'
From: Alice Smith <alice@example.com>
To: Jane Doe <jane@example.com>
Subject: Invitation: Retro
Date: Fri, 20 Nov 2026 11:00:00 +0000
Message-ID: <retro-0@example.com>
MIME-Version: 1.0
Content-Type: text/calendar; charset=utf-8; method=REQUEST

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Com//Calendar 5.0//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:retro@example.com
SEQUENCE:0
DTSTAMP:20261120T110000Z
DTSTART:20261210T160000Z
DTEND:20261210T170000Z
SUMMARY:Retro
ORGANIZER;CN=Alice Smith:mailto:alice@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com
ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:jane@example.com
END:VEVENT
END:VCALENDAR
EOF
  kill "$RADICALE_PID"
  wait "$RADICALE_PID" 2>/dev/null || true
  RADICALE_PID=""
  local maildir=$WORK/Maildir-outage rc=0
  "$BIN" deliver --maildir "$maildir" --config "$WORK/deliver.toml" --recipient "$JANE" --now "$NOW" \
    --log "$WORK/outage.log" "$PWD/tests/e2e/conversation.sieve" <"$file" 2>/dev/null || rc=$?
  [ "$rc" = 75 ] || die "server down, required: deliver exited $rc, not 75"
  [ -z "$(find "$maildir" -type f 2>/dev/null)" ] || die "server down, required: a message was stored"
  grep -q 'status=deferred' "$WORK/outage.log" || die "server down, required: the log line does not say deferred"

  grep -v '^required = ' "$WORK/deliver.toml" >"$WORK/deliver-optional.toml"
  rc=0
  "$BIN" deliver --maildir "$maildir" --config "$WORK/deliver-optional.toml" --recipient "$JANE" --now "$NOW" \
    --log "$WORK/outage.log" "$PWD/tests/e2e/conversation.sieve" <"$file" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || die "server down, not required: deliver exited $rc, not 0"
  [ "$(find "$maildir" -path '*/new/*' -type f | wc -l)" = 1 ] || die "server down, not required: the message was not stored once"
  tail -n 1 "$WORK/outage.log" | grep -q 'calendar store unavailable' \
    || die "server down, not required: the log line does not say why: $(tail -n 1 "$WORK/outage.log")"
  rm -rf "$maildir"

  start_radicale
  rc=0
  "$BIN" deliver --maildir "$maildir" --config "$WORK/deliver.toml" --recipient "$JANE" --now "$NOW" \
    --log "$WORK/outage.log" "$PWD/tests/e2e/conversation.sieve" <"$file" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || die "server back: deliver exited $rc"
  tail -n 1 "$WORK/outage.log" | grep -q ' processcalendar=added ' \
    || die "server back: the retried invitation was not added: $(tail -n 1 "$WORK/outage.log")"
  expect_stored retro@example.com "server back" '^SUMMARY:Retro$'
  say "server down: required deferred (75, nothing stored), optional delivered with the reason logged; back: added"
}

# A task (VTODO) assigned to jane, then updated: the store's lookup is a
# VEVENT query, so the update finds the stored task by its name when the
# create is refused (412), and updates it.
write_task() {
  local sequence=$1 due=$2
  sed 's/$/\r/' >"$WORK/task-$sequence.eml" <<EOF
From: Alice Smith <alice@example.com>
To: Jane Doe <jane@example.com>
Subject: Task: Budget figures
Date: Fri, 20 Nov 2026 11:30:00 +0000
Message-ID: <task-$sequence@example.com>
MIME-Version: 1.0
Content-Type: text/calendar; charset=utf-8; method=REQUEST

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Com//Calendar 5.0//EN
METHOD:REQUEST
BEGIN:VTODO
UID:budget-task@example.com
SEQUENCE:$sequence
DTSTAMP:20261120T11${sequence}000Z
DUE:$due
SUMMARY:Budget figures
ORGANIZER;CN=Alice Smith:mailto:alice@example.com
ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:jane@example.com
END:VTODO
END:VCALENDAR
EOF
}

run_task_updates() {
  write_task 0 20261211T170000Z
  write_task 1 20261218T170000Z
  mkdir -p "$WORK/Maildir-tasks"
  local sequence want line
  for sequence in 0 1; do
    want=added
    [ "$sequence" = 1 ] && want=updated
    "$BIN" deliver --maildir "$WORK/Maildir-tasks" --config "$WORK/deliver.toml" --recipient "$JANE" --now "$NOW" \
      --log "$WORK/tasks.log" "$PWD/tests/e2e/conversation.sieve" <"$WORK/task-$sequence.eml" 2>/dev/null \
      || die "task $sequence: deliver failed"
    line=$(tail -n 1 "$WORK/tasks.log")
    case "$line" in *" processcalendar=$want "*) ;; *) die "task $sequence: not $want: $line" ;; esac
  done
  local item="/$CAL_USER/$CALENDAR/budget-task@example.com.ics"
  dav GET "$item" | tr -d '\r' | grep -q '^DUE:20261218T170000Z$' || die "the task's update is not on the server"
  say "a task added, then updated (found by its name after the create was refused)"
}

started=$(date +%s)
command -v curl >/dev/null 2>&1 || die "curl is needed"
install_radicale
WORK=$(mktemp -d /tmp/sieve-imip-radicale.XXXXXX)
start_radicale
make_calendar
run_store_test
check_stored_states
run_deliver_conversation
run_concurrent_replies
run_task_updates
run_server_down
say "passed in $(( $(date +%s) - started ))s"
