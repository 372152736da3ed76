#!/usr/bin/env python3
"""Differential check of the recurrence evaluator against python-dateutil.

Generates random RRULEs (all FREQ values and rule parts) with a DTSTART
that the rule itself produces (dateutil, unlike RFC 5545, does not count an
unsynchronised DTSTART), computes with dateutil the instance count (finite
rules), the instances in a horizon window and the first instance, writes one
JSON case per line, then runs the Rust unit test `recurrence::tests::dateutil`, which
evaluates the same cases and compares.

Usage (from the crate root; needs `pip install python-dateutil`):
    python3 scripts/dateutil_diff.py [--cases 400] [--seed 6047] [--out target/dateutil_cases.jsonl] [--no-run]
Exit status: that of the Rust test (0 when every case agrees).

Known dateutil differences kept out of the generator: BYDAY mixing plain and
ordinal weekdays (dateutil requires both), WEEKLY with BYSETPOS (dateutil
cuts DTSTART's week at DTSTART), leap second 60, COUNT on a second RRULE
that does not produce DTSTART (RFC 5545 counts DTSTART as the first
occurrence of every rule; dateutil does not). Rules whose readings differ
(YEARLY with BYWEEKNO and no BYDAY, YEARLY with BYMONTHDAY and no BYMONTH)
are compared with the evaluator's `other_reading`, which is dateutil's.

One case in five is a recurrence set of two or three RRULEs (a union,
compared with dateutil's `rruleset`), sometimes the same rule twice.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys

from dateutil.rrule import rrulestr

FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
SPAN = {
    "YEARLY": dt.timedelta(days=366 * 30),
    "MONTHLY": dt.timedelta(days=366 * 10),
    "WEEKLY": dt.timedelta(days=366 * 4),
    "DAILY": dt.timedelta(days=366 * 2),
    "HOURLY": dt.timedelta(days=30),
    "MINUTELY": dt.timedelta(days=2),
    "SECONDLY": dt.timedelta(hours=2),
}


def rand_list(rng, low, high, max_len, negative=False):
    values = []
    for _ in range(rng.randint(1, max_len)):
        v = rng.randint(low, high)
        values.append(-v if negative and rng.random() < 0.3 else v)
    return ",".join(str(v) for v in values)


def random_rule(rng, freq):
    parts = ["FREQ=" + freq]
    coarse = freq in ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
    if rng.random() < 0.4:
        parts.append("INTERVAL=%d" % rng.randint(1, 90 if freq in ("MINUTELY", "SECONDLY") else 4))
    if rng.random() < 0.3:
        parts.append("BYMONTH=" + rand_list(rng, 1, 12, 4))
    if freq == "YEARLY" and rng.random() < 0.2:
        parts.append("BYWEEKNO=" + rand_list(rng, 1, 53, 3, True))
    if freq not in ("DAILY", "WEEKLY", "MONTHLY") and rng.random() < 0.2:
        parts.append("BYYEARDAY=" + rand_list(rng, 1, 366, 4, True))
    if freq != "WEEKLY" and rng.random() < 0.3:
        parts.append("BYMONTHDAY=" + rand_list(rng, 1, 31, 4, True))
    if rng.random() < 0.45:
        ordinals = freq in ("MONTHLY", "YEARLY") and not any(p.startswith("BYWEEKNO") for p in parts)
        days = rng.sample(WEEKDAYS, rng.randint(1, 3))
        if ordinals and rng.random() < 0.5:
            limit = 5 if freq == "MONTHLY" or any(p.startswith("BYMONTH=") for p in parts) else 53
            days = ["%d%s" % (rng.choice([1, -1]) * rng.randint(1, limit), d) for d in days]
        parts.append("BYDAY=" + ",".join(days))
    if rng.random() < (0.25 if coarse else 0.35):
        parts.append("BYHOUR=" + rand_list(rng, 0, 23, 3))
    if rng.random() < (0.2 if coarse else 0.35):
        parts.append("BYMINUTE=" + rand_list(rng, 0, 59, 3))
    if rng.random() < (0.15 if coarse else 0.3):
        parts.append("BYSECOND=" + rand_list(rng, 0, 59, 3))
    if freq != "WEEKLY" and any(p.startswith("BY") for p in parts) and rng.random() < 0.25:
        parts.append("BYSETPOS=" + rand_list(rng, 1, 6, 2, True))
    if rng.random() < 0.2:
        parts.append("WKST=" + rng.choice(WEEKDAYS))
    return parts


def fmt(t):
    return t.strftime("%Y%m%dT%H%M%S")


def make_case(rng):
    freq = rng.choice(FREQS)
    parts = random_rule(rng, freq)
    candidate = dt.datetime(rng.randint(1995, 2034), rng.randint(1, 12), rng.randint(1, 28),
                            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
    span = SPAN[freq]
    try:
        probe = rrulestr(";".join(parts), dtstart=candidate)
        found = probe.between(candidate, candidate + span / 2, inc=True)
    except (ValueError, OverflowError):
        return None
    if not found:
        return None
    first = found[0]
    bound = rng.randint(0, 2)
    if bound == 0:
        parts.append("COUNT=%d" % rng.randint(1, 40))
    elif bound == 1:
        until = first + dt.timedelta(seconds=rng.randint(0, int(span.total_seconds())))
        parts.append("UNTIL=" + fmt(until))
    rng.shuffle(parts)
    text = ";".join(parts)
    try:
        rule = rrulestr(text, dtstart=first)
        if rule.after(first, inc=True) != first:
            return None
        now = first + dt.timedelta(seconds=rng.randint(-int(span.total_seconds()) // 4, int(span.total_seconds()) // 2))
        horizon = rng.randint(1, int(span.total_seconds()) // 2)
        end = now + dt.timedelta(seconds=horizon)
        in_window = [t for t in rule.between(now, end, inc=True) if t < end]
        total = None
        if bound != 2:
            # Only within a bounded window: dateutil searches up to year 9999 otherwise.
            window = rule.between(first, first + 2 * span, inc=True)
            complete = bound == 1 and until <= first + 2 * span
            if bound == 0 and len(window) == int([p for p in parts if p.startswith("COUNT=")][0][6:]):
                complete = True
            if not complete:
                return None
            total = len(window)
    except (ValueError, OverflowError):
        return None
    rust_text = text
    if bound == 1:
        rust_text = text.replace("UNTIL=" + fmt(until), "UNTIL=" + fmt(until) + "Z")
    return {
        "dtstart": fmt(first) + "Z",
        "rrule": rust_text,
        "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "horizon_seconds": horizon,
        "instances_total": total,
        "instances_in_horizon": len(in_window),
        "first_start": first.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "first_start_in_horizon": in_window[0].strftime("%Y-%m-%dT%H:%M:%SZ") if in_window else None,
    }


def make_set_case(rng):
    """Two or three RRULEs in one set; the first produces DTSTART."""
    base = make_case(rng)
    if base is None:
        return None
    first = dt.datetime.strptime(base["dtstart"], "%Y%m%dT%H%M%SZ")
    rules = [base["rrule"]]
    for _ in range(rng.randint(1, 2)):
        if rng.random() < 0.3:
            rules.append(rules[0])
            continue
        freq = rng.choice(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"])
        parts = random_rule(rng, freq)
        if rng.random() < 0.7:
            until = first + dt.timedelta(seconds=rng.randint(0, int(SPAN[freq].total_seconds())))
            parts.append("UNTIL=" + fmt(until) + "Z")
        rules.append(";".join(parts))
    # dateutil reads UNTIL without Z here: the set's DTSTART is naive.
    text = "\n".join("RRULE:" + re.sub(r"(UNTIL=\d{8}T\d{6})Z", r"\1", r) for r in rules)
    try:
        rset = rrulestr(text, dtstart=first, forceset=True)
        now = dt.datetime.strptime(base["now"], "%Y-%m-%dT%H:%M:%SZ")
        end = now + dt.timedelta(seconds=base["horizon_seconds"])
        in_window = [t for t in rset.between(now, end, inc=True) if t < end]
        total = None
        if all("COUNT=" in r or "UNTIL=" in r for r in rules):
            # Bounded: every rule ends within its span, so the list is short.
            instances = list(rset)
            if len(instances) > 5000:
                return None
            total = len(instances)
        listed = list(rset.between(first, first, inc=True))
        for r in rules:
            if "COUNT=" in r or "UNTIL=" in r:
                continue
            # An unbounded rule that never produces makes the set finite.
            alone = rrulestr(re.sub(r"(UNTIL=\d{8}T\d{6})Z", r"\1", r), dtstart=first)
            if alone.after(first, inc=True) is None:
                return None
    except (ValueError, OverflowError):
        return None
    if not listed:
        return None
    if any(ambiguous(r) for r in rules):
        return None
    return dict(base, rrule=None, rrules=rules, instances_total=total,
                instances_in_horizon=len(in_window),
                first_start_in_horizon=in_window[0].strftime("%Y-%m-%dT%H:%M:%SZ") if in_window else None)


def ambiguous(rule):
    """The shapes RFC 5545 and dateutil read differently."""
    parts = dict(p.split("=", 1) for p in rule.split(";"))
    if parts.get("FREQ") != "YEARLY":
        return False
    weekno = "BYWEEKNO" in parts and not any(k in parts for k in ("BYDAY", "BYMONTHDAY", "BYYEARDAY"))
    monthday = "BYMONTHDAY" in parts and not any(k in parts for k in ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYDAY"))
    return weekno or monthday


def slow_case(signum, frame):
    raise TimeoutError()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seed", type=int, default=6047)
    parser.add_argument("--out", default="target/dateutil_cases.jsonl")
    parser.add_argument("--no-run", action="store_true", help="only write the cases")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = []
    attempts = 0
    signal.signal(signal.SIGALRM, slow_case)
    while len(cases) < args.cases and attempts < args.cases * 50:
        attempts += 1
        signal.alarm(2)
        try:
            case = make_set_case(rng) if rng.random() < 0.2 else make_case(rng)
        except TimeoutError:
            case = None
        signal.alarm(0)
        if case is not None:
            cases.append(case)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        for case in cases:
            out.write(json.dumps(case) + "\n")
    print("wrote %d cases to %s" % (len(cases), args.out), file=sys.stderr)
    if args.no_run:
        return 0
    env = dict(os.environ, DATEUTIL_CASES=os.path.abspath(args.out))
    return subprocess.call(["cargo", "test", "--lib", "recurrence::tests::dateutil", "--", "--nocapture"], env=env)


if __name__ == "__main__":
    sys.exit(main())
