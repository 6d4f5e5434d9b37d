"""Our event-stream encoder, cross-checked against botocore's decoder (and smithy's encoder when present)."""

from __future__ import annotations

import binascii
import json
import struct
import uuid

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from pytest_bedrock_creds.servers.bedrock.eventstream import encode_frame, error_frame, event_frame, exception_frame


def _decode(data: bytes) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [(dict(m.headers), m.payload) for m in buffer]


def test_event_frame_matches_the_documented_example() -> None:
    frame = event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})
    assert len(frame) == 0x94
    assert frame[:12] == bytes.fromhex("00000094 00000057 b4ab9aee".replace(" ", ""))
    ((headers, payload),) = _decode(frame)
    assert headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(payload) == {"contentBlockIndex": 0, "delta": {"text": "Hi"}}


def test_crcs_are_checked_by_the_real_decoder() -> None:
    frame = bytearray(event_frame("messageStop", {"stopReason": "end_turn"}))
    total, _headers_len, prelude_crc = struct.unpack(">III", frame[:12])
    assert total == len(frame)
    assert prelude_crc == binascii.crc32(frame[:8])
    assert struct.unpack(">I", frame[-4:])[0] == binascii.crc32(frame[:-4])
    frame[-6] ^= 0x01  # flip a payload bit
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(frame))


def test_every_header_type_round_trips() -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers = {"t": True, "f": False, "i32": -7, "i64": 2**40, "bytes": b"\x00\x01", "s": "héllo", "u": ident}
    ((decoded, payload),) = _decode(encode_frame(headers, b"payload"))
    assert payload == b"payload"
    assert decoded == {
        "t": True,
        "f": False,
        "i32": -7,
        "i64": 2**40,
        "bytes": b"\x00\x01",
        "s": "héllo",
        "u": ident.bytes,
    }


def test_many_frames_split_at_any_byte_boundary() -> None:
    frames = [event_frame("contentBlockDelta", {"delta": {"text": str(i)}}) for i in range(5)]
    frames.append(exception_frame("throttlingException", "slow down"))
    frames.append(error_frame("InternalFailure", "boom"))
    data = b"".join(frames)
    buffer = EventStreamBuffer()
    messages = []
    for i in range(0, len(data), 7):  # feed odd-sized pieces, as a chunked HTTP body arrives
        buffer.add_data(data[i : i + 7])
        messages.extend(buffer)
    assert [m.headers[":message-type"] for m in messages] == ["event"] * 5 + ["exception", "error"]
    assert messages[5].headers[":exception-type"] == "throttlingException"
    assert json.loads(messages[5].payload) == {"message": "slow down"}
    assert messages[6].headers[":error-code"] == "InternalFailure"
    assert messages[6].payload == b""


def test_limits_are_enforced() -> None:
    with pytest.raises(ValueError, match=r"1\.\.255"):
        encode_frame({"": "x"})
    with pytest.raises(ValueError, match="65535"):
        encode_frame({"h": "x" * 70000})
    with pytest.raises(ValueError, match="'h': 18446744073709551616 does not fit in 64 bits"):
        encode_frame({"h": 2**64})
    with pytest.raises(ValueError, match=r"header 'h' value is not valid UTF-8 text \(surrogates not allowed at"):
        encode_frame({"h": "a\ud800"})
    with pytest.raises(ValueError, match=r"header name .* is not valid UTF-8"):
        encode_frame({"\udc80": "x"})


def test_byte_identical_to_smithy_encoder() -> None:
    events = pytest.importorskip("smithy_aws_event_stream.events")
    headers = {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}
    payload = b'{"bytes":"eyJ0eXBlIjoiYSJ9"}'
    assert encode_frame(headers, payload) == events.EventMessage(headers=headers, payload=payload).encode()
