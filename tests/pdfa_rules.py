"""Offline checks of PDF/A-3b rules with pikepdf and fontTools.

Not a validator: the rules below are the ones a transcript has broken or could
break (veraPDF's numbers in brackets). Each function returns a list of problems
as readable strings, so a test can ``assert problems(document) == []`` and see all
of them at once.
"""

import hashlib
import io
import re
import unicodedata

import pikepdf
from fontTools.ttLib import TTFont

FONT_FILE_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
ASCII_NAME = re.compile(rb"^[\x20-\x7e]+$")


def problems(document):
    """All checks of this module for an open :class:`pikepdf.Pdf`."""
    return [
        *identification_problems(document),
        *output_intent_problems(document),
        *font_embedding_problems(document),
        *glyph_problems(document),
        *embedded_file_problems(document),
        *forbidden_problems(document),
    ]


# -- identification and colour ------------------------------------------------


def identification_problems(document):
    """XMP says PDF/A-3B (6.6.4); the trailer has an /ID (6.1.3)."""
    found = []
    meta = document.open_metadata()
    if meta.get("pdfaid:part") != "3":
        found.append(f"XMP pdfaid:part is {meta.get('pdfaid:part')!r}, not '3'")
    if meta.get("pdfaid:conformance") != "B":
        found.append(f"XMP pdfaid:conformance is {meta.get('pdfaid:conformance')!r}, not 'B'")
    if "/ID" not in document.trailer:
        found.append("the trailer has no /ID")
    return found


def output_intent_problems(document):
    """A GTS_PDFA1 output intent with an embedded ICC profile (6.2.3)."""
    intents = document.Root.get("/OutputIntents")
    if not intents:
        return ["the catalog has no /OutputIntents"]
    found = []
    pdfa = [intent for intent in intents if intent.get("/S") == "/GTS_PDFA1"]
    if len(pdfa) != 1:
        found.append(f"{len(pdfa)} GTS_PDFA1 output intents, not 1")
    for intent in pdfa:
        profile = intent.get("/DestOutputProfile")
        if not isinstance(profile, pikepdf.Stream):
            found.append("an output intent without a /DestOutputProfile stream")
            continue
        data = profile.read_bytes()
        if data[36:40] != b"acsp":
            found.append("the output intent's profile is not an ICC profile")
        if int(profile.get("/N", 0)) not in (1, 3, 4):
            found.append(f"the ICC profile stream has /N {profile.get('/N')}")
    return found


# -- fonts ---------------------------------------------------------------------


def resource_fonts(resources, seen=None):
    """``(name, font dict)`` of a resource dictionary and of the forms, patterns
    and Type 3 fonts it uses, recursively."""
    seen = set() if seen is None else seen
    if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
        return
    seen.add(resources.objgen)
    for name, font in (resources.get("/Font") or {}).items():
        yield name, font
        if font.get("/Subtype") == "/Type3":
            yield from resource_fonts(font.get("/Resources"), seen)
    for group in ("/XObject", "/Pattern"):
        for xobject in (resources.get(group) or {}).values():
            yield from resource_fonts(xobject.get("/Resources"), seen)


def all_fonts(document):
    fonts = {}
    for page in document.pages:
        for _name, font in resource_fonts(page.obj.get("/Resources")):
            fonts[font.objgen if font.is_indirect else id(font)] = font
    return list(fonts.values())


def font_label(font):
    return str(font.get("/BaseFont", font.get("/Name", "Type3 font")))


def descriptor_of(font):
    if font.get("/Subtype") == "/Type0":
        return font.DescendantFonts[0].get("/FontDescriptor")
    return font.get("/FontDescriptor")


def font_embedding_problems(document):
    """Every font program is embedded (6.2.11.4.1); Type 3 fonts carry their
    glyph procedures."""
    found = []
    fonts = all_fonts(document)
    if not fonts:
        found.append("no fonts in the document")
    for font in fonts:
        if font.get("/Subtype") == "/Type3":
            if not font.get("/CharProcs"):
                found.append(f"{font_label(font)}: Type 3 font without /CharProcs")
            continue
        descriptor = descriptor_of(font)
        if descriptor is None or not any(key in descriptor for key in FONT_FILE_KEYS):
            found.append(f"{font_label(font)}: font program not embedded")
    return found


def font_program(font):
    """The embedded font of a Type0 or TrueType font as a fontTools TTFont."""
    descriptor = descriptor_of(font)
    for key in ("/FontFile2", "/FontFile3"):
        stream = descriptor.get(key) if descriptor is not None else None
        if stream is not None:
            if key == "/FontFile3" and stream.get("/Subtype") != "/OpenType":
                raise ValueError(f"{font_label(font)}: cannot read a {stream.get('/Subtype')} font program")
            return TTFont(io.BytesIO(stream.read_bytes()), lazy=False)
    raise ValueError(f"{font_label(font)}: no TrueType or OpenType program embedded")


def to_unicode(font):
    """``{code: text}`` from a font's /ToUnicode CMap (bfchar and bfrange)."""
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    cmap = stream.read_bytes().decode("latin-1")
    mapping = {}

    def text(hexstring):
        return bytes.fromhex(hexstring).decode("utf-16-be", "replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            mapping[int(code, 16)] = text(value)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
        for start, end, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            base = int(value, 16)
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = chr(base + offset) if base + offset < 0x110000 else "\ufffd"
    return mapping


def embedded_cmap(stream):
    """``{code: CID}`` of an embedded 2-byte encoding CMap (cidchar and cidrange)."""
    cmap = stream.read_bytes().decode("latin-1")
    spaces = re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", "".join(re.findall(r"begincodespacerange(.*?)endcodespacerange", cmap, re.DOTALL)))
    if spaces != [("0000", "ffff")] and spaces != [("0000", "FFFF")]:
        raise ValueError(f"an encoding CMap with code space {spaces} is not checked here")
    mapping = {}
    for block in re.findall(r"begincidchar(.*?)endcidchar", cmap, re.DOTALL):
        for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s*(\d+)", block):
            mapping[int(code, 16)] = int(cid)
    for block in re.findall(r"begincidrange(.*?)endcidrange", cmap, re.DOTALL):
        for start, end, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\d+)", block):
            for offset, code in enumerate(range(int(start, 16), int(end, 16) + 1)):
                mapping[code] = int(cid) + offset
    return mapping


def may_be_empty(text):
    """A glyph for ``text`` may draw nothing: spaces and invisible characters."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs", "Mn") for ch in text)


class FontCheck:
    """Decodes shown strings of one font into glyphs and checks each glyph."""

    def __init__(self, font):
        self.font = font
        self.label = font_label(font)
        self.subtype = font.get("/Subtype")
        self.unicode = to_unicode(font)
        self.problem = None
        self.ttfont = None
        self.cid_to_gid = None
        try:
            self.code_to_cid = None
            if self.subtype == "/Type0":
                encoding = font.get("/Encoding")
                if isinstance(encoding, pikepdf.Stream):
                    self.code_to_cid = embedded_cmap(encoding)
                elif encoding not in ("/Identity-H", "/Identity-V"):
                    raise ValueError(f"{self.label}: encoding {encoding} is not checked here")
                descendant = font.DescendantFonts[0]
                self.ttfont = font_program(font)
                mapping = descendant.get("/CIDToGIDMap", pikepdf.Name("/Identity"))
                if isinstance(mapping, pikepdf.Stream):
                    data = mapping.read_bytes()
                    self.cid_to_gid = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
            elif self.subtype == "/TrueType":
                self.ttfont = font_program(font)
            elif self.subtype != "/Type3":
                raise ValueError(f"{self.label}: font subtype {self.subtype} is not checked here")
        except ValueError as exc:
            self.problem = str(exc)

    def codes(self, data):
        if self.subtype == "/Type0":
            if len(data) % 2:
                yield None
            for i in range(0, len(data) - 1, 2):
                yield int.from_bytes(data[i : i + 2], "big")
        else:
            yield from data

    def check(self, data):
        """Problems of one shown string."""
        if self.problem:
            return [self.problem]
        found = []
        for code in self.codes(bytes(data)):
            if code is None:
                found.append(f"{self.label}: odd number of bytes in a 2-byte string")
                continue
            message = self.check_code(code)
            if message:
                found.append(f"{self.label}: code {code:#06x} ({self.unicode.get(code, '?')!r}): {message}")
        return found

    def check_code(self, code):
        if self.subtype == "/Type3":
            return self.check_type3(code)
        if self.subtype == "/Type0":
            if self.code_to_cid is not None:
                if code not in self.code_to_cid:
                    return "code not in the font's encoding CMap"
                code = self.code_to_cid[code]
            if self.cid_to_gid is None:
                gid = code
            elif code < len(self.cid_to_gid):
                gid = self.cid_to_gid[code]
            else:
                return "CID beyond the CIDToGIDMap"
        else:
            cmap = self.ttfont["cmap"]
            table = cmap.getcmap(3, 0) or cmap.getcmap(1, 0)
            gid = self.ttfont.getGlyphID(table.cmap[code]) if table and code in table.cmap else 0
        if gid == 0:
            return "shows .notdef (6.2.11.8)"
        if gid >= self.ttfont["maxp"].numGlyphs:
            return f"glyph {gid} is not in the embedded font ({self.ttfont['maxp'].numGlyphs} glyphs) (6.2.11.4.1)"
        if "glyf" in self.ttfont:
            glyph = self.ttfont["glyf"][self.ttfont.getGlyphName(gid)]
            text = self.unicode.get(code)
            if glyph.numberOfContours == 0 and text and not may_be_empty(text):
                return f"glyph {gid} is empty for a visible character"
        return None

    def check_type3(self, code):
        encoding = self.font.get("/Encoding")
        names = {}
        if encoding is not None:
            current = 0
            for item in encoding.get("/Differences", []):
                if isinstance(item, int):
                    current = int(item)
                else:
                    names[current] = str(item)
                    current += 1
        name = names.get(code)
        if name is None or name not in self.font.CharProcs:
            return "no glyph procedure in the Type 3 font"
        return None


def shown_strings(operator, operands):
    if operator in ("Tj", "'"):
        return [operands[0]]
    if operator == '"':
        return [operands[2]]
    if operator == "TJ":
        return [item for item in operands[0] if isinstance(item, pikepdf.String)]
    return []


def content_glyph_problems(stream_owner, resources, checks, seen):
    found = []
    fonts = resources.get("/Font") if resources is not None else None
    xobjects = resources.get("/XObject") if resources is not None else None
    current, stack = None, []
    for operands, operator in pikepdf.parse_content_stream(stream_owner):
        op = str(operator)
        if op == "q":
            stack.append(current)
        elif op == "Q":
            current = stack.pop() if stack else None
        elif op == "Tf":
            font = fonts.get(str(operands[0])) if fonts is not None else None
            if font is None:
                found.append(f"Tf names font {operands[0]} that the resources do not have")
                current = None
                continue
            key = font.objgen if font.is_indirect else id(font)
            if key not in checks:
                checks[key] = FontCheck(font)
            current = checks[key]
        elif op in ("Tj", "TJ", "'", '"'):
            if current is None:
                found.append(f"{op} without a font")
                continue
            for data in shown_strings(op, operands):
                found.extend(current.check(data))
        elif op == "Do" and xobjects is not None:
            xobject = xobjects.get(str(operands[0]))
            if xobject is not None and xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                found.extend(
                    content_glyph_problems(xobject, xobject.get("/Resources", resources), checks, seen)
                )
    return found


def glyph_problems(document):
    """Every glyph shown by a text operator exists in the embedded font program
    and is not .notdef; a visible character's glyph is not empty."""
    checks, seen, found = {}, set(), []
    for number, page in enumerate(document.pages, start=1):
        for problem in content_glyph_problems(page.obj, page.obj.get("/Resources"), checks, seen):
            found.append(f"page {number}: {problem}")
    return list(dict.fromkeys(found))


# -- embedded files --------------------------------------------------------------


def name_tree_items(node):
    """``(key bytes, value)`` of a name tree, in the order stored."""
    items = []
    names = node.get("/Names")
    if names is not None:
        for i in range(0, len(names), 2):
            items.append((bytes(names[i]), names[i + 1]))
    for kid in node.get("/Kids", []):
        items.extend(name_tree_items(kid))
    return items


def embedded_files(document):
    names = document.Root.get("/Names")
    tree = names.get("/EmbeddedFiles") if names is not None else None
    return name_tree_items(tree) if tree is not None else []


def embedded_file_problems(document):
    """PDF/A-3 associated files (6.8): each file spec has /F (here: ASCII) and
    /UF, /AFRelationship, an embedded stream with a MIME /Subtype and /Params
    with the right /CheckSum and /Size; the catalog's /AF names each spec once;
    name-tree keys are ASCII, unique and sorted."""
    found = []
    items = embedded_files(document)
    keys = [key for key, _spec in items]
    if keys != sorted(keys):
        found.append("the EmbeddedFiles name tree is not sorted")
    if len(set(keys)) != len(keys):
        found.append("the EmbeddedFiles name tree has a key twice")
    file_names = []
    for key, spec in items:
        label = key.decode("latin-1")
        if not ASCII_NAME.match(key):
            found.append(f"name-tree key {label!r} is not ASCII")
        if spec.get("/Type") != "/Filespec":
            found.append(f"{label}: not a /Filespec")
        file_name = spec.get("/F")
        if file_name is None or not ASCII_NAME.match(bytes(file_name)):
            found.append(f"{label}: /F is missing or not ASCII")
        else:
            file_names.append(bytes(file_name))
        if not isinstance(spec.get("/UF"), pikepdf.String) or not str(spec.UF):
            found.append(f"{label}: no /UF")
        if not isinstance(spec.get("/AFRelationship"), pikepdf.Name):
            found.append(f"{label}: no /AFRelationship")
        stream = spec.get("/EF", {}).get("/F")
        if not isinstance(stream, pikepdf.Stream):
            found.append(f"{label}: no embedded file stream")
            continue
        subtype = str(stream.get("/Subtype", ""))
        if not re.match(r"^/[\w.+-]+/[\w.+-]+$", subtype):
            found.append(f"{label}: /Subtype {subtype!r} is not a MIME type")
        content = stream.read_bytes()
        params = stream.get("/Params", {})
        if bytes(params.get("/CheckSum", b"")) != hashlib.md5(content).digest():
            found.append(f"{label}: /Params /CheckSum does not match the content")
        if int(params.get("/Size", -1)) != len(content):
            found.append(f"{label}: /Params /Size does not match the content")
    if len(set(file_names)) != len(file_names):
        found.append("two embedded files have the same /F")
    specs = [spec.objgen for _key, spec in items]
    associated = [spec.objgen for spec in document.Root.get("/AF", [])]
    if sorted(associated) != sorted(specs):
        found.append(f"/AF lists {len(associated)} entries for {len(specs)} embedded files")
    return found


# -- actions and encryption ------------------------------------------------------------


def forbidden_problems(document):
    """No JavaScript (6.6.1), no additional actions, no encryption (6.1.3)."""
    found = []
    if document.is_encrypted or "/Encrypt" in document.trailer:
        found.append("the document is encrypted")
    for key in ("/OpenAction", "/AA"):
        if key in document.Root:
            found.append(f"the catalog has {key}")
    names = document.Root.get("/Names")
    if names is not None and "/JavaScript" in names:
        found.append("the catalog's name dictionary has /JavaScript")
    for obj in document.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            keys = set(obj.keys())
            if keys & {"/JS", "/JavaScript"} or obj.get("/S") in ("/JavaScript", "/Launch"):
                found.append(f"object {obj.objgen} is a JavaScript or launch action")
    for number, page in enumerate(document.pages, start=1):
        if "/AA" in page.obj:
            found.append(f"page {number} has /AA")
    return found
