"""Just enough of the protobuf wire format to read and rewrite an ONNX model without the ``onnx`` package.

A message is read as a list of :class:`Field` (number, wire type, value) in file order and
written back the same way, so every field this module does not understand is kept as it
was. Large values (an initializer's ``raw_data``) stay :class:`memoryview` slices of the
model's bytes: reading the 23 MB model copies none of its weights.

The field numbers used by :mod:`sidecar.store.embedder_graph` are those of ``onnx.proto``
(ONNX IR version 3 and later; they have never changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class ProtoError(ValueError):
    """The bytes are not a protobuf message this reader understands."""


@dataclass
class Field:
    number: int
    wire: int
    value: int | memoryview | bytes


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtoError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtoError("varint longer than 64 bits")


def parse(data: bytes | memoryview) -> list[Field]:
    """The fields of one message, in order (nested messages stay bytes: parse them when needed)."""
    view = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
    fields: list[Field] = []
    pos = 0
    while pos < len(view):
        key, pos = _varint(view, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _varint(view, pos)
            fields.append(Field(number, wire, value))
            continue
        if wire == LENGTH:
            size, pos = _varint(view, pos)
            end = pos + size
        elif wire in (FIXED64, FIXED32):
            end = pos + (8 if wire == FIXED64 else 4)
        else:
            raise ProtoError(f"unsupported wire type {wire} for field {number}")
        if end > len(view):
            raise ProtoError(f"field {number} runs past the end of the message")
        fields.append(Field(number, wire, view[pos:end]))
        pos = end
    return fields


def _encode_varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # protobuf writes negative int64 as ten bytes
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _pieces(fields: Iterable[Field]) -> Iterator[bytes | memoryview]:
    for field in fields:
        yield _encode_varint(field.number << 3 | field.wire)
        if field.wire == VARINT:
            assert isinstance(field.value, int)
            yield _encode_varint(field.value)
        else:
            assert not isinstance(field.value, int)
            if field.wire == LENGTH:
                yield _encode_varint(len(field.value))
            yield field.value


def write(fields: Iterable[Field]) -> bytes:
    """The bytes of a message made of ``fields``."""
    return b"".join(_pieces(fields))


def text(value: int | memoryview | bytes) -> str:
    """A string field's value."""
    if isinstance(value, int):
        raise ProtoError("expected a string field, got a varint")
    return bytes(value).decode("utf-8")


def string(number: int, value: str) -> Field:
    return Field(number, LENGTH, value.encode("utf-8"))


def message(number: int, fields: Iterable[Field]) -> Field:
    return Field(number, LENGTH, write(fields))


def integers(fields: Iterable[Field], number: int) -> list[int]:
    """The values of a repeated integer field, packed or not."""
    out: list[int] = []
    for field in fields:
        if field.number != number:
            continue
        if isinstance(field.value, int):
            out.append(field.value)
            continue
        packed = memoryview(field.value)
        pos = 0
        while pos < len(packed):
            value, pos = _varint(packed, pos)
            out.append(value)
    return [v - (1 << 64) if v >= 1 << 63 else v for v in out]
