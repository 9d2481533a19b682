import msgpack
import pytest

from sidecar_shared import protocol
from sidecar_shared.protocol import Code, ProtocolError


def test_request_roundtrip():
    message = protocol.request("search", {"query": "tea"})
    decoded = protocol.parse_request(protocol.pack(message))
    assert decoded["op"] == "search" and decoded["args"] == {"query": "tea"}
    assert decoded["v"] == protocol.VERSION and len(decoded["id"]) == 32


@pytest.mark.parametrize(
    "frame, code",
    [
        (b"\xc1\xc1 not msgpack", Code.BAD_FRAME),
        (msgpack.packb([1, 2, 3]), Code.BAD_FRAME),
        (msgpack.packb({"v": 99, "id": "x", "op": "ping"}), Code.BAD_VERSION),
        (msgpack.packb({"v": 1, "op": "ping"}), Code.BAD_REQUEST),
        (msgpack.packb({"v": 1, "id": "x", "op": 5}), Code.BAD_REQUEST),
        (msgpack.packb({"v": 1, "id": "x", "op": "add", "args": [1]}), Code.BAD_REQUEST),
        (b"\x00" * (protocol.MAX_REQUEST_BYTES + 1), Code.TOO_LARGE),
    ],
)
def test_bad_frames_raise_stable_codes(frame, code):
    with pytest.raises(ProtocolError) as info:
        protocol.parse_request(frame)
    assert info.value.code == code
    assert info.value.message


def test_peek_id_recovers_id_from_invalid_request():
    assert protocol.peek_id(msgpack.packb({"v": 7, "id": "abc"})) == "abc"
    assert protocol.peek_id(b"garbage\xc1") is None


def test_pack_carries_unencodable_values_as_text():
    import datetime

    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    assert protocol.unpack(protocol.pack({"t": when}))["t"] == str(when)


@pytest.mark.parametrize("version", [1.0, True, "1", None, 2, [1]])
def test_only_the_integer_one_is_version_one(version):
    with pytest.raises(ProtocolError) as info:
        protocol.parse_request(msgpack.packb({"v": version, "id": "x", "op": "ping"}))
    assert info.value.code == Code.BAD_VERSION


@pytest.mark.parametrize("field, value", [
    ("op", "search\nforged=1"), ("op", "ping\x00"), ("op", "a\u2028b"), ("op", ""), ("op", "x" * 65),
    ("id", "x\ny"), ("id", "x\r"), ("id", "\x85"), ("id", "x" * 129),
])
def test_op_names_and_ids_with_control_characters_are_refused(field, value):
    message = {"v": 1, "id": "x", "op": "ping", field: value}
    with pytest.raises(ProtocolError) as info:
        protocol.parse_request(msgpack.packb(message))
    assert info.value.code == Code.BAD_REQUEST


def test_peek_id_returns_only_usable_ids():
    assert protocol.peek_id(msgpack.packb({"v": 7, "id": "x\nforged"})) is None


def test_printable_escapes_line_breaks_and_bounds_length():
    assert protocol.printable("a\nb\x00c\u2028") == "a\\nb\\x00c\\u2028"
    assert "\n" not in protocol.printable(["x\ny"])
    assert len(protocol.printable("z" * 1000, 50)) == 50
