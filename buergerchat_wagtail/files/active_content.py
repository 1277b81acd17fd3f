"""Active content in PDFs: find it and remove it with pikepdf.

Removed (each finding is named in the returned list, for the audit trail):

* document level: ``/OpenAction``, the catalog's ``/AA``, the ``/JavaScript`` and
  ``/EmbeddedFiles`` name trees, ``/XFA`` forms, and the ``/AA`` and dangerous ``/A``
  actions of AcroForm fields (recursively through ``/Kids``);
* pages: ``/AA``;
* annotations: ``/AA``, dangerous ``/A`` actions, and whole annotations that carry a
  file or media (``/FileAttachment``, ``/RichMedia``, ``/Movie``, ``/Sound``,
  ``/Screen``);
* kept actions (a web link, a jump inside the document) lose a ``/Next`` chain,
  which could hold a script.

Dangerous actions are the ones that run something, fetch or send data, or open
another file: JavaScript, Launch, ImportData, SubmitForm, ResetForm, GoToE, GoToR,
RichMediaExecute, Rendition, Movie, Sound, Hide, SetOCGState, Trans, GoTo3DView,
Thread. A PDF without findings is left byte for byte as it was.
"""

import io

import pikepdf
from pikepdf import Array, Dictionary

SAFE_ACTIONS = {"/URI", "/GoTo", "/Named"}
MEDIA_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}


def _dangerous_action(action):
    if not isinstance(action, Dictionary):
        return False
    return "/JS" in action or str(action.get("/S", "")) not in SAFE_ACTIONS


def _drop(container, key, label, found):
    if key in container:
        del container[key]
        found.append(label)


def _clean_action_chain(action, found):
    if isinstance(action, Dictionary) and "/Next" in action:
        del action["/Next"]
        found.append("action /Next")


def _clean_actions_of(obj, where, found):
    """``/AA`` and a dangerous ``/A`` of an annotation or a form field."""
    _drop(obj, "/AA", f"{where} /AA", found)
    if "/A" in obj:
        if _dangerous_action(obj.A):
            del obj["/A"]
            found.append(f"{where} action")
        else:
            _clean_action_chain(obj.A, found)


def _clean_fields(fields, found, seen):
    for field in fields if isinstance(fields, Array) else []:
        if not isinstance(field, Dictionary) or field.objgen in seen and field.objgen != (0, 0):
            continue
        seen.add(field.objgen)
        _clean_actions_of(field, "form field", found)
        _clean_fields(field.get("/Kids"), found, seen)


def _clean_document(pdf):
    found = []
    root = pdf.Root
    _drop(root, "/OpenAction", "/OpenAction", found)
    _drop(root, "/AA", "document /AA", found)
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        _drop(names, "/JavaScript", "/JavaScript", found)
        _drop(names, "/EmbeddedFiles", "/EmbeddedFiles", found)
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary):
        _drop(form, "/XFA", "/XFA", found)
        _clean_fields(form.get("/Fields"), found, set())
    for page in pdf.pages:
        _drop(page.obj, "/AA", "page /AA", found)
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, Array):
            continue
        keep = []
        for annotation in annotations:
            if not isinstance(annotation, Dictionary):
                continue
            if str(annotation.get("/Subtype", "")) in MEDIA_ANNOTATIONS:
                found.append(f"annotation {annotation.Subtype}")
                continue
            _clean_actions_of(annotation, "annotation", found)
            keep.append(annotation)
        if len(keep) != len(annotations):
            page.obj.Annots = Array(keep)
    # Anything left that no structure above points to in the usual way (e.g. an
    # orphaned script object, or an action reached by a path not covered).
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and ("/JS" in obj or str(obj.get("/S", "")) in ("/JavaScript", "/Launch")):
            for key in list(obj.keys()):
                del obj[key]
            found.append("script object")
        elif isinstance(obj, (Dictionary, pikepdf.Stream)) and "/EF" in obj:
            del obj["/EF"]
            found.append("embedded file")
    return found


def remove_active_content(content):
    """``(content, findings)``: the PDF without active content, and what was removed.
    Without findings the original bytes are returned unchanged. Raises pikepdf's
    errors for files it cannot open."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        found = _clean_document(pdf)
        if not found:
            return content, []
        # Unreferenced objects (the removed scripts and files) are not written.
        pdf.remove_unreferenced_resources()
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)
        return out.getvalue(), found


def active_content(content):
    """What ``remove_active_content`` would remove, without changing anything."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        return _clean_document(pdf)

