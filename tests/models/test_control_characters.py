"""Names and titles of the models refuse control characters (CR, LF, tab, NUL …):
they end up in calendar feeds, e-mail subjects, PDFs and the admin."""

import pytest
from django.core.exceptions import ValidationError

from buergerchat_wagtail.models import (
    CannedAnswer,
    ConsultationSession,
    ConversationTag,
    Department,
    OfficeHours,
    SavedInboxView,
)
from buergerchat_wagtail.models.validators import validate_no_control_characters

FIELDS = [
    (Department, "name"),
    (ConsultationSession, "title"),
    (ConsultationSession, "host"),
    (CannedAnswer, "title"),
    (OfficeHours, "name"),
    (ConversationTag, "name"),
    (SavedInboxView, "name"),
]


@pytest.mark.parametrize("value", ["Amt\r\nX-EVIL:1", "Amt\nB", "Amt\rB", "A\tB", "A\x00B", "A\x1bB", "A\u2028B", "A\x85B"])
def test_validator_refuses_control_characters(value):
    with pytest.raises(ValidationError):
        validate_no_control_characters(value)


@pytest.mark.parametrize("value", ["Bürgerbüro", "Amt für Straßen – Süd (Nord/Ost) „Test“", ""])
def test_validator_accepts_ordinary_names(value):
    validate_no_control_characters(value)


@pytest.mark.parametrize("model, field", FIELDS)
def test_name_and_title_fields_use_the_validator(model, field):
    validators = model._meta.get_field(field).validators
    assert validate_no_control_characters in validators
    with pytest.raises(ValidationError):
        model._meta.get_field(field).run_validators("Amt\r\nX-EVIL:1")
