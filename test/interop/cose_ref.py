#!/usr/bin/python3
"""Independent COSE_Sign1 / Ed25519 reference for the interop tests.

Built on cbor2 and cryptography (Debian: python3-cbor2, python3-cryptography), sharing no code
with the TypeScript side. Commands read one JSON document on stdin and print one on stdout:

  seal     {"seed_hex": ..., "record": {...}}  -> {"cose_hex", "payload_hex", "content_hash", "public_key_hex"}
  verify   {"cose_hex": ...}                   -> {"ok": true, "kid_hex", "payload_hex", "content_hash", "record"}
                                                  or {"ok": false, "reason": ...}
  encode   [value, ...]                         -> [hex, ...]  (deterministic CBOR of each value)
  key-order                                     -> how cbor2's canonical map order differs from RFC 8949 §4.2.1

Map key order: cbor2's canonical=True sorts keys by (encoded length, encoded bytes), the RFC 7049
"canonical" order. RFC 8949 §4.2.1 sorts by encoded bytes alone. The two agree whenever all keys
share a major type (every JSON object), but not for mixed keys such as {24: .., -1: ..}, so this
file sorts map keys itself and uses cbor2 only for scalars.
"""

import hashlib
import json
import struct
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_SAFE = 2**53 - 1  # JSON numbers are IEEE doubles; integers past this are floats on the JS side


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError("argument too large")


def det_encode(value):
    """RFC 8949 §4.2.1 core deterministic encoding of JSON-model values (plus bytes and int keys)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        return cbor2.dumps(value, canonical=True)
    if isinstance(value, int):
        return cbor2.dumps(value if abs(value) <= MAX_SAFE else float(value), canonical=True)
    if isinstance(value, float):
        # A JSON number has one value space: integral values within the safe range are integers.
        is_negative_zero = value == 0 and struct.pack(">d", value)[0] & 0x80
        if value.is_integer() and abs(value) <= MAX_SAFE and not is_negative_zero:
            return cbor2.dumps(int(value), canonical=True)
        return cbor2.dumps(value, canonical=True)
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(det_encode(v) for v in value)
    if isinstance(value, dict):
        pairs = sorted((det_encode(k), det_encode(v)) for k, v in value.items())
        return head(5, len(pairs)) + b"".join(k + v for k, v in pairs)
    raise TypeError("unsupported value %r" % (value,))


def sig_structure(protected, payload):
    return cbor2.dumps(["Signature1", protected, b"", payload])


def seal(request):
    private_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(request["seed_hex"]))
    kid = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    protected = det_encode({1: -8})
    payload = det_encode(request["record"])
    signature = private_key.sign(sig_structure(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {4: kid}, payload, signature]))
    return {
        "cose_hex": cose.hex(),
        "payload_hex": payload.hex(),
        "content_hash": "sha256:" + hashlib.sha256(payload).hexdigest(),
        "public_key_hex": kid.hex(),
    }


def verify(request):
    item = cbor2.loads(bytes.fromhex(request["cose_hex"]))
    if not isinstance(item, cbor2.CBORTag) or item.tag != 18:
        return {"ok": False, "reason": "not tag 18"}
    if not isinstance(item.value, list) or len(item.value) != 4:
        return {"ok": False, "reason": "not a 4-element array"}
    protected, unprotected, payload, signature = item.value
    if cbor2.loads(protected) != {1: -8}:
        return {"ok": False, "reason": "protected header is not {1: -8}"}
    kid = unprotected.get(4)
    if not isinstance(kid, bytes) or len(kid) != 32:
        return {"ok": False, "reason": "kid is not a 32-byte key"}
    try:
        Ed25519PublicKey.from_public_bytes(kid).verify(signature, sig_structure(protected, payload))
    except InvalidSignature:
        return {"ok": False, "reason": "signature invalid"}
    return {
        "ok": True,
        "kid_hex": kid.hex(),
        "payload_hex": payload.hex(),
        "content_hash": "sha256:" + hashlib.sha256(payload).hexdigest(),
        "record": cbor2.loads(payload),
    }


def key_order(_request):
    mixed = {24: 0, -1: 0}
    return {"cbor2_canonical": cbor2.dumps(mixed, canonical=True).hex(), "rfc8949": det_encode(mixed).hex()}


COMMANDS = {
    "seal": seal,
    "verify": verify,
    "encode": lambda values: [det_encode(v).hex() for v in values],
    "key-order": key_order,
}

if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in COMMANDS:
        sys.exit("usage: cose_ref.py {%s} < request.json" % ",".join(COMMANDS))
    raw = sys.stdin.read()
    print(json.dumps(COMMANDS[command](json.loads(raw) if raw.strip() else None)))
