#!/usr/bin/env python3
"""Validates JSON files against one definition of schema/v4check.schema.json.

usage: validate-json.py KIND FILE...   (KIND: report, list, manifest, fact, state)
Prints each error with its path; exits 1 when a file does not validate, 2 on
usage or when the schema itself is not a valid draft 2020-12 schema."""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "schema", "v4check.schema.json")


def validator(kind):
    """A 2020-12 validator of $defs/KIND, with the whole file as its root."""
    with open(SCHEMA, encoding="utf-8") as f:
        root = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(root)
    if kind not in root["$defs"]:
        sys.exit("validate-json.py: no $defs/%s in %s" % (kind, SCHEMA))
    # $ref beside $defs: the root validates as that definition (2020-12 keeps siblings)
    return cls(dict(root, **{"$ref": "#/$defs/" + kind}))


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    v = validator(argv[1])
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for e in sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print("%s: %s: %s" % (path, where, e.message))
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
