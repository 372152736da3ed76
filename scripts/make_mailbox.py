#!/usr/bin/env python3
"""Generate a mail store for measuring `sieve-imip filter`.

Writes OUT/mailbox.mbox and OUT/Maildir (cur/, new/, tmp/) holding the same
COUNT messages (default 10,000), built from the project's own messages
(samples/*.eml and tests/fixtures/*.eml): one in ten is iMIP, the rest are
not, and each copy gets its own Message-ID so the messages are distinct.

A fixture is iMIP when its expected report says so; a sample when it has a
text/calendar part.

Usage: python3 scripts/make_mailbox.py OUT [--count N]
Standard library only.
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGE_ID = re.compile(rb"^message-id:", re.IGNORECASE)


def classify():
    """(iMIP messages, other messages), each a sorted list of (name, bytes)."""
    imip, other = [], []
    for path in sorted((ROOT / "tests" / "fixtures").glob("*.eml")):
        expected = path.with_name(path.stem + ".expected.json")
        with open(expected, encoding="utf-8") as handle:
            is_imip = json.load(handle)["imip"]
        (imip if is_imip else other).append((path.name, path.read_bytes()))
    for path in sorted((ROOT / "samples").glob("*.eml")):
        data = path.read_bytes()
        (imip if b"text/calendar" in data.lower() else other).append((path.name, data))
    if not imip or not other:
        sys.exit("make_mailbox: need both iMIP and other messages to mix")
    return imip, other


def with_message_id(data, number):
    """The message with its top-level Message-ID replaced by a unique one."""
    head = data[:2000]
    newline = b"\r\n" if b"\r\n" in head else b"\n" if b"\n" in head else b"\r"
    split = data.find(newline + newline)
    header, body = (data, b"") if split < 0 else (data[:split + len(newline)], data[split + len(newline):])
    kept, skipping = [], False
    for line in header.splitlines(keepends=True):
        if MESSAGE_ID.match(line):
            skipping = True
            continue
        if skipping and line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the dropped field
        skipping = False
        kept.append(line)
    field = b"Message-ID: <make-mailbox-%d@example.invalid>" % number + newline
    return field + b"".join(kept) + body


def mbox_quote(data):
    """mboxrd quoting: '>' before every line that reads (>*)From ."""
    lines = data.splitlines(keepends=True)
    quoted = [b">" + line if re.match(rb"^>*From ", line) else line for line in lines]
    out = b"".join(quoted)
    return out if out.endswith(b"\n") else out + b"\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()

    imip, other = classify()
    maildir = args.out / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for stale in (maildir / "cur").iterdir():
        stale.unlink()

    counts = {"imip": 0, "other": 0}
    with open(args.out / "mailbox.mbox", "wb") as mbox:
        for number in range(args.count):
            if number % 10 == 0:
                name, data = imip[(number // 10) % len(imip)]
                counts["imip"] += 1
            else:
                name, data = other[number % len(other)]
                counts["other"] += 1
            message = with_message_id(data, number)
            mbox.write(b"From generator@example.invalid Thu Nov 19 08:00:00 2026\n")
            mbox.write(mbox_quote(message))
            mbox.write(b"\n")
            filename = "%06d.%s.make-mailbox:2,S" % (number, os.path.splitext(name)[0])
            (maildir / "cur" / filename).write_bytes(message)
    print(
        "wrote %d messages (%d iMIP) to %s and %s"
        % (args.count, counts["imip"], args.out / "mailbox.mbox", maildir)
    )


if __name__ == "__main__":
    main()
