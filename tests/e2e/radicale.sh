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
# Each step is a function; the `processcalendar` conversation through
# `sieve-imip deliver` with the [caldav] backend goes in as one more step
# (run_deliver_conversation, below) on the same server and calendar.
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

start_radicale() {
  PORT=$(free_port)
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
level = warning
EOF
  python3 -m radicale --config "$WORK/radicale.conf" >"$WORK/radicale.log" 2>&1 &
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

# To come with the processcalendar action: the conversation (invitation,
# update, stale update, reply, crasher, delegation, cancellation) through
# `sieve-imip deliver --config` with [caldav] url = "$HOME_URL", and each
# stored state read back as in check_stored_states.
run_deliver_conversation() {
  :
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
say "passed in $(( $(date +%s) - started ))s"
