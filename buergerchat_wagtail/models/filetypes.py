"""The file types an attachment may have, and a model field for a department's choice."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class FileType(models.TextChoices):
    """Types are decided by the file's content (see uploads.py), never by its name."""

    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    WEBP = "webp", "WebP"


#: kind -> (MIME type, canonical file extension)
FILE_TYPE_INFO = {
    FileType.PDF: ("application/pdf", "pdf"),
    FileType.JPEG: ("image/jpeg", "jpg"),
    FileType.PNG: ("image/png", "png"),
    FileType.WEBP: ("image/webp", "webp"),
}
IMAGE_TYPES = frozenset({FileType.JPEG, FileType.PNG, FileType.WEBP})
DEFAULT_FILE_TYPES = [FileType.PDF.value, FileType.JPEG.value, FileType.PNG.value]


def default_file_types():
    return list(DEFAULT_FILE_TYPES)


def mime_type(kind):
    return FILE_TYPE_INFO[FileType(kind)][0]


def extension(kind):
    return FILE_TYPE_INFO[FileType(kind)][1]


def labels(kinds):
    """"PDF, JPEG, PNG" for messages to people."""
    return ", ".join(FileType(kind).label for kind in kinds)


class FileTypesField(models.CharField):
    """A list of :class:`FileType` values, stored as ``"pdf,jpeg,png"`` and edited
    as checkboxes. An empty list switches attachments off."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("default", default_file_types)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        kwargs.pop("blank", None)
        if kwargs.get("default") is default_file_types:
            kwargs.pop("default")
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None:
            return []
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [part for part in str(value).split(",") if part]

    def get_prep_value(self, value):
        return ",".join(self.to_python(value))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        unknown = set(self.to_python(value)) - set(FileType.values)
        if unknown:
            raise ValidationError(_("Unknown file type: %(types)s"), params={"types": ", ".join(sorted(unknown))})

    def run_validators(self, value):
        # The CharField max-length validator would see a list.
        return None

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": FileType.choices,
            "widget": forms.CheckboxSelectMultiple,
            "required": False,
            "label": self.verbose_name,
            "help_text": self.help_text,
            "initial": default_file_types,
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        for key in ("max_length", "empty_value", "coerce"):
            defaults.pop(key, None)
        return form_class(**defaults)
