#!/usr/bin/env bash
# End-to-end test of `sieve-imip deliver` behind a real Postfix.
#
# A private Postfix instance (its own config, queue and log under a temp
# dir; /etc/postfix is not touched) listens on 127.0.0.1:PORT and delivers
# to a throw-away local user through mailbox_command = sieve-imip deliver,
# with tests/e2e/global.sieve before tests/e2e/user.sieve. The messages of
# tests/e2e/expected.tsv go in over SMTP; each must land exactly once in its
# folder (or, for one the user script rejects, be bounced by Postfix on
# deliver's exit code 77), and the deliver log must have one line per message.
#
# Needs root (installs Postfix if absent, adds a user). Run by hand with
#   SIEVE_IMIP_E2E=1 bash tests/e2e/postfix.sh
# Environment: SIEVE_IMIP_E2E_PORT (default 2525), SIEVE_IMIP_E2E_KEEP=1
# keeps the temp dir (and the user) for a look after the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/sbin:/sbin"

E2E=tests/e2e
PORT=${SIEVE_IMIP_E2E_PORT:-2525}
MAIL_USER=imiptest
# Written into the user's GECOS field, so a user left behind by a killed
# run is recognised and replaced, and nobody else's account is ever removed.
USER_MARKER="sieve-imip e2e test user"
NOW=2026-11-20T12:00:00Z
SENDER=alice@example.com
RECIPIENT="$MAIL_USER@localhost"
started=$(date +%s)

say() { echo "e2e: $*" >&2; }
die() { echo "e2e: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root: it installs Postfix and adds a local user"

WORK=""
CONF=""
user_created=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$CONF" ] && [ -f "$CONF/main.cf" ] && postfix -c "$CONF" status >/dev/null 2>&1; then
    postfix -c "$CONF" stop >/dev/null 2>&1
  fi
  if [ "$rc" != 0 ] && [ -n "$WORK" ]; then
    [ -f "$WORK/maillog" ] && { say "last lines of the Postfix log:"; tail -n 30 "$WORK/maillog" >&2; }
    [ -f "$WORK/deliver.log" ] && { say "deliver log:"; cat "$WORK/deliver.log" >&2; }
  fi
  if [ "${SIEVE_IMIP_E2E_KEEP:-}" = 1 ]; then
    say "kept $WORK and user $MAIL_USER (SIEVE_IMIP_E2E_KEEP=1)"
  else
    [ -n "$user_created" ] && userdel -r "$MAIL_USER" >/dev/null 2>&1
    [ -n "$WORK" ] && rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT

port_open() {
  python3 - "$1" <<'EOF'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

# 1. The binary, readable and runnable by the mail user (the checkout may not be).
cargo build --release --locked --quiet
WORK=$(mktemp -d /tmp/sieve-imip-e2e.XXXXXX)
chmod 755 "$WORK"
mkdir "$WORK/bin" "$WORK/sieve" "$WORK/calendar" "$WORK/conf"
install -m 755 target/release/sieve-imip "$WORK/bin/sieve-imip"
install -m 644 "$E2E/global.sieve" "$E2E/user.sieve" "$WORK/sieve/"
cp -R tests/fixtures/calendar-store/. "$WORK/calendar/"
chmod -R a+rX "$WORK/calendar"
CONF="$WORK/conf"

# 2. Postfix (and python3, which sends the mail), from Debian's packages.
missing=()
command -v postfix >/dev/null 2>&1 || missing+=(postfix)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  printf '%s\n' "postfix postfix/main_mailer_type select Local only" \
    "postfix postfix/mailname string localhost" | debconf-set-selections
  flock /tmp/apt.lock apt-get update -qq
  DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 3. The local user whose Maildir receives the mail.
if getent passwd "$MAIL_USER" >/dev/null; then
  if [ "$(getent passwd "$MAIL_USER" | cut -d: -f5)" = "$USER_MARKER" ]; then
    say "removing $MAIL_USER left behind by an earlier run"
    userdel -r "$MAIL_USER" >/dev/null 2>&1 || true
  else
    die "a user $MAIL_USER exists and was not made by this test; not touching it"
  fi
fi
useradd -m -c "$USER_MARKER" -s /usr/sbin/nologin "$MAIL_USER"
user_created=1
MAIL_HOME=$(getent passwd "$MAIL_USER" | cut -d: -f6)
MAILDIR="$MAIL_HOME/Maildir"
install -m 600 -o "$MAIL_USER" /dev/null "$WORK/deliver.log"
# What mailbox_command will do, tried as the user first: a /tmp mounted
# noexec or a file the user cannot read fails here, not as a bounce.
runuser -u "$MAIL_USER" -- "$WORK/bin/sieve-imip" check "$WORK/sieve/global.sieve" "$WORK/sieve/user.sieve" \
  || die "$MAIL_USER cannot run $WORK/bin/sieve-imip on the scripts"

# 4. The private Postfix instance: loopback, IPv4, no TLS, no chroot, its
# own queue, and a log file (there may be no syslog).
port_open "$PORT" && die "127.0.0.1:$PORT is in use (another Postfix left running?); set SIEVE_IMIP_E2E_PORT"
cat >"$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $WORK/queue
data_directory = $WORK/data
myhostname = e2e.localhost
mydomain = localhost
myorigin = \$myhostname
mydestination = localhost, \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtputf8_enable = no
alias_maps =
alias_database =
local_recipient_maps = proxy:unix:passwd.byname
biff = no
maillog_file_prefixes = $WORK
maillog_file = $WORK/maillog
EOF
cat >"$CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$PORT inet n  -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

# mailbox_command is run by /bin/sh as the recipient, with HOME and SENDER
# set by local(8); Postfix does no \$name expansion on it.
MAILBOX_COMMAND="$WORK/bin/sieve-imip deliver --maildir=\"\$HOME/Maildir\""
MAILBOX_COMMAND+=" --before $WORK/sieve/global.sieve $WORK/sieve/user.sieve"
MAILBOX_COMMAND+=" --sender=\"\$SENDER\" --recipient bob@example.org"
MAILBOX_COMMAND+=" --calendar $WORK/calendar --now $NOW --log $WORK/deliver.log"
postconf -c "$CONF" -e "mailbox_command = $MAILBOX_COMMAND"
[ "$(postconf -c "$CONF" -h mailbox_command)" = "$MAILBOX_COMMAND" ] \
  || die "postconf did not store mailbox_command as given"

# Postfix wants its queue owned by root; `postfix check` makes the rest.
install -d -m 755 "$WORK/queue"
install -d -m 700 -o postfix "$WORK/data"
postfix -c "$CONF" check || die "postfix check failed on $CONF"
postfix -c "$CONF" start >/dev/null 2>&1 || die "postfix -c $CONF start failed"
for _ in $(seq 60); do
  port_open "$PORT" && break
  sleep 0.5
done
port_open "$PORT" || die "Postfix does not accept connections on 127.0.0.1:$PORT after 30 s"
say "Postfix $(postconf -c "$CONF" -h mail_version) listening on 127.0.0.1:$PORT, config $CONF"

# 6. The messages, over SMTP.
# Those the scripts reject go with the null sender, so Postfix drops the
# bounce instead of queueing it for a remote sender it cannot reach.
mapfile -t MESSAGES < <(grep -v '^#' "$E2E/expected.tsv" | grep . | cut -f1)
mapfile -t STORED < <(grep -v '^#' "$E2E/expected.tsv" | grep . | awk -F'\t' '$2 != "(rejected)" { print $1 }')
mapfile -t REJECTED < <(grep -v '^#' "$E2E/expected.tsv" | grep . | awk -F'\t' '$2 == "(rejected)" { print $1 }')
python3 "$E2E/smtp_send.py" 127.0.0.1 "$PORT" "$SENDER" "$RECIPIENT" "${STORED[@]}" >&2
if [ "${#REJECTED[@]}" -gt 0 ]; then
  python3 "$E2E/smtp_send.py" 127.0.0.1 "$PORT" "" "$RECIPIENT" "${REJECTED[@]}" >&2
fi

# 7. Wait until every message is delivered and the queue is empty (60 s),
# then check where each one landed.
delivered_count() {
  find "$MAILDIR" -type f \( -path '*/new/*' -o -path '*/cur/*' \) 2>/dev/null | wc -l
}
for _ in $(seq 120); do
  if [ "$(delivered_count)" -ge "${#STORED[@]}" ] \
    && postqueue -c "$CONF" -p 2>/dev/null | grep -q 'Mail queue is empty'; then
    break
  fi
  sleep 0.5
done
if ! postqueue -c "$CONF" -p 2>/dev/null | grep -q 'Mail queue is empty'; then
  say "still in the queue after 60 s:"
  postqueue -c "$CONF" -p >&2 || true
fi
result=0
python3 "$E2E/check_delivery.py" "$E2E/expected.tsv" "$MAILDIR" "$WORK/deliver.log" "$WORK/maillog" \
  || result=$?

# 8. Stop Postfix and make sure it is down.
postfix -c "$CONF" stop >/dev/null 2>&1 || die "postfix -c $CONF stop failed"
for _ in $(seq 40); do
  postfix -c "$CONF" status >/dev/null 2>&1 || break
  sleep 0.5
done
if postfix -c "$CONF" status >/dev/null 2>&1; then
  die "postfix -c $CONF status still reports it running after stop"
fi
port_open "$PORT" && die "127.0.0.1:$PORT still accepts connections after stop"
say "Postfix stopped"

[ "$result" = 0 ] || die "delivery does not match $E2E/expected.tsv (see above)"
say "passed: ${#MESSAGES[@]} messages through Postfix in $(($(date +%s) - started)) s"
