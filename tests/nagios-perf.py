#!/usr/bin/env python3
"""Checks v4check's -o nagios output against the plugin guidelines, reading
the thresholds with python3-nagiosplugin's Range (the guidelines' range
semantics: "N" alerts outside 0..N, "@a:b" alerts inside a..b).

usage: nagios-perf.py FILE EXIT
Checks: line 1 is "V4CHECK WORD - text | perfdata", the word is the one for
EXIT, no later line holds '|', each perfdata item is 'label'=value[UOM];warn;
crit;min;max, and the state the thresholds give equals EXIT (for UNKNOWN, the
thresholds give no CRITICAL). Exits 1 with the reasons when one fails."""
import re
import sys

import nagiosplugin

WORDS = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
ITEM = re.compile(r"^('(?:[^']|'')+'|[^'= ][^= ]*)=(-?[0-9.]+)(s|ms|us|%|B|KB|MB|TB|c)?"
                  r"(?:;([^;]*)(?:;([^;]*)(?:;(-?[0-9.]*)(?:;(-?[0-9.]*))?)?)?)?$")


def state_of(items):
    """Worst state the perfdata thresholds give."""
    st = 0
    for label, value, warn, crit in items:
        if crit and not nagiosplugin.Range(crit).match(value):
            st = max(st, 2)
        elif warn and not nagiosplugin.Range(warn).match(value):
            st = max(st, 1)
    return st


def main(path, want):
    lines = open(path, encoding="utf-8").read().split("\n")
    errs = []
    m = re.match(r"^V4CHECK (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]*) \| (.*)$", lines[0])
    if not m:
        return ["line 1 is not 'V4CHECK WORD - text | perfdata': %r" % lines[0]]
    if m.group(1) != WORDS[want]:
        errs.append("word %s, exit %d" % (m.group(1), want))
    errs += ["line %d holds '|': %r" % (i + 2, l) for i, l in enumerate(lines[1:]) if "|" in l]
    items = []
    for it in m.group(3).split():
        p = ITEM.match(it)
        if not p:
            errs.append("perfdata item not in the guidelines' form: %r" % it)
            continue
        items.append((p.group(1), float(p.group(2)), p.group(4), p.group(5)))
    st = state_of(items)
    if (want < 3 and st != want) or (want == 3 and st == 2):
        errs.append("thresholds give %s, the plugin says %s: %s" % (WORDS[st], WORDS[want], m.group(3)))
    return errs


if __name__ == "__main__":
    e = main(sys.argv[1], int(sys.argv[2]))
    for x in e:
        print(x)
    sys.exit(1 if e else 0)
