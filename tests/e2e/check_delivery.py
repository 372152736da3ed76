#!/usr/bin/env python3
"""Check where each sent message landed in the Maildir, and the deliver log.

Usage: check_delivery.py EXPECTED_TSV MAILDIR DELIVER_LOG POSTFIX_LOG

EXPECTED_TSV lines are `message-file<TAB>folder<TAB>X-iMIP-Risk or -`
(paths relative to the working directory, `#` comments); the folder
`(rejected)` means deliver refuses it (exit 77): nothing stored, a
`status=rejected` log line, and Postfix logs it bounced. A message is found
again by its Message-ID header; one without (no header section) by its
`sieve-imip-e2e-token: NAME` line. Prints a table message -> folder and
exits 1 on any mismatch: a message missing, delivered more than once, in
the wrong folder or with the wrong stamp, a delivered file nobody sent, a
file left in a tmp/ folder, or a deliver log that has not exactly one
line per message with the status expected, or a Postfix log whose
`status=sent` and `status=bounced` counts differ from the expectations.
"""
import email
import email.policy
import os
import re
import sys

TOKEN = re.compile(rb"^sieve-imip-e2e-token: (\S+)\r?$", re.M)
LOG_ID = re.compile(r"message-id=(\S+)")
LOG_STATUS = re.compile(r"status=(\S+)")
REJECTED = "(rejected)"


def headers_of(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def message_id(raw: bytes):
    value = headers_of(raw).get("Message-ID")
    return "".join(str(value).split()) if value else None


def token(raw: bytes):
    found = TOKEN.search(raw)
    return found.group(1).decode() if found else None


def folder_of(maildir: str, path: str) -> str:
    """INBOX for DIR/new and DIR/cur; `A/B` for Maildir++ DIR/.A.B/..."""
    parent = os.path.relpath(os.path.dirname(os.path.dirname(path)), maildir)
    if parent == ".":
        return "INBOX"
    return parent.lstrip(".").replace(".", "/")


def delivered_files(maildir: str):
    for root, _dirs, files in os.walk(maildir):
        if os.path.basename(root) in ("new", "cur"):
            for name in files:
                yield os.path.join(root, name)


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    expected_tsv, maildir, log_path, postfix_log = sys.argv[1:]
    expected = []
    with open(expected_tsv, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, folder, stamp = line.rstrip("\n").split("\t")
                expected.append((name, folder, stamp))

    delivered = []
    for path in sorted(delivered_files(maildir)):
        with open(path, "rb") as f:
            raw = f.read()
        delivered.append((path, raw, message_id(raw), token(raw)))

    with open(log_path, encoding="utf-8", errors="replace") as f:
        log_lines = [line.rstrip("\n") for line in f if line.strip()]

    problems = []
    rows = []
    claimed = set()
    for name, want_folder, want_stamp in expected:
        with open(name, "rb") as f:
            sent = f.read()
        key_id, key_token = message_id(sent), None
        if key_id is None:
            key_token = token(sent)
            if key_token is None:
                problems.append(f"{name}: has neither a Message-ID nor a token line")
                continue
        hits = [
            d for d in delivered
            if (key_id is not None and d[2] == key_id)
            or (key_token is not None and d[3] == key_token)
        ]
        claimed.update(d[0] for d in hits)
        folders = [folder_of(maildir, d[0]) for d in hits]
        stamps = []
        for d in hits:
            values = headers_of(d[1]).get_all("X-iMIP-Risk") or []
            stamps.append(",".join(v.strip() for v in values) or "-")
        # The log names the message by the Message-ID it had when delivered
        # (Postfix adds one to a message that has none).
        ids = {d[2] for d in hits if d[2]} or ({key_id} if key_id else set())
        logged = [l for l in log_lines if (m := LOG_ID.search(l)) and m.group(1) in ids]
        status = ",".join(
            (m.group(1) if (m := LOG_STATUS.search(l)) else "?") for l in logged
        ) or "-"

        rejected = want_folder == REJECTED
        landed = ",".join(folders) or (REJECTED if rejected else "(missing)")
        want_status = "rejected" if rejected else "delivered"
        ok = True
        if rejected and hits:
            problems.append(f"{name}: stored in {landed}, expected it rejected")
            ok = False
        elif rejected:
            pass
        elif len(hits) != 1:
            problems.append(f"{name}: delivered {len(hits)} times, expected once")
            ok = False
        elif folders[0] != want_folder:
            problems.append(f"{name}: landed in {folders[0]}, expected {want_folder}")
            ok = False
        elif stamps[0] != want_stamp:
            problems.append(f"{name}: X-iMIP-Risk is {stamps[0]}, expected {want_stamp}")
            ok = False
        if status != want_status:
            problems.append(f"{name}: deliver log status {status!r}, expected one {want_status!r} line")
            ok = False
        rows.append((name, want_folder, landed, ",".join(stamps) or "-", status, "ok" if ok else "FAIL"))

    for path, _raw, mid, _tok in delivered:
        if path not in claimed:
            problems.append(f"{path}: delivered but not sent by this test (Message-ID {mid})")
    for root, _dirs, files in os.walk(maildir):
        if os.path.basename(root) == "tmp":
            problems.extend(f"{os.path.join(root, n)}: left in tmp/" for n in files)
    if len(log_lines) != len(expected):
        problems.append(f"deliver log has {len(log_lines)} lines, expected {len(expected)}")

    # What Postfix made of deliver's exit codes: 0 sent, 77 bounced.
    with open(postfix_log, encoding="utf-8", errors="replace") as f:
        local_lines = [l for l in f if " postfix/local[" in l]
    want_bounced = sum(1 for e in expected if e[1] == REJECTED)
    for word, want in (("sent", len(expected) - want_bounced), ("bounced", want_bounced)):
        got = sum(1 for l in local_lines if f" status={word} " in l)
        if got != want:
            problems.append(f"Postfix log has {got} local deliveries status={word}, expected {want}")

    header = ("message", "expected", "landed in", "X-iMIP-Risk", "log", "")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(
        f"{len(expected)} messages sent, {len(delivered)} files delivered, "
        f"{len(log_lines)} deliver log lines, Postfix: "
        + ", ".join(
            f"{sum(1 for l in local_lines if f' status={w} ' in l)} {w}" for w in ("sent", "bounced")
        )
    )

    for problem in problems:
        print(f"e2e: mismatch: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
