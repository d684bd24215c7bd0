"""What "Copy payload" puts on the clipboard: the exact bytes, and a text form that keeps them.

A clipboard holds one entry in several formats. Every copy of a payload carries its bytes as
``application/octet-stream`` (and under its own media type, e.g. ``application/pdf``, or the
picture type its first bytes announce when it is sent as octet-stream, so that an image editor
pastes a PNG as the picture). The text form is the text itself when the payload is UTF-8;
otherwise no text can hold the bytes, so the copy is offered twice, as base64 and as hex, each
named so in the menu, and either decodes back to every byte. (UTF-8 text that starts with a
byte order mark counts as bytes: a clipboard drops a leading BOM from text.)
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from workbench.client.records import EventRow

OCTET_STREAM = "application/octet-stream"
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
"""Media types a payload's first bytes announce (consulted only for octet-stream payloads)."""
_NOT_MEDIA_TYPES = ("text/plain", "user/")
"""Mimetype texts not put on the clipboard as a format of their own (text goes as text; a
``user/format-N`` is no registered media type)."""


@dataclass(frozen=True, slots=True)
class PayloadCopy:
    """One way to copy a payload.

    Attributes:
        label: the menu's words for it, saying the text form ("Copy payload (base64)").
        text: the clipboard's text.
        formats: media type to bytes, each the payload's exact bytes.
    """

    label: str
    text: str
    formats: dict[str, bytes]


def payload_copies(event: EventRow) -> list[PayloadCopy]:
    """The ways to copy an event's payload: one for UTF-8 text, base64 and hex otherwise."""
    data = event.data
    formats = {OCTET_STREAM: data}
    media_type = event.mimetype_text
    if "/" in media_type and not media_type.startswith(_NOT_MEDIA_TYPES):
        formats[media_type] = data
    if media_type == OCTET_STREAM:
        sniffed = next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)
        if sniffed is not None:
            formats[sniffed] = data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or text.startswith("\ufeff"):
        return [
            PayloadCopy("Copy payload (base64)", base64.b64encode(data).decode("ascii"), formats),
            PayloadCopy("Copy payload (hex)", data.hex(), formats),
        ]
    return [PayloadCopy("Copy payload", text, formats)]
