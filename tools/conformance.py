#!/usr/bin/env python3
"""Build docs/conformance.md from the requirement tags of the tests.

    python3 tools/conformance.py > docs/conformance.md   # regenerate
    python3 tools/conformance.py --check                 # exit 1 if stale
    python3 tools/conformance.py --self-test             # the tag reader

The requirement IDs, levels and texts come from docs/requirements.tsv (a
copy of the SIPconnect 2.0 requirement table: ID, Level, Text, Section).
Tests name the IDs they prove (STYLE.md 19) with a tag line "REQ: ID, ID"
(text in parentheses after an ID is a comment on it, and IDs may follow a
comment: "REQ: SC-6-1 (partly: CANCEL), XFR-2" names SC-6-1 and XFR-2;
an ID inside a comment is only mentioned, not proved; "REQ: none (why)"
says the test proves no requirement):

- Integration tests, tests/integration/NNN-name/: in run.sh a comment line
  "# REQ: SC-8-1", in README.md a line "REQ: SC-8-1". Every folder with a
  run.sh needs a tag in at least one of the two; when both have one, they
  must list the same IDs. Test name: integration/NNN-name.
- Unit tests, tests/unit/<mod>/*.c: a comment "/* REQ: SDP-1, SDP-3 */"
  applies to the next case defined at or after it: a case-table entry
  { "name", fn }, a CASE(name) or TEST(name) macro, or a function fn that
  the file's case table names. Test name: unit/<mod>/<name>. A tag in the
  file's opening comment applies to the whole binary, unit/<mod> (this is
  where "REQ: none (why)" goes). A tag that reaches no case is an error.

--check also fails when a tag names an ID that is not in
docs/requirements.tsv, or an integration folder is missing from
tests/integration/meson.build (it would never run).
"""
import argparse
import csv
import difflib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQS = os.path.join(ROOT, "docs", "requirements.tsv")
OUT = os.path.join(ROOT, "docs", "conformance.md")
INTEGRATION = os.path.join(ROOT, "tests", "integration")
UNIT = os.path.join(ROOT, "tests", "unit")

ID_RE = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]+")
RUNSH_TAG = re.compile(r"^\s*#\s*REQ:(.*)$")
README_TAG = re.compile(r"^\s*REQ:(.*)$")
C_TAG = re.compile(r"REQ:(.*?)(?:\*/|$)")
C_ENTRY = re.compile(r"^\s*\{\s*\"([A-Za-z0-9_.-]+)\"\s*,\s*([A-Za-z_]\w*)\s*\}")
C_MACRO = re.compile(r"\b(?:CASE|TEST)\s*\(\s*\"?([A-Za-z0-9_.-]+)")
C_FUNC = re.compile(r"^[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;]*$")


class Tags:
    def __init__(self):
        self.proves = {}   # test name -> set of IDs
        self.untagged = {}  # test name -> reason of "REQ: none (...)"
        self.errors = []

    def add(self, test, where, text):
        """One tag's text (after "REQ:") for test, found at where."""
        head, comments = split_comments(text)
        head = head.strip().rstrip(".")  # "REQ: none (why)." ends a sentence
        ids = ID_RE.findall(head)
        rest = ID_RE.sub("", head).replace(",", " ").split()
        if rest == ["none"] and not ids:
            self.untagged[test] = comments[0].strip() if comments else ""
            return set()
        if rest or not ids:
            self.errors.append(f"{where}: cannot read tag 'REQ:{text}'")
        self.proves.setdefault(test, set()).update(ids)
        return set(ids)


def split_comments(text):
    """A tag's text without its comments (the parts in parentheses,
    nested ones included; one left open runs to the end of the line), and
    the comments."""
    head, comments, depth = [], [], 0
    for ch in text:
        if ch == "(":
            if depth == 0:
                comments.append("")
                ch = ""
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                continue
        if depth:
            comments[-1] += ch
        else:
            head.append(ch)
    return "".join(head), comments


def rel(path):
    return os.path.relpath(path, ROOT)


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def scan_integration(tags):
    folders = []
    if not os.path.isdir(INTEGRATION):
        return folders
    for name in sorted(os.listdir(INTEGRATION)):
        d = os.path.join(INTEGRATION, name)
        if not (re.match(r"[0-9]{3}-", name) and
                os.path.isfile(os.path.join(d, "run.sh"))):
            continue
        folders.append(name)
        test = f"integration/{name}"
        found = []
        for fname, pat in (("run.sh", RUNSH_TAG), ("README.md", README_TAG)):
            path = os.path.join(d, fname)
            if not os.path.isfile(path):
                continue
            ids, seen = set(), False
            for n, line in enumerate(read_lines(path), 1):
                m = pat.match(line)
                if m:
                    seen = True
                    ids |= tags.add(test, f"{rel(path)}:{n}", m.group(1))
            if seen:
                found.append((fname, ids))
        if not found:
            tags.errors.append(f"{rel(d)}: no 'REQ:' tag in run.sh or README.md")
        elif len(found) == 2 and found[0][1] != found[1][1]:
            tags.errors.append(
                f"{rel(d)}: run.sh tags {sorted(found[0][1])} but README.md "
                f"tags {sorted(found[1][1])}")
    return folders


def scan_unit_file(tags, mod, path):
    pending = []  # (where, text) not yet attached
    on_func = []  # (function, where, text)
    case_of = {}  # function -> case name, from the case table
    header = True  # still in the file's opening comment
    for n, line in enumerate(read_lines(path), 1):
        where = f"{rel(path)}:{n}"
        m = C_TAG.search(line)
        if m and header:
            tags.add(f"unit/{mod}", where, m.group(1))
        elif m:
            pending.append((where, m.group(1)))
        if header and n > 1 and not line.lstrip().startswith("*"):
            header = False
        entry, macro = C_ENTRY.match(line), C_MACRO.search(line)
        func = C_FUNC.match(line)
        if entry:
            case_of[entry.group(2)] = entry.group(1)
        name = (entry or macro) and (entry or macro).group(1)
        if name or func:
            for w, text in pending:
                if name:
                    tags.add(f"unit/{mod}/{name}", w, text)
                else:
                    on_func.append((func.group(1), w, text))
            pending = []
    for w, _ in pending:
        tags.errors.append(f"{w}: REQ tag with no test case after it")
    for fn, w, text in on_func:
        if fn in case_of:
            tags.add(f"unit/{mod}/{case_of[fn]}", w, text)
        else:
            tags.errors.append(f"{w}: REQ tag on {fn}(), which is no case "
                               "of the file's case table")


def scan_unit(tags):
    if not os.path.isdir(UNIT):
        return
    for mod in sorted(os.listdir(UNIT)):
        d = os.path.join(UNIT, mod)
        if not os.path.isdir(d):
            continue
        for fname in sorted(os.listdir(d)):
            if fname.endswith(".c"):
                scan_unit_file(tags, mod, os.path.join(d, fname))


def check_meson(folders, errors):
    path = os.path.join(INTEGRATION, "meson.build")
    text = open(path, encoding="utf-8").read() if os.path.isfile(path) else ""
    listed = set(re.findall(r"'([0-9]{3}-[^']+)'", text))
    for name in folders:
        if name not in listed:
            errors.append(f"{rel(path)}: integration test {name} is not listed")


def load_requirements():
    with open(REQS, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return rows


def cell(text):
    return text.replace("|", "\\|")


def render(reqs, tags):
    by_id = {}
    for test, ids in tags.proves.items():
        for i in ids:
            by_id.setdefault(i, []).append(test)
    out = [
        "# SIPconnect 2.0 conformance",
        "",
        "Generated by `python3 tools/conformance.py > docs/conformance.md`;",
        "do not edit. The rows are docs/requirements.tsv (the requirement",
        "table of SIPconnect 2.0 for the SIP-PBX side, paraphrased); a test",
        "appears next to an ID when its source carries a `REQ:` tag for it",
        "(convention: tools/conformance.py). \"not yet\" means no automated",
        "test proves the requirement. The unit-suite test",
        "`conformance/up-to-date` fails when this file is stale.",
        "",
        "Levels: M = MUST, S = SHOULD, O = MAY, - = informative.",
        "",
    ]
    covered = [r for r in reqs if r["ID"] in by_id]
    must = [r for r in reqs if r["Level"] == "M"]
    out.append(f"Covered: {len(covered)} of {len(reqs)} requirements "
               f"({sum(r['Level'] == 'M' for r in covered)} of {len(must)} "
               "MUST).")
    section = None
    for r in reqs:
        if r["Section"] != section:
            section = r["Section"]
            out += ["", f"## {section}", "",
                    "| ID | Level | Requirement | Tests |",
                    "|---|---|---|---|"]
        tests = ", ".join(f"`{t}`" for t in sorted(by_id.get(r["ID"], [])))
        out.append(f"| {r['ID']} | {r['Level']} | {cell(r['Text'])} | "
                   f"{tests or 'not yet'} |")
    if tags.untagged:
        out += ["", "## Tests that prove no SIPconnect requirement", ""]
        for test in sorted(tags.untagged):
            why = tags.untagged[test]
            out.append(f"- `{test}`" + (f": {why}" if why else ""))
    return "\n".join(out) + "\n"


# Tag texts (after "REQ:") and what they must give: the IDs proved, or
# "none" with its reason. The formats the tests use (grep 'REQ:').
SELF_TESTS = [
    (" SC-8-1", {"SC-8-1"}),
    (" SDP-1, SDP-3 ", {"SDP-1", "SDP-3"}),
    (" SC-6-1 (partly: CANCEL relayed, RFC 3261 9)", {"SC-6-1"}),
    (" SC-6-1 (partly: 18x to re-INVITEs relayed), XFR-2",
     {"SC-6-1", "XFR-2"}),
    (" SC-6-2, SDP-3, XFR-2 (partly: a refresh), SC-6-1 (partly: RFC 4028)",
     {"SC-6-2", "SDP-3", "XFR-2", "SC-6-1"}),
    # A README's line whose comment goes on below.
    (" SC-6-1, STA-1, STA-6 (all partly: RFC 3261 9.1 CANCEL and",
     {"SC-6-1", "STA-1", "STA-6"}),
    (" A-1 (a (nested) comment), B-2", {"A-1", "B-2"}),
    # An ID in a comment is mentioned, not proved.
    (" none (SP-SSE failover; STA-1 by RFC 3263: 028-sse-dns)",
     "SP-SSE failover; STA-1 by RFC 3263: 028-sse-dns"),
    (" none (config has no requirement IDs of its own).",
     "config has no requirement IDs of its own"),
]


def self_test():
    bad = 0
    for text, want in SELF_TESTS:
        tags = Tags()
        got = tags.add("t", "self-test", text)
        if isinstance(want, str):
            ok = not got and tags.untagged.get("t") == want
        else:
            ok = got == want and "t" not in tags.untagged
        ok = ok and not tags.errors
        if not ok:
            bad += 1
            print(f"conformance self-test: 'REQ:{text}' gave "
                  f"{sorted(got)} {tags.untagged} {tags.errors}, "
                  f"want {want}", file=sys.stderr)
    for text in (" SC-6-1 and more", " (only a comment)"):
        tags = Tags()
        tags.add("t", "self-test", text)
        if not tags.errors:
            bad += 1
            print(f"conformance self-test: 'REQ:{text}' not refused",
                  file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(
        description="Build docs/conformance.md from the tests' REQ tags.")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if docs/conformance.md is stale or a tag "
                         "is wrong")
    ap.add_argument("--self-test", action="store_true",
                    help="check the tag reader on the formats in use")
    args = ap.parse_args()
    if args.self_test:
        return self_test()

    reqs = load_requirements()
    known = {r["ID"] for r in reqs}
    tags = Tags()
    folders = scan_integration(tags)
    scan_unit(tags)
    check_meson(folders, tags.errors)
    for test, ids in sorted(tags.proves.items()):
        for i in sorted(ids - known):
            tags.errors.append(f"{test}: unknown requirement ID {i}")
    text = render(reqs, tags)

    for e in tags.errors:
        print(f"conformance: {e}", file=sys.stderr)
    if not args.check:
        sys.stdout.write(text)
        return 1 if tags.errors else 0
    try:
        current = open(OUT, encoding="utf-8").read()
    except OSError:
        current = ""
    if current != text:
        sys.stderr.writelines(difflib.unified_diff(
            current.splitlines(True), text.splitlines(True),
            rel(OUT), "generated"))
        print("conformance: docs/conformance.md is stale; run "
              "python3 tools/conformance.py > docs/conformance.md",
              file=sys.stderr)
        return 1
    return 1 if tags.errors else 0


if __name__ == "__main__":
    sys.exit(main())
