"""Fill German msgstrs from JSON dicts {msgid: msgstr or [singular, plural]}:

    python scripts/fill_po.py scripts/translations/*.json
"""
import json
import sys

import polib

po = polib.pofile("buergerchat_wagtail/locale/de/LC_MESSAGES/django.po")
data = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        data.update(json.load(f))
for entry in po:
    if entry.msgid not in data:
        continue
    value = data[entry.msgid]
    if entry.msgid_plural:
        singular, plural = value if isinstance(value, list) else (value, value)
        entry.msgstr_plural = {0: singular, 1: plural}
    else:
        entry.msgstr = value[0] if isinstance(value, list) else value
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
po.save()
missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
print("still missing:", missing)
