"""Copy payload: the exact bytes, under their media types, with a text form that keeps them."""

from __future__ import annotations

import base64

from workbench.client.records import EventRow
from workbench.models.payload_copy import OCTET_STREAM, payload_copies

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"


def _event(data: bytes, mimetype: int) -> EventRow:
    return EventRow(b"t" * 16, 1, b"i" * 10, 0, 0, "T", "1.0.0", mimetype, data)


def test_binary_is_offered_as_base64_and_hex_with_its_bytes() -> None:
    base64_copy, hex_copy = payload_copies(_event(PNG, 0))
    assert base64_copy.label == "Copy payload (base64)" and hex_copy.label == "Copy payload (hex)"
    assert base64.b64decode(base64_copy.text) == PNG and bytes.fromhex(hex_copy.text) == PNG
    assert base64_copy.formats == {OCTET_STREAM: PNG, "image/png": PNG}


def test_text_is_copied_as_itself() -> None:
    text = "Grüße\n\t\x00 東京".encode()
    (copy,) = payload_copies(_event(text, 1))
    assert copy.label == "Copy payload" and copy.text.encode() == text
    assert copy.formats == {OCTET_STREAM: text}
    (json_copy,) = payload_copies(_event(b'{"a": 1}', 50))
    assert json_copy.formats == {OCTET_STREAM: b'{"a": 1}', "application/json": b'{"a": 1}'}


def test_a_named_binary_mimetype_and_text_that_is_not_utf8() -> None:
    pdf = b"%PDF-1.7\n\xe2\xe3\xcf\xd3"
    first, _ = payload_copies(_event(pdf, 512))
    assert first.formats == {OCTET_STREAM: pdf, "application/pdf": pdf}
    latin1 = "café".encode("latin-1")
    first, _ = payload_copies(_event(latin1, 1))
    assert base64.b64decode(first.text) == latin1 and first.formats == {OCTET_STREAM: latin1}
    (user,) = payload_copies(_event(b"x", 1000))  # user/format-0 names no media type
    assert user.formats == {OCTET_STREAM: b"x"}


def test_text_that_starts_with_a_byte_order_mark_is_copied_as_bytes() -> None:
    data = b"\xef\xbb\xbfid,name\n"  # a clipboard drops a leading BOM from text (found by fuzzing)
    labels = [copy.label for copy in payload_copies(_event(data, 2))]
    assert labels == ["Copy payload (base64)", "Copy payload (hex)"]
