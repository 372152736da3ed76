#!/usr/bin/env bash
# sieve-imip filter next to Pigeonhole's sieve-filter (Dovecot) on the same
# 10,000-message Maildir (scripts/make_mailbox.py, 10% iMIP).
#
# Measured, each with hyperfine (mean of RUNS runs after 2 warmups):
#   sieve-filter (dry run, the default) with benches/scripts/filter-plain.sieve
#   sieve-imip filter --jobs 1 and --jobs 2 with filter-plain.sieve and filter-imip.sieve
# and printed as total time and time per message (total / 10,000).
#
# Sets everything up idempotently (dovecot-sieve and hyperfine from Debian if
# missing, an unprivileged user for Dovecot, which refuses to run as root, a
# Maildir owned by it, a minimal Dovecot config without a server) and removes
# the user (when this script created it) and its temporary files on exit;
# KEEP=1 keeps them.
#
# Usage (as root): bash scripts/bench/pigeonhole.sh
#   RUNS=N    runs per command (default 5)
#   USER_NAME (default sievebench), WORK (default /tmp/sieve-imip-pigeonhole)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${RUNS:-5}
user=${USER_NAME:-sievebench}
work=${WORK:-/tmp/sieve-imip-pigeonhole}
count=10000
now=2026-11-20T12:00:00Z
[ "$(id -u)" = 0 ] || { echo "pigeonhole.sh: run as root (it creates a user)" >&2; exit 1; }

# --- packages --------------------------------------------------------------
need=()
command -v sieve-filter >/dev/null || need+=(dovecot-sieve)
command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
    flock /tmp/apt.lock apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y -q "${need[@]}" >/dev/null
fi
dovecot_version=$(dovecot --version | cut -d' ' -f1)
pigeonhole_version=$(grep -a -o -m1 -E 'Pigeonhole Sieve [0-9.]+' \
    /usr/lib/dovecot/libdovecot-sieve.so.0 2>/dev/null | head -n1 || true)

# --- user and cleanup ------------------------------------------------------
created_user=0
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept $work and user $user" >&2
        return
    fi
    rm -rf "$work"
    if [ "$created_user" = 1 ]; then
        userdel -r "$user" 2>/dev/null || true
    fi
}
trap cleanup EXIT
if ! id "$user" >/dev/null 2>&1; then
    useradd -m -s /usr/sbin/nologin "$user"
    created_user=1
fi

# --- mail store (the same one both tools read) -----------------------------
rm -rf "$work"
mkdir -p "$work/run"
python3 scripts/make_mailbox.py "$work" --count "$count" >/dev/null
rm -f "$work/mailbox.mbox"
maildir=$work/Maildir
cp benches/scripts/filter-plain.sieve "$work/"

# --- Dovecot configuration -------------------------------------------------
conf=$work/dovecot.conf
case $dovecot_version in
2.3.*)
    cat >"$conf" <<EOF
protocols =
ssl = no
base_dir = $work/run
log_path = /dev/stderr
first_valid_uid = 1
mail_location = maildir:$maildir
mail_uid = $user
mail_gid = $user
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=$user gid=$user home=$work
}
plugin {
  # mime is on by default in Pigeonhole 0.5; say so anyway (header :mime).
  sieve_extensions = +mime
}
EOF
    ;;
2.4.*)
    # Written from the 2.4 documentation; not tried on this machine (2.3 here).
    cat >"$conf" <<EOF
dovecot_config_version = $dovecot_version
dovecot_storage_version = $dovecot_version
protocols =
ssl = no
base_dir = $work/run
log_path = /dev/stderr
first_valid_uid = 1
mail_driver = maildir
mail_path = $maildir
mail_uid = $user
mail_gid = $user
passdb static {
  password = {PLAIN}unused
}
userdb static {
  fields {
    uid = $user
    gid = $user
    home = $work
  }
}
sieve_extensions {
  mime = yes
}
EOF
    ;;
*)
    echo "pigeonhole.sh: Dovecot $dovecot_version not handled" >&2
    exit 1
    ;;
esac
chown -R "$user:" "$work"
chmod 755 "$work"

sieve_filter=(runuser -u "$user" -- sieve-filter -c "$conf" "$work/filter-plain.sieve" INBOX)

# One checked run first: it builds Dovecot's index in the Maildir and shows
# that every message was evaluated.
(cd "$work" && "${sieve_filter[@]}") >"$work/sieve-filter.out" 2>"$work/sieve-filter.err" || {
    cat "$work/sieve-filter.err" >&2
    exit 1
}
if [ -s "$work/sieve-filter.err" ]; then
    echo "sieve-filter wrote to stderr:" >&2
    head -n 20 "$work/sieve-filter.err" >&2
fi
ph_seen=$(grep -c '^>> Filtering message' "$work/sieve-filter.out" || true)
ph_calendar=$(grep -c 'store message in folder: Calendar' "$work/sieve-filter.out" || true)
if [ "$ph_seen" != "$count" ]; then
    echo "pigeonhole.sh: sieve-filter evaluated $ph_seen messages, not $count" >&2
    exit 1
fi

# --- build and measure -----------------------------------------------------
# Hold the shared build lock for the build and the whole measurement, so that
# no compile on the same machine runs in between.
exec 9>/tmp/cargo-build.lock
flock 9
cargo build --release --quiet
bin=$root/target/release/sieve-imip
si_calendar=$("$bin" filter --jobs 1 --now "$now" benches/scripts/filter-plain.sieve "$maildir" |
    awk '/fileinto "Calendar"/ { print $NF }')

results=$work/results
mkdir -p "$results"
hyperfine -N --style none --warmup 2 --runs "$runs" \
    --export-json "$results/sieve-filter-plain.json" \
    "${sieve_filter[*]}" >/dev/null
for script in filter-plain filter-imip; do
    for jobs in 1 2; do
        hyperfine -N --style none --warmup 2 --runs "$runs" \
            --export-json "$results/sieve-imip-$script-$jobs.json" \
            "$bin filter --jobs $jobs --now $now benches/scripts/$script.sieve $maildir" >/dev/null
    done
done

echo "Dovecot $dovecot_version, ${pigeonhole_version:-Pigeonhole (version unknown)}; hyperfine $(hyperfine --version | cut -d' ' -f2), $runs runs each; $count messages ($(nproc) cores)"
echo "messages filed into Calendar by filter-plain.sieve: sieve-filter $ph_calendar, sieve-imip ${si_calendar:-0}"
python3 - "$results" "$count" <<'PY'
import json, sys
results, count = sys.argv[1], int(sys.argv[2])
rows = [
    ("sieve-filter (Pigeonhole)", "filter-plain", "1", "sieve-filter-plain"),
    ("sieve-imip filter", "filter-plain", "1", "sieve-imip-filter-plain-1"),
    ("sieve-imip filter", "filter-plain", "2", "sieve-imip-filter-plain-2"),
    ("sieve-imip filter", "filter-imip", "1", "sieve-imip-filter-imip-1"),
    ("sieve-imip filter", "filter-imip", "2", "sieve-imip-filter-imip-2"),
]
print(f"{'tool':26} {'script':13} {'jobs':>4} {'mean total':>14} {'median':>9} {'CPU':>9} {'per message':>12}")
for tool, script, jobs, name in rows:
    r = json.load(open(f"{results}/{name}.json"))["results"][0]
    print(f"{tool:26} {script:13} {jobs:>4} "
          f"{r['mean'] * 1e3:7.0f} ± {r['stddev'] * 1e3:3.0f} ms "
          f"{r['median'] * 1e3:6.0f} ms "
          f"{(r['user'] + r['system']) * 1e3:6.0f} ms "
          f"{r['mean'] / count * 1e6:8.1f} µs")
PY
