#!/usr/bin/env python3
"""Checks knowledge tables: knowledge-check.py [--required FILE] TABLE.json...

Every entry has a source of the right shape, a known 'checked' state and the
fields knowledge/required.json lists for its table; ids are unique; every id the
checks read is there; a crash names only keys the version reads; a variable read
by nothing bounds nothing; the tags in the file name, the top-level fields and
the sources agree. Prints one line per problem; exit 1 when there is one.
Python 3 standard library only; needs no repository.
"""
import json
import os
import re
import sys

REPOS = ("vllm-project/vllm-ascend", "vllm-project/vllm")
SRC = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)@(?P<tag>v\d[\w.+-]*) (?P<path>[\w./+-]+)(?::(?P<a>\d+)(?:-(?P<b>\d+))?)?$")
URL = re.compile(r"^https://[\w.-]+\.[a-z]{2,}/\S*$")
GH = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/(issues|pull)/\d+$")
SHA = re.compile(r"^[0-9a-f]{40}$")


def src_problem(s, table, doc):
    """Why source string s is not of a right shape for table, or None."""
    if not isinstance(s, str) or not s:
        return "no source"
    if s.startswith("observed: "):
        return None if table == "observations" and len(s) > 12 else "an observation outside observations"
    if s.startswith("https://"):
        if s.startswith("https://github.com/") and not GH.match(s):
            return "a GitHub source must be an issue or pull request URL: %s" % s
        return None if URL.match(s) else "not a URL: %s" % s
    m = SRC.match(s)
    if not m:
        return "not repo@tag path[:line[-line]]: %s" % s
    if m.group("repo") not in REPOS:
        return "unknown repository %s" % m.group("repo")
    want = doc.get("vllm_ascend") if m.group("repo") == REPOS[0] else doc.get("vllm")
    if m.group("tag") != want:
        return "tag %s is not this table's %s" % (m.group("tag"), want)
    if m.group("b") and int(m.group("b")) < int(m.group("a")):
        return "line range backwards: %s" % s
    return None


def check_entry(path, table, e, req, doc, out):
    """Problems of one entry."""
    where = "%s: %s %s" % (path, table, e.get("id", "?"))
    for f in req["tables"][table]["fields"]:
        if f not in e:
            out.append("%s: no field %s" % (where, f))
    if table == "additional_config" and e.get("type") == "dict" and e.get("read", True):
        for f in req["tables"][table].get("dict_fields", []):
            if f not in e:
                out.append("%s: dict entry without %s" % (where, f))
    p = src_problem(e.get("source"), table, doc)
    if p:
        out.append("%s: %s" % (where, p))
    for k in ("also_read_at", "evidence"):
        for s in e.get(k, []):
            p = src_problem(s, table, doc)
            if p:
                out.append("%s: %s: %s" % (where, k, p))
    if e.get("checked") not in req["checked"]:
        out.append("%s: checked %r is not one of %s" % (where, e.get("checked"), ", ".join(req["checked"])))
    if (e.get("checked") == "observed") != str(e.get("source", "")).startswith("observed: "):
        out.append("%s: checked observed and an observed: source go together" % where)


def check_doc(path, doc, req):
    """Problems of one table file."""
    out = []
    for f in req["top"]:
        if f not in doc:
            out.append("%s: no top-level %s" % (path, f))
    m = re.match(r"^vllm-ascend-(v\d[\w.+-]*)\.json$", os.path.basename(path))
    if not m or m.group(1) != doc.get("vllm_ascend"):
        out.append("%s: file name does not match vllm_ascend %r" % (path, doc.get("vllm_ascend")))
    if not re.match(r"^v\d+\.\d+\.\d+", str(doc.get("vllm", ""))):
        out.append("%s: vllm %r is not a release tag" % (path, doc.get("vllm")))
    if not SHA.match(str(doc.get("generated_from", {}).get("vllm_ascend", ""))):
        out.append("%s: generated_from.vllm_ascend is not a commit id" % path)
    pin = doc.get("vllm_pin_source") or ""
    pm = SRC.match(pin)
    if not pm or pm.group("repo") != REPOS[0] or pm.group("tag") != doc.get("vllm_ascend") or not pm.group("a"):
        out.append("%s: vllm_pin_source is not a line of this tag: %r" % (path, pin))
    for table, spec in req["tables"].items():
        entries = doc.get(table)
        if not isinstance(entries, list):
            out.append("%s: %s is not a list" % (path, table))
            continue
        seen = {}
        for e in entries:
            if not isinstance(e, dict) or "id" not in e:
                out.append("%s: %s: an entry without id" % (path, table))
                continue
            if e["id"] in seen:
                out.append("%s: %s %s: two entries for one id" % (path, table, e["id"]))
            seen[e["id"]] = e
            check_entry(path, table, e, req, doc, out)
        for i in spec.get("ids", []):
            if i not in seen:
                out.append("%s: %s has no entry %s (required)" % (path, table, i))
    out.extend(contradictions(path, doc))
    return out


def contradictions(path, doc):
    """Entries that contradict each other across tables."""
    out = []
    ac = {e["id"]: e for e in doc.get("additional_config", []) if isinstance(e, dict) and "id" in e}
    for c in doc.get("crashes", []):
        for k in c.get("keys", []) if isinstance(c, dict) else []:
            if k not in ac:
                out.append("%s: crashes %s: key %s is not in additional_config" % (path, c.get("id"), k))
            elif ac[k].get("read") is False:
                out.append("%s: crashes %s: key %s is marked not read" % (path, c.get("id"), k))
    for k, e in ac.items():
        if e.get("read") is False and ("strict" in e or e.get("env_fallback")):
            out.append("%s: additional_config %s: not read, yet strict or env-backed" % (path, k))
    env = {e["id"]: e for e in doc.get("env", []) if isinstance(e, dict) and "id" in e}
    for t in doc.get("timeouts", []):
        if not isinstance(t, dict):
            continue
        e = env.get(t.get("env") or "")
        if e and str(e.get("read_by", "")).startswith("nothing") and not str(t.get("bounds", "")).startswith("nothing"):
            out.append("%s: timeouts %s: bounds something, but env says read by nothing" % (path, t.get("id")))
        if e and "default" in e and e.get("default") is not None and t.get("default") is not None \
                and str(e["default"]) != str(t["default"]):
            out.append("%s: timeouts %s: default %s, env says %s" % (path, t.get("id"), t["default"], e["default"]))
    return out


def main(argv):
    """Command line entry."""
    req_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "knowledge", "required.json")
    if len(argv) > 2 and argv[1] == "--required":
        req_path, argv = argv[2], argv[:1] + argv[3:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    with open(req_path, encoding="utf-8") as f:
        req = json.load(f)
    problems = []
    for path in argv[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            problems.append("%s: not readable JSON: %s" % (path, e))
            continue
        problems.extend(check_doc(path, doc, req))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
