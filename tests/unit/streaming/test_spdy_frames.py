"""SPDY/3.1 frames and header blocks, checked byte by byte."""

from __future__ import annotations

import hashlib
import struct
import zlib

import pytest

from kubelab.cluster.api.streaming import spdy

#: SHA-256 of the 1423-byte header dictionary that the SPDY/3 specification prints.
DICTIONARY_SHA256 = "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"


def test_the_header_dictionary_is_the_specifications():
    assert len(spdy.HEADER_DICTIONARY) == 1423
    assert hashlib.sha256(spdy.HEADER_DICTIONARY).hexdigest() == DICTIONARY_SHA256
    assert spdy.HEADER_DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.HEADER_DICTIONARY.endswith(b"utf-,*,enq=0.")


def test_control_and_data_frame_layout():
    assert spdy.control_frame(spdy.PING, 0, b"\x00\x00\x00\x01") == (
        b"\x80\x03\x00\x06" + b"\x00\x00\x00\x04" + b"\x00\x00\x00\x01"
    )
    assert spdy.data_frame(5, b"hi", fin=True) == b"\x00\x00\x00\x05\x01\x00\x00\x02hi"
    assert spdy.rst_stream(3, spdy.CANCEL) == (
        b"\x80\x03\x00\x03\x00\x00\x00\x08" + struct.pack(">II", 3, 5)
    )
    assert spdy.goaway(7) == b"\x80\x03\x00\x07\x00\x00\x00\x08" + struct.pack(">II", 7, 0)


def test_frames_are_cut_out_of_any_chunking():
    wire = spdy.data_frame(1, b"abc") + spdy.control_frame(spdy.PING, 0, b"\x00\x00\x00\x03")
    reader = spdy.FrameReader()
    frames = [frame for byte in wire for frame in reader.feed(bytes([byte]))]
    assert frames == [
        spdy.DataFrame(1, 0, b"abc"),
        spdy.ControlFrame(spdy.PING, 0, b"\x00\x00\x00\x03"),
    ]


def test_other_versions_are_refused():
    frame = b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01"
    with pytest.raises(spdy.ProtocolError, match="version 2"):
        spdy.FrameReader().feed(frame)


def test_header_blocks_share_one_compression_context_per_direction():
    client, server = spdy.HeaderCompression(), spdy.HeaderCompression()
    first = {"streamtype": "error", "port": "80", "requestid": "0"}
    second = {"streamtype": "data", "port": "80", "requestid": "0"}
    one, two = client.compress(first), client.compress(second)
    assert server.decompress(one) == first
    assert server.decompress(two) == second
    assert len(two) < len(one), "the second block refers back to the first"


def test_compressed_blocks_name_the_dictionary():
    block = spdy.HeaderCompression().compress({})
    cmf, flg = block[0], block[1]
    assert cmf & 0x0F == 8 and flg & 0x20, "deflate with a preset dictionary"
    assert struct.unpack(">I", block[2:6])[0] == zlib.adler32(spdy.HEADER_DICTIONARY)


def test_syn_stream_and_syn_reply():
    client, server = spdy.HeaderCompression(), spdy.HeaderCompression()
    payload = struct.pack(">IIBB", 3, 0, 0, 0) + client.compress({"streamtype": "data"})
    frame = spdy.ControlFrame(spdy.SYN_STREAM, spdy.FLAG_FIN, payload)
    assert spdy.parse_syn_stream(frame, server) == spdy.SynStream(
        3, spdy.FLAG_FIN, {"streamtype": "data"}
    )
    (reply,) = spdy.FrameReader().feed(spdy.syn_reply(3, server))
    assert isinstance(reply, spdy.ControlFrame) and reply.kind == spdy.SYN_REPLY
    assert struct.unpack(">I", reply.payload[:4])[0] == 3
    assert client.decompress(reply.payload[4:]) == {}


def test_malformed_header_blocks():
    with pytest.raises(spdy.ProtocolError):
        spdy.decode_header_block(b"\x00\x00\x00\x01\x00\x00\x00\x09ab")
    with pytest.raises(spdy.ProtocolError):
        spdy.HeaderCompression().decompress(b"not zlib at all")


def test_ping_ids():
    assert spdy.ping_id(spdy.ControlFrame(spdy.PING, 0, struct.pack(">I", 9))) == 9
    with pytest.raises(spdy.ProtocolError):
        spdy.ping_id(spdy.ControlFrame(spdy.PING, 0, b"\x00"))
