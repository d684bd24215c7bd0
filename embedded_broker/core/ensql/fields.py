"""Field references: what a (dotted) field name refers to, and how to read it from a row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from embedded_broker.core.ensql.conversions import (
    Converter,
    _BadValue,
    _id_value,
    _mime_value,
    _time_value,
    _version_value,
)
from embedded_broker.core.ensql.rows import _MISSING, Getter, _lookup, _Row
from embedded_broker.core.mime_names import mime_text
from embedded_broker.core.timestamps import timestamp_ms


def _created_ms(row: _Row) -> object:
    event = row.event
    if not event.HasField("created"):
        return None
    # Never protobuf's ToMilliseconds: it raises for a time stored beyond year 9999.
    return timestamp_ms(event.created.seconds, event.created.nanos)


def _version(row: _Row) -> object:
    kind = row.event.type
    return (kind.major_version, kind.minor_version, kind.patch_version)


_SPECIAL: Final[dict[str, tuple[Getter, Converter | None]]] = {
    "offset": (lambda row: row.record.offset, None),
    "id": (lambda row: row.record.id, _id_value),
    "timestamp": (lambda row: row.record.committed_ms, _time_value),
    "committed": (lambda row: row.record.committed_ms, _time_value),
    "created": (_created_ms, _time_value),
    "type": (lambda row: row.event.type.name, None),
    "type.name": (lambda row: row.event.type.name, None),
    "version": (_version, _version_value),
    "type.version": (_version, _version_value),
    "type.major": (lambda row: row.event.type.major_version, None),
    "type.minor": (lambda row: row.event.type.minor_version, None),
    "type.patch": (lambda row: row.event.type.patch_version, None),
    "type.major_version": (lambda row: row.event.type.major_version, None),
    "type.minor_version": (lambda row: row.event.type.minor_version, None),
    "type.patch_version": (lambda row: row.event.type.patch_version, None),
    "mimetype": (lambda row: mime_text(row.event.mimetype), _mime_value),
}


@dataclass(frozen=True, slots=True)
class _Ref:
    """A field reference. ``kind``: special, metadata, metadata_all, data, data_all or bare."""

    kind: str
    key: str = ""
    path: tuple[str, ...] = ()
    get: Getter | None = None
    convert: Converter | None = None


def _data_getter(path: tuple[str, ...]) -> Getter:
    if len(path) == 1:
        key = path[0]

        def get_field(row: _Row) -> object:
            doc = row.doc()
            return None if doc is None else doc.get(key)

        return get_field

    def get_path(row: _Row) -> object:
        value = _lookup(row.doc(), path)
        return None if value is _MISSING else value

    return get_path


def _bare_getter(key: str, path: tuple[str, ...]) -> Getter:
    data = _data_getter(path)

    def get(row: _Row) -> object:
        metadata = row.event.metadata
        return metadata[key] if key in metadata else data(row)

    return get


def _resolve(parts: list[str], quoted: bool) -> _Ref:
    """Work out what a (dotted) name refers to.

    Raises:
        _BadValue: for ``type.<something unknown>``.
    """
    if not quoted:
        head = parts[0].lower()
        if head == "metadata":
            if len(parts) == 1:
                return _Ref("metadata_all")
            key = ".".join(parts[1:])

            def get_metadata(row: _Row) -> object:
                return row.event.metadata.get(key)

            return _Ref("metadata", key=key, get=get_metadata)
        if head == "data":
            if len(parts) == 1:
                return _Ref("data_all", get=lambda row: row.event.data)
            path = tuple(parts[1:])
            return _Ref("data", key=".".join(path), path=path, get=_data_getter(path))
        special = _SPECIAL.get(".".join(parts).lower())
        if special is not None:
            return _Ref("special", key=head, get=special[0], convert=special[1])
        if head == "type":
            raise _BadValue(
                f"unknown type attribute {'.'.join(parts)!r}; use type.name, type.version, "
                "type.major, type.minor or type.patch"
            )
    key, path = ".".join(parts), tuple(parts)
    return _Ref("bare", key=key, path=path, get=_bare_getter(key, path))
