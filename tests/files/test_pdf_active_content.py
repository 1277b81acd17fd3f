"""Uploaded PDFs lose their active content (JavaScript, automatic and launch actions,
embedded files, form actions, XFA), or are refused, as the department chooses; the
audit trail keeps the original's SHA-256 next to the cleaned file's."""

import hashlib
import io
import uuid

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String
from wagtail.models import ModelLogEntry

from buergerchat_wagtail.conversations import audit
from buergerchat_wagtail.files import attachments
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.files.uploads import inspect_upload
from buergerchat_wagtail.models import Department, PdfActiveContent, SenderType
from buergerchat_wagtail.protocol.frames import ProtocolError
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db

ACTIVE_MARKERS = (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/AA", b"/XFA", b"/EmbeddedFiles", b"calc.exe")


def js(code):
    return Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String(code))


def active_pdf():
    """One page with every kind of active content the cleaner knows, plus a harmless
    web link that must survive."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0].obj
    root = pdf.Root
    root.OpenAction = pdf.make_indirect(js("app.alert('open')"))
    root.AA = Dictionary(WC=js("app.alert('close')"))
    embedded = pdf.make_stream(b"MZ evil program")
    embedded.Type = Name.EmbeddedFile
    root.Names = Dictionary(
        JavaScript=Dictionary(Names=Array([String("doc"), pdf.make_indirect(js("app.alert('doc')"))])),
        EmbeddedFiles=Dictionary(
            Names=Array([String("evil.exe"), Dictionary(Type=Name.Filespec, F=String("evil.exe"), EF=Dictionary(F=embedded))])
        ),
    )
    page.AA = Dictionary(O=js("app.alert('page')"))
    launch = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 50, 50]),
                        A=Dictionary(S=Name.Launch, F=String("calc.exe")))
    web = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([60, 0, 110, 50]),
                     A=Dictionary(S=Name.URI, URI=String("https://www.musterstadt.de/")))
    chained = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([120, 0, 170, 50]),
                         A=Dictionary(S=Name.URI, URI=String("https://example.org/"), Next=js("app.alert('next')")))
    attachment_annot = Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([0, 60, 20, 80]),
                                  FS=Dictionary(Type=Name.Filespec, F=String("x.exe"), EF=Dictionary(F=embedded)))
    field = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("name"),
                                         Rect=Array([0, 100, 100, 120]), P=page,
                                         AA=Dictionary(K=js("app.alert('key')")), A=js("app.alert('field')")))
    page.Annots = pdf.make_indirect(Array([pdf.make_indirect(launch), pdf.make_indirect(web), pdf.make_indirect(chained),
                                           pdf.make_indirect(attachment_annot), field]))
    root.AcroForm = Dictionary(Fields=Array([field]), XFA=pdf.make_stream(b"<xdp:xdp/>"))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def assert_inactive(content):
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == 1
        uris = [str(annot.A.URI) for annot in pdf.pages[0].obj.get("/Annots", []) if "/A" in annot and "/URI" in annot.A]
        assert "https://www.musterstadt.de/" in uris
        for obj in pdf.objects:
            if isinstance(obj, (Dictionary, pikepdf.Stream)):
                keys = set(obj.keys())
                assert not keys & {"/JS", "/OpenAction", "/AA", "/XFA", "/EmbeddedFiles", "/EF", "/Next"}, keys
                assert obj.get("/S") not in (Name.JavaScript, Name.Launch)
    unpacked = pikepdf.open(io.BytesIO(content))
    out = io.BytesIO()
    unpacked.save(out, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    for marker in ACTIVE_MARKERS:
        assert marker not in out.getvalue(), marker


def test_the_test_pdf_is_active():
    raw = active_pdf()
    assert b"/OpenAction" in raw and b"/Launch" in raw


def test_active_content_is_removed_by_default(dept_a, start_conversation):
    assert dept_a.pdf_active_content == PdfActiveContent.REMOVE
    conversation, _secret = start_conversation(dept_a)
    original = active_pdf()
    message, _created = attachments.store_attachment(
        conversation=conversation, sender=SenderType.CITIZEN, uploaded=upload("Antrag.pdf", original), client_id=uuid.uuid4()
    )
    attachment = message.attachment
    with private_storage().open(attachment.storage_name, "rb") as stored:
        content = stored.read()
    assert content != original
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert_inactive(content)
    entry = ModelLogEntry.objects.get(action=audit.PDF_CLEANED)
    assert entry.data["attachment"] == attachment.pk
    assert entry.data["original_sha256"] == hashlib.sha256(original).hexdigest()
    assert entry.data["sha256"] == attachment.sha256


def test_department_can_refuse_pdfs_with_active_content(dept_a):
    Department.objects.filter(pk=dept_a.pk).update(pdf_active_content=PdfActiveContent.REFUSE)
    dept_a.refresh_from_db()
    with pytest.raises(ProtocolError) as caught:
        inspect_upload(upload("Antrag.pdf", active_pdf()), dept_a)
    assert caught.value.code == "attachment_active_content"


@pytest.mark.parametrize("policy", [PdfActiveContent.REMOVE, PdfActiveContent.REFUSE])
def test_a_plain_pdf_is_kept_byte_for_byte(dept_a, policy):
    dept_a.pdf_active_content = policy
    clean = inspect_upload(upload("Plan.pdf", pdf_bytes()), dept_a)
    assert clean.content == pdf_bytes()
    assert clean.original_sha256 == clean.sha256
