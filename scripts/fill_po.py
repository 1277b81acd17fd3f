"""Fill German msgstrs from a JSON dict {msgid: msgstr}: python scripts/fill_po.py FILE.json"""
import json
import sys

import polib

po = polib.pofile("buergerchat_wagtail/locale/de/LC_MESSAGES/django.po")
data = json.load(open(sys.argv[1]))
for entry in po:
    if entry.msgid in data:
        entry.msgstr = data[entry.msgid]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
po.save()
missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
print("still missing:", missing)
