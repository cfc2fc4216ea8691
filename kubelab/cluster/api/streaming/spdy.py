"""SPDY/3.1 frames: the multiplexing protocol under ``kubectl port-forward``.

Kubernetes still carries port-forward streams in SPDY/3.1, either right after an HTTP
``Upgrade: SPDY/3.1`` or inside WebSocket messages (``SPDY/3.1+portforward.k8s.io``). A SPDY
connection is a sequence of frames. *Control frames* open streams (``SYN_STREAM``, answered by
``SYN_REPLY``), reset them (``RST_STREAM``), check liveness (``PING``) and end the connection
(``GOAWAY``); *data frames* carry a stream's bytes, and the ``FIN`` flag ends one direction of
a stream.

Header blocks (the name/value pairs of ``SYN_STREAM`` and ``SYN_REPLY``) are compressed with
zlib, primed with a dictionary of common HTTP words that the SPDY/3 specification fixes, and
with one compression context per direction for the whole connection: each block is
flushed, never finished, so the next one can refer back to it.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

VERSION = 3
HEADER_BYTES = 8
#: The most a frame may carry (24-bit length).
MAX_FRAME_PAYLOAD = (1 << 24) - 1

SYN_STREAM = 1
SYN_REPLY = 2
RST_STREAM = 3
SETTINGS = 4
PING = 6
GOAWAY = 7
HEADERS = 8
WINDOW_UPDATE = 9

FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02

#: RST_STREAM status codes.
PROTOCOL_ERROR = 1
INVALID_STREAM = 2
REFUSED_STREAM = 3
CANCEL = 5
#: GOAWAY status codes.
GOAWAY_OK = 0
GOAWAY_PROTOCOL_ERROR = 1

STREAM_ID_MASK = 0x7FFFFFFF

#: The words of the SPDY/3 header dictionary, each stored after its 32-bit length...
# fmt: off
_DICTIONARY_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
    "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
    "cache-control", "connection", "content-base", "content-encoding", "content-language",
    "content-length", "content-location", "content-md5", "content-range", "content-type", "date",
    "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match",
    "if-range", "if-unmodified-since", "last-modified", "location", "max-forwards", "pragma",
    "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after", "server",
    "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
    "public", "set-cookie", "keep-alive", "origin",
)
# fmt: on
#: ...followed by status codes, reason phrases, dates and common values, unprefixed.
_DICTIONARY_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
    "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 "
    "Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, "
    "Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,"
    "application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch"
    "charset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
HEADER_DICTIONARY = (
    b"".join(struct.pack(">I", len(word)) + word.encode() for word in _DICTIONARY_WORDS)
    + _DICTIONARY_TAIL.encode()
)


class ProtocolError(Exception):
    """The peer sent something that is not SPDY/3.1."""


@dataclass
class ControlFrame:
    kind: int
    flags: int
    payload: bytes


@dataclass
class DataFrame:
    stream_id: int
    flags: int
    data: bytes


Frame = ControlFrame | DataFrame


@dataclass
class SynStream:
    stream_id: int
    flags: int
    headers: dict[str, str]


def _pack_header(first_word: int, flags: int, length: int) -> bytes:
    if length > MAX_FRAME_PAYLOAD:
        raise ProtocolError("frame too large")
    return struct.pack(">II", first_word, (flags << 24) | length)


def control_frame(kind: int, flags: int, payload: bytes) -> bytes:
    return _pack_header(0x80000000 | (VERSION << 16) | kind, flags, len(payload)) + payload


def data_frame(stream_id: int, data: bytes, fin: bool = False) -> bytes:
    flags = FLAG_FIN if fin else 0
    return _pack_header(stream_id & STREAM_ID_MASK, flags, len(data)) + data


class FrameReader:
    """Cuts frames out of a byte stream that arrives in arbitrary pieces."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer.extend(data)
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER_BYTES:
            first, second = struct.unpack_from(">II", self._buffer)
            length = second & 0xFFFFFF
            if len(self._buffer) < HEADER_BYTES + length:
                break
            payload = bytes(self._buffer[HEADER_BYTES : HEADER_BYTES + length])
            del self._buffer[: HEADER_BYTES + length]
            flags = second >> 24
            if first & 0x80000000:
                if (first >> 16) & 0x7FFF != VERSION:
                    raise ProtocolError(f"unsupported SPDY version {(first >> 16) & 0x7FFF}")
                frames.append(ControlFrame(first & 0xFFFF, flags, payload))
            else:
                frames.append(DataFrame(first & STREAM_ID_MASK, flags, payload))
        return frames


def encode_header_block(headers: dict[str, str]) -> bytes:
    """The uncompressed block: a count, then length-prefixed lower-case names and values."""
    parts = [struct.pack(">I", len(headers))]
    for name, value in headers.items():
        for text in (name.lower().encode(), value.encode()):
            parts.append(struct.pack(">I", len(text)) + text)
    return b"".join(parts)


def decode_header_block(block: bytes) -> dict[str, str]:
    """Names as sent (SPDY requires lower case); several values of one name joined by NUL."""
    try:
        (count,) = struct.unpack_from(">I", block)
        offset = 4
        headers: dict[str, str] = {}
        for _ in range(count):
            pair = []
            for _ in range(2):
                (length,) = struct.unpack_from(">I", block, offset)
                offset += 4
                pair.append(block[offset : offset + length].decode())
                offset += length
            headers[pair[0]] = pair[1]
    except (struct.error, UnicodeDecodeError):
        raise ProtocolError("malformed header block") from None
    return headers


class HeaderCompression:
    """The two zlib contexts of one connection: what we send, and what we receive."""

    def __init__(self) -> None:
        self._out = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zdict=HEADER_DICTIONARY)
        self._in = zlib.decompressobj(zdict=HEADER_DICTIONARY)

    def compress(self, headers: dict[str, str]) -> bytes:
        block = encode_header_block(headers)
        return self._out.compress(block) + self._out.flush(zlib.Z_SYNC_FLUSH)

    def decompress(self, data: bytes) -> dict[str, str]:
        try:
            block = self._in.decompress(data)
        except zlib.error as problem:
            raise ProtocolError(f"header block does not decompress: {problem}") from None
        return decode_header_block(block)


def parse_syn_stream(frame: ControlFrame, compression: HeaderCompression) -> SynStream:
    if len(frame.payload) < 10:
        raise ProtocolError("SYN_STREAM too short")
    (stream_id,) = struct.unpack_from(">I", frame.payload)
    headers = compression.decompress(frame.payload[10:])
    return SynStream(stream_id & STREAM_ID_MASK, frame.flags, headers)


def stream_id_of(frame: ControlFrame) -> int:
    """The stream a RST_STREAM, HEADERS or WINDOW_UPDATE frame is about."""
    if len(frame.payload) < 4:
        raise ProtocolError("control frame too short")
    return struct.unpack_from(">I", frame.payload)[0] & STREAM_ID_MASK


def ping_id(frame: ControlFrame) -> int:
    """A PING's id: odd when the client sent it first, even for the server's own."""
    if len(frame.payload) != 4:
        raise ProtocolError("PING frame must carry 4 bytes")
    return int(struct.unpack(">I", frame.payload)[0])


def syn_reply(stream_id: int, compression: HeaderCompression, fin: bool = False) -> bytes:
    payload = struct.pack(">I", stream_id) + compression.compress({})
    return control_frame(SYN_REPLY, FLAG_FIN if fin else 0, payload)


def rst_stream(stream_id: int, status: int) -> bytes:
    return control_frame(RST_STREAM, 0, struct.pack(">II", stream_id, status))


def goaway(last_stream_id: int, status: int = GOAWAY_OK) -> bytes:
    return control_frame(GOAWAY, 0, struct.pack(">II", last_stream_id, status))
