"""Thumbnails of images sent in a chat.

A thumbnail is made once, when the scan releases an image (attachments.py), from
the file as it is stored, i.e. the copy that uploads.py has already decoded and
re-encoded without metadata; never from what the browser sent. It is stored
encrypted in the private storage beside the file (``thumbnails/``) and served by
the same rights checks as the file itself, inline and never cached.
"""

import io
import logging
import warnings

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.files.storage import private_storage
from buergerchat_wagtail.models.attachments import new_storage_name
from buergerchat_wagtail.models.filetypes import IMAGE_TYPES, FileType

logger = logging.getLogger(__name__)

#: Longest side of a thumbnail in pixels.
MAX_SIDE = 320
_FORMATS = {FileType.JPEG: "JPEG", FileType.PNG: "PNG", FileType.WEBP: "WEBP"}


def make_thumbnail(content, file_type):
    """``(bytes, width, height)`` of a thumbnail of the image ``content`` (same format)."""
    pil_format = _FORMATS[FileType(file_type)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(content), formats=[pil_format]) as image:
            width, height = image.size
            if width * height > buergerchat_settings.MAX_IMAGE_PIXELS:
                raise ValueError("image too large for a thumbnail")
            image.load()
            small = ImageOps.exif_transpose(image).copy()
    small.info = {}
    small.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    options = {}
    if pil_format == "JPEG":
        if small.mode not in ("RGB", "L"):
            small = small.convert("RGB")
        options.update(quality=80, optimize=True)
    elif pil_format == "WEBP":
        options.update(quality=80)
    else:
        options.update(optimize=True)
    out = io.BytesIO()
    small.save(out, format=pil_format, **options)
    return out.getvalue(), small.width, small.height


def store_thumbnail(storage_name, file_type):
    """Make and store the thumbnail of the stored image ``storage_name``.

    Returns the model fields to update (``{}`` for a file that is no image or
    whose thumbnail could not be made: it is then shown as a link only).
    """
    if file_type not in IMAGE_TYPES:
        return {}
    storage = private_storage()
    try:
        with storage.open(storage_name, "rb") as fileobj:
            content = fileobj.read()
        thumbnail, width, height = make_thumbnail(content, file_type)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        logger.warning("no thumbnail for a stored image: %s", exc.__class__.__name__)
        return {}
    name = storage.save(new_storage_name("thumbnails"), ContentFile(thumbnail))
    return {"thumbnail_name": name, "thumbnail_width": width, "thumbnail_height": height}

