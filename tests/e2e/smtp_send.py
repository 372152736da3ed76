#!/usr/bin/env python3
"""Send each message file, byte for byte, as one SMTP transaction.

Usage: smtp_send.py HOST PORT SENDER RECIPIENT FILE...

Line endings become CRLF (SMTP's), a leading mbox "From " line is dropped,
and nothing else changes: the messages keep their own Message-IDs.
"""
import re
import smtplib
import sys


def wire_bytes(raw: bytes) -> bytes:
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def main() -> int:
    if len(sys.argv) < 6:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host, port, sender, recipient, *files = sys.argv[1:]
    with smtplib.SMTP(host, int(port), timeout=30) as smtp:
        smtp.ehlo("e2e.localhost")
        for path in files:
            with open(path, "rb") as f:
                data = wire_bytes(f.read())
            code, reply = smtp.mail(sender)
            if code != 250:
                raise SystemExit(f"{path}: MAIL FROM refused: {code} {reply!r}")
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise SystemExit(f"{path}: RCPT TO refused: {code} {reply!r}")
            code, reply = smtp.data(data)
            if code != 250:
                raise SystemExit(f"{path}: DATA refused: {code} {reply!r}")
            print(f"sent {path}: {reply.decode('ascii', 'replace')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
