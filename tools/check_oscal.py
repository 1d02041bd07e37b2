#!/usr/bin/env python3
"""Checks OSCAL assessment-results documents written by `sealbook report --format oscal`.

Usage:
    tools/check_oscal.py FILE...              validate against the official OSCAL schema
    tools/check_oscal.py --self-test FILE     also prove the validator rejects broken variants
    tools/check_oscal.py --schema S FILE...   validate against another JSON Schema (draft 7 or
                                              2020-12, from its $schema), e.g.
                                              schemas/reports/report.schema.json

The official schema is schemas/reports/oscal_assessment-results_schema.json (NIST OSCAL 1.2.2,
public domain; where it comes from: schemas/reports/SOURCES.md). Its patterns use \\p{L} and
\\p{N}, which Python's `re` cannot compile: the `regex` module is used when it is installed,
otherwise those two classes are replaced by their closest `re` equivalents ([^\\W\\d_] and \\d).

Beyond the schema, OSCAL's cross-references are checked: UUIDs are unique, every
related-observation and related-risk names an observation or risk of its result, and
import-ap's "#uuid" names a back-matter resource.

Exit status: 0 when every file is valid, 1 when one is not, 2 on a usage error.
"""

import copy
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    sys.exit("check_oscal.py needs the Python package jsonschema (Debian: python3-jsonschema)")

try:
    import regex as _re

    ENGINE = "regex"
except ImportError:  # pragma: no cover - depends on the machine
    import re as _re

    ENGINE = "re"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OSCAL_SCHEMA = os.path.join(ROOT, "schemas", "reports", "oscal_assessment-results_schema.json")


def compile_pattern(p):
    if ENGINE == "re":
        p = p.replace("\\p{L}", "[^\\W\\d_]").replace("\\p{N}", "\\d")
    return _re.compile(p)


_patterns = {}


def pattern_keyword(validator, patrn, instance, schema):
    if not validator.is_type(instance, "string"):
        return
    c = _patterns.get(patrn)
    if c is None:
        c = _patterns[patrn] = compile_pattern(patrn)
    if not c.search(instance):
        yield jsonschema.ValidationError("%r does not match %r" % (instance, patrn))


def validator_for(schema):
    base = jsonschema.validators.validator_for(schema)
    # Check the schema against its metaschema, without format checks: the patterns' regex syntax
    # (\p{L}) is not Python's.
    problems = list(base(base.META_SCHEMA).iter_errors(schema))
    if problems:
        sys.exit("the schema itself is not valid: %s" % problems[0].message)
    cls = jsonschema.validators.extend(base, {"pattern": pattern_keyword})
    return cls(schema)


def cross_references(doc):
    """OSCAL rules the JSON schema cannot express; returns a list of problems."""
    problems = []
    ar = doc.get("assessment-results", {})
    seen = {}

    def walk(v, path):
        if isinstance(v, dict):
            u = v.get("uuid")
            if isinstance(u, str):
                if u in seen:
                    problems.append("uuid %s is used twice: %s and %s" % (u, seen[u], path))
                seen[u] = path
            for k, x in v.items():
                walk(x, path + "/" + k)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, "%s/%d" % (path, i))

    walk(ar, "")
    resources = {r.get("uuid") for r in ar.get("back-matter", {}).get("resources", [])}
    href = ar.get("import-ap", {}).get("href", "")
    if href.startswith("#") and href[1:] not in resources:
        problems.append("import-ap href %s names no back-matter resource" % href)
    for i, r in enumerate(ar.get("results", [])):
        obs = {o["uuid"] for o in r.get("observations", [])}
        risks = {x["uuid"] for x in r.get("risks", [])}
        for j, f in enumerate(r.get("findings", [])):
            for ro in f.get("related-observations", []):
                if ro["observation-uuid"] not in obs:
                    problems.append("results/%d/findings/%d: observation %s is not in its result" % (i, j, ro["observation-uuid"]))
            for rr in f.get("related-risks", []):
                if rr["risk-uuid"] not in risks:
                    problems.append("results/%d/findings/%d: risk %s is not in its result" % (i, j, rr["risk-uuid"]))
    return problems


def errors(validator, doc, oscal):
    out = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(document)", e.message) for e in validator.iter_errors(doc)]
    if oscal:
        out += cross_references(doc)
    return out


def broken_variants(doc):
    """Copies of a valid document, each broken in one way the schema must refuse."""
    out = []

    def variant(name, change):
        d = copy.deepcopy(doc)
        change(d["assessment-results"])
        out.append((name, d))

    def first_finding(ar):
        for r in ar["results"]:
            if r.get("findings"):
                return r["findings"][0]
        return None

    def first_observation(ar):
        for r in ar["results"]:
            if r.get("observations"):
                return r
        return None

    variant("a UUIDv7 document uuid", lambda ar: ar.__setitem__("uuid", "01890a5d-ac96-774b-bcce-b302099a8057"))
    variant("no import-ap", lambda ar: ar.pop("import-ap"))
    variant("a start time without a timezone", lambda ar: ar["results"][0].__setitem__("start", "2026-03-02T10:00:00"))
    variant("an unknown member", lambda ar: ar["metadata"].__setitem__("sealbook", "x"))
    variant("an empty props array", lambda ar: ar["metadata"].__setitem__("props", []))
    if first_finding(doc["assessment-results"]) is not None:
        variant(
            "a finding state 'pending'",
            lambda ar: first_finding(ar)["target"]["status"].__setitem__("state", "pending"),
        )
    if first_observation(doc["assessment-results"]) is not None:
        variant("an empty observations array", lambda ar: first_observation(ar).__setitem__("observations", []))
    variant("a control-id that is not a token", lambda ar: ar["results"][0]["reviewed-controls"]["control-selections"][0].__setitem__(
        "include-controls", [{"control-id": "1 not a token"}]))
    return out


def main(argv):
    args = list(argv)
    schema_path = OSCAL_SCHEMA
    self_test = False
    if "--schema" in args:
        i = args.index("--schema")
        if i + 1 >= len(args):
            print("--schema needs a file", file=sys.stderr)
            return 2
        schema_path = args[i + 1]
        del args[i : i + 2]
    if "--self-test" in args:
        self_test = True
        args.remove("--self-test")
    if not args or any(a.startswith("-") for a in args):
        print(__doc__, file=sys.stderr)
        return 2
    oscal = os.path.abspath(schema_path) == OSCAL_SCHEMA
    with open(schema_path, encoding="utf-8") as f:
        validator = validator_for(json.load(f))
    ok = True
    for path in args:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: cannot read: %s" % (path, e))
            ok = False
            continue
        errs = errors(validator, doc, oscal)
        if errs:
            ok = False
            print("%s: INVALID (%d problems)" % (path, len(errs)))
            for e in errs[:50]:
                print("  " + e)
        else:
            print("%s: valid against %s (patterns: %s)" % (path, os.path.relpath(schema_path, ROOT), ENGINE))
        if self_test and oscal and not errs:
            for name, d in broken_variants(doc):
                if errors(validator, d, oscal):
                    print("  refused as it must be: %s" % name)
                else:
                    ok = False
                    print("  SELF-TEST FAILED: the validator accepted %s" % name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
