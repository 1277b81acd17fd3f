"""Repairs of WeasyPrint's PDF/A-3 output, with pikepdf.

WeasyPrint 70 lists each embedded file twice in the catalog's ``/AF``, writes the
file name into ``/F`` and the name-tree keys as raw UTF-8 bytes (which a reader
decodes as PDFDocEncoding: ``GrundstÃ¼ck``), and does not sort the name tree.
:func:`fix_embedded_files` gives every file one ``/AF`` entry, an ASCII ``/F``
(transliterated, unique) that is also its name-tree key, and the real name in
``/UF`` as a PDF text string. The XMP metadata, the document information and the
output intent are not touched (no new ModDate in either).
"""

import io
import re
import unicodedata

import pikepdf

#: German letters and a few others whose decomposition does not give ASCII.
TRANSLITERATION = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Œ": "OE",
        "œ": "oe",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "ı": "i",
    }
)
UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()+,=@\[\]-]+")
FALLBACK_STEM = "file"


def ascii_file_name(name, used):
    """An ASCII form of ``name`` for ``/F``, unique among ``used`` (updated)."""
    ascii_name = unicodedata.normalize("NFKD", str(name).translate(TRANSLITERATION))
    ascii_name = "".join(ch for ch in ascii_name if not unicodedata.combining(ch))
    ascii_name = UNSAFE_ASCII.sub("_", ascii_name.encode("ascii", "replace").decode("ascii").replace("?", "_"))
    stem, dot, ext = ascii_name.rpartition(".")
    if not dot:
        stem, ext = ascii_name, ""
    stem = re.sub(r"_{2,}", "_", stem).strip(" _.") or FALLBACK_STEM
    ext = ext.strip(" _")
    candidate, number = f"{stem}.{ext}" if ext else stem, 2
    while candidate in used:
        candidate = f"{stem} ({number}).{ext}" if ext else f"{stem} ({number})"
        number += 1
    used.add(candidate)
    return candidate


def name_tree_specs(node):
    specs = []
    names = node.get("/Names")
    if names is not None:
        specs.extend(names[i] for i in range(1, len(names), 2))
    for kid in node.get("/Kids", []):
        specs.extend(name_tree_specs(kid))
    return specs


def real_name(spec):
    """The file name of a file spec: ``/UF`` (WeasyPrint writes it right), else
    ``/F`` read as the UTF-8 that WeasyPrint puts there."""
    if "/UF" in spec:
        return str(spec.UF)
    return bytes(spec.F).decode("utf-8", "replace")


def fix_embedded_files(pdf_bytes):
    """``pdf_bytes`` with the embedded files' names and ``/AF`` repaired; a PDF
    without embedded files is returned as it is."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as document:
        if not repair_embedded_files(document):
            return pdf_bytes
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def repair_embedded_files(document):
    """:func:`fix_embedded_files` on an open :class:`pikepdf.Pdf`; False if it has
    no embedded files (nothing changed)."""
    names = document.Root.get("/Names")
    tree = names.get("/EmbeddedFiles") if names is not None else None
    if tree is None:
        return False
    used, entries = set(), []
    for spec in name_tree_specs(tree):
        name = real_name(spec)
        ascii_name = ascii_file_name(name, used)
        spec.F = pikepdf.String(ascii_name)
        spec.UF = pikepdf.String(name)
        entries.append((ascii_name.encode("ascii"), spec))
    entries.sort(key=lambda entry: entry[0])
    flat = pikepdf.Array()
    for key, spec in entries:
        flat.append(pikepdf.String(key))
        flat.append(spec)
    tree.Names = flat
    if "/Kids" in tree:
        del tree.Kids
    document.Root.AF = pikepdf.Array([spec for _key, spec in entries])
    return True
