#!/usr/bin/env python3
"""Fail (exit 1) if a German catalog has an empty or fuzzy translation.

Usage: python scripts/check_translations.py [PO_FILE ...]

Without arguments, checks the German catalogs of the app and of the demo site.
Uses polib when it is installed; otherwise GNU gettext's ``msgfmt --check
--statistics`` (msgfmt must be on PATH). Exit codes: 0 complete, 1 incomplete
or invalid, 2 a file or msgfmt is missing.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [
    ROOT / "buergerchat_wagtail" / "locale" / "de" / "LC_MESSAGES" / "django.po",
    ROOT / "demo_site" / "home" / "locale" / "de" / "LC_MESSAGES" / "django.po",
]


def check_with_polib(polib, path):
    """Return a list of problems found in one catalog."""
    try:
        po = polib.pofile(str(path))
    except (OSError, ValueError) as exc:
        return [f"cannot parse: {exc}"]
    problems = []
    if po.metadata_is_fuzzy:
        problems.append("the header is marked fuzzy")
    for entry in po:
        if entry.obsolete:
            continue
        where = f"line {entry.linenum}: msgid {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{where} is fuzzy")
        elif entry.msgid_plural:
            if not entry.msgstr_plural or not all(entry.msgstr_plural.values()):
                problems.append(f"{where} has an empty plural msgstr")
        elif not entry.msgstr:
            problems.append(f"{where} is untranslated")
    # polib does not check placeholders; msgfmt does, if it is available.
    problems += msgfmt_check_only(path)
    return problems


def msgfmt_check_only(path):
    """Format checks (placeholders, header) when msgfmt is available; silent otherwise."""
    try:
        result = run_msgfmt(path)
    except FileNotFoundError:
        return []
    return [] if result.returncode == 0 else [f"msgfmt --check failed:\n{result.stderr.strip()}"]


def run_msgfmt(path):
    # LC_ALL=C: the statistics line must be in English to be parsed.
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": ""}
    return subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        env=env,
    )


def count(pattern, text):
    match = re.search(r"(\d+) " + pattern, text)
    return int(match.group(1)) if match else 0


def header_is_fuzzy(path):
    """True if the ``#, fuzzy`` flag sits on the header entry (msgfmt does not count it)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,") and "fuzzy" in line:
            return True
        if line.startswith("msgid "):
            return False
    return False


def check_with_msgfmt(path):
    result = run_msgfmt(path)
    problems = []
    if result.returncode != 0:
        problems.append(f"msgfmt --check failed:\n{result.stderr.strip()}")
    stats = result.stderr
    translated = count(r"translated messages?", stats)
    fuzzy = count(r"fuzzy translations?", stats)
    untranslated = count(r"untranslated messages?", stats)
    if fuzzy:
        problems.append(f"{fuzzy} fuzzy translation(s)")
    if untranslated:
        problems.append(f"{untranslated} untranslated message(s)")
    if result.returncode == 0 and not translated:
        problems.append(f"no translated messages (msgfmt said: {stats.strip()!r})")
    if header_is_fuzzy(path):
        problems.append("the header is marked fuzzy")
    return problems


def main(argv):
    files = [Path(arg) for arg in argv] or DEFAULT_FILES
    try:
        import polib
    except ImportError:
        polib = None

    status = 0
    for path in files:
        label = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if not path.is_file():
            print(f"{label}: file not found", file=sys.stderr)
            status = max(status, 2)
            continue
        try:
            problems = check_with_polib(polib, path) if polib else check_with_msgfmt(path)
        except FileNotFoundError:
            print("msgfmt not found: install GNU gettext (or polib)", file=sys.stderr)
            return 2
        if problems:
            status = max(status, 1)
            print(f"{label}: incomplete", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
        else:
            print(f"{label}: complete ({'polib' if polib else 'msgfmt'})")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
