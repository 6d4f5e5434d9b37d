"""A small encoder for ``application/vnd.amazon.eventstream`` frames (stdlib only).

Frame layout, all big-endian::

    total_length u32 | headers_length u32 | prelude_crc u32 | headers | payload | message_crc u32

``prelude_crc`` is the CRC-32 of the first 8 bytes and ``message_crc`` the CRC-32 of everything
before it. The test suite cross-checks this encoder against botocore's ``EventStreamBuffer``
decoder and smithy's ``EventMessage.encode()``.
"""

from __future__ import annotations

import binascii
import json
import struct
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "encode_frame",
    "error_frame",
    "event_frame",
    "exception_frame",
]

CONTENT_TYPE = "application/vnd.amazon.eventstream"

#: Header value type codes.
_TRUE, _FALSE, _BYTE, _INT16, _INT32, _INT64, _BYTES, _STRING, _TIMESTAMP, _UUID = range(10)
_MAX_HEADERS = 128 * 1024
_MAX_PAYLOAD = 16 * 1024 * 1024

HeaderValue = str | bytes | bool | int | uuid.UUID


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"event stream {what} is not valid UTF-8 text ({exc.reason} at index {exc.start})") from None


def _encode_header(name: str, value: HeaderValue) -> bytes:
    raw_name = _utf8(name, f"header name {name!r}")
    if not 0 < len(raw_name) < 256:
        raise ValueError(f"event stream header name must be 1..255 bytes: {name!r}")
    out = struct.pack(">B", len(raw_name)) + raw_name
    if isinstance(value, bool):
        return out + struct.pack(">B", _TRUE if value else _FALSE)
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return out + struct.pack(">Bi", _INT32, value)
        if -(2**63) <= value < 2**63:
            return out + struct.pack(">Bq", _INT64, value)
        raise ValueError(f"event stream header {name!r}: {value} does not fit in 64 bits")
    if isinstance(value, uuid.UUID):
        return out + struct.pack(">B", _UUID) + value.bytes
    if isinstance(value, str):
        data, kind = _utf8(value, f"header {name!r} value"), _STRING
    else:
        data, kind = bytes(value), _BYTES
    if len(data) > 0xFFFF:
        raise ValueError(f"event stream header {name!r} value is longer than 65535 bytes")
    return out + struct.pack(">BH", kind, len(data)) + data


def encode_frame(headers: Mapping[str, HeaderValue], payload: bytes = b"") -> bytes:
    """Encode one event-stream message with its prelude and both CRCs.

    ``str`` values become string headers (type 7), ``bytes`` byte arrays, ``bool`` the
    true/false types, ``int`` int32 (int64 when it does not fit) and ``uuid.UUID`` uuids.
    """
    raw_headers = b"".join(_encode_header(name, value) for name, value in headers.items())
    if len(raw_headers) > _MAX_HEADERS:
        raise ValueError("event stream headers exceed 128 KiB")
    if len(payload) > _MAX_PAYLOAD:
        raise ValueError("event stream payload exceeds 16 MiB")
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", binascii.crc32(body) & 0xFFFFFFFF)


def _json(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An ``event`` message: ``event_type`` is the union member name (``contentBlockDelta``)."""
    return encode_frame(
        {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
        _json(payload),
    )


def exception_frame(exception_type: str, message: str, **extra: Any) -> bytes:
    """A modeled in-stream exception; ``exception_type`` is the member name (``throttlingException``)."""
    return encode_frame(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        _json({"message": message, **extra}),
    )


def error_frame(code: str, message: str) -> bytes:
    """An unmodeled ``error`` message: code and message travel in headers, the payload is empty."""
    return encode_frame({":error-code": code, ":error-message": message, ":message-type": "error"})
