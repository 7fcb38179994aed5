#!/usr/bin/python3
"""A foreign NATS client for the interop tests: standard library only, no NATS library.

It speaks the NATS text protocol directly (INFO, CONNECT, PING/PONG, SUB, PUB/HPUB, MSG/HMSG)
so the bus is exercised by something that shares no code with it. Sealed replies are checked
with cose_ref.py (python3-cbor2, python3-cryptography), itself independent of the TypeScript side.

Job on stdin:
  {"url": "nats://127.0.0.1:PORT",
   "bus_public_key_hex": "<64 hex>",            # optional: the key sealed receipts must carry
   "reply_timeout_ms": 3000, "gateway_wait_ms": 1000,
   "messages": [{"subject", "content_type": str | null, "body_b64",
                 "headers": {name: value}?,      # extra headers (e.g. Tibet-Hop)
                 "expect": "receipt" | "rejected" | "error"}, ...]}

Report on stdout:
  {"server_info": {...}, "errors": [...],
   "results": [{"subject", "expect", "inbox", "replies": [{"status", "headers", "body_b64"}],
                "sent_cap": {...} | null, "receipt_check": {...} | null, "as_expected": bool}],
   "gateway_events": [...], "gateway_undecodable": N}
"""

import base64
import hashlib
import json
import os
import secrets
import socket
import sys
import time
from urllib.parse import urlparse

# cose_ref.py sits next to this file; the test runs us by path, so its directory may not be on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cbor2  # noqa: E402
import cose_ref  # noqa: E402

CRLF = b"\r\n"
GATEWAY_SUBJECT = "capbus.event.gateway"


class NatsError(Exception):
    pass


class Connection:
    """One NATS connection; read() parses what the server sends and hands messages to on_message."""

    def __init__(self, url, on_message):
        parsed = urlparse(url)
        self.sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 4222), timeout=5)
        self.buffer = b""
        self.on_message = on_message
        self.server_errors = []
        self.pongs = 0
        self.next_sid = 1
        line = self._read_line(time.monotonic() + 5)
        if not line.startswith(b"INFO "):
            raise NatsError("expected INFO, got %r" % line[:80])
        self.info = json.loads(line[5:])
        if not self.info.get("headers"):
            raise NatsError("server does not support headers")
        options = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True, "protocol": 1,
                   "lang": "python-stdlib", "version": "0.1", "name": "foreign-interop-client"}
        self._send(b"CONNECT " + json.dumps(options).encode() + CRLF)
        self.flush(5)

    # -- writing --

    def _send(self, data):
        self.sock.sendall(data)

    def subscribe(self, subject):
        sid = self.next_sid
        self.next_sid += 1
        self._send(("SUB %s %d\r\n" % (subject, sid)).encode())
        return sid

    def publish(self, subject, body, reply=None, headers=None):
        """PUB without headers, HPUB with them; headers is a list of (name, value)."""
        if len(body) > self.info.get("max_payload", 1 << 20):
            raise NatsError("body of %d bytes exceeds the server's max_payload" % len(body))
        reply_part = (" " + reply) if reply else ""
        if headers is None:
            self._send(("PUB %s%s %d\r\n" % (subject, reply_part, len(body))).encode() + body + CRLF)
            return
        block = b"NATS/1.0\r\n" + b"".join(("%s: %s\r\n" % (k, v)).encode() for k, v in headers) + CRLF
        self._send(("HPUB %s%s %d %d\r\n" % (subject, reply_part, len(block), len(block) + len(body))).encode()
                   + block + body + CRLF)

    def flush(self, timeout_s):
        """PING and wait for its PONG: everything sent before has reached the server."""
        want = self.pongs + 1
        self._send(b"PING\r\n")
        deadline = time.monotonic() + timeout_s
        while self.pongs < want:
            if not self.read_once(deadline):
                raise NatsError("no PONG within %.1f s" % timeout_s)
        if self.server_errors:
            raise NatsError("server said: %s" % "; ".join(self.server_errors))

    # -- reading --

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not chunk:
            raise NatsError("server closed the connection")
        self.buffer += chunk
        return True

    def _read_line(self, deadline):
        while CRLF not in self.buffer:
            if not self._fill(deadline):
                raise NatsError("timed out reading a protocol line")
        line, self.buffer = self.buffer.split(CRLF, 1)
        return line

    def _read_exact(self, n, deadline):
        while len(self.buffer) < n:
            if not self._fill(deadline):
                raise NatsError("timed out reading a message body")
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_once(self, deadline):
        """Handles one protocol operation; False when none arrived before the deadline."""
        if CRLF not in self.buffer and not self._fill(deadline):
            return False
        if CRLF not in self.buffer:
            return True  # partial line; the caller loops
        # a message, once its control line is in, is read whole: it is already on its way
        line = self._read_line(deadline + 5)
        op, _, rest = line.partition(b" ")
        op = op.upper()
        if op == b"PING":
            self._send(b"PONG\r\n")
        elif op == b"PONG":
            self.pongs += 1
        elif op == b"+OK" or op == b"INFO":
            pass
        elif op == b"-ERR":
            self.server_errors.append(rest.decode(errors="replace"))
        elif op == b"MSG":
            parts = rest.decode().split()
            subject, reply, size = parts[0], (parts[2] if len(parts) == 4 else None), int(parts[-1])
            body = self._read_exact(size + 2, deadline + 5)[:-2]
            self.on_message(subject, reply, None, {}, body)
        elif op == b"HMSG":
            parts = rest.decode().split()
            subject, reply = parts[0], (parts[2] if len(parts) == 5 else None)
            hdr_len, total = int(parts[-2]), int(parts[-1])
            data = self._read_exact(total + 2, deadline + 5)[:-2]
            status, headers = parse_headers(data[:hdr_len])
            self.on_message(subject, reply, status, headers, data[hdr_len:])
        else:
            raise NatsError("unexpected protocol line %r" % line[:80])
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_headers(block):
    """NATS/1.0 [status [description]] then `Name: value` lines; values of repeated names are listed."""
    lines = block.decode("utf-8", errors="replace").split("\r\n")
    first = lines[0].split(" ", 2)
    if first[0] != "NATS/1.0":
        raise NatsError("bad header block %r" % lines[0])
    status = first[1] if len(first) > 1 else None
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.setdefault(name.strip(), []).append(value.strip())
    return status, headers


def header(headers, name):
    """First value of a header, any case."""
    for key, values in headers.items():
        if key.lower() == name.lower():
            return values[0]
    return None


def sent_cap_facts(body):
    """cap_id and content hash of a sealed cap as sent, read without trusting its signature."""
    try:
        item = cbor2.loads(body)
        protected, unprotected, payload, signature = item.value
        record = cbor2.loads(payload)
        return {"cap_id": record.get("cap_id"), "content_hash": "sha256:" + hashlib.sha256(payload).hexdigest()}
    except Exception:  # garbage is expected here; it simply has no facts
        return None


def check_sealed_receipt(body, sent, bus_key_hex):
    """Verifies a COSE receipt with cose_ref and ties it to the bus key and to the cap that was sent."""
    try:
        verified = cose_ref.verify({"cose_hex": body.hex()})
    except Exception as error:
        return {"ok": False, "reason": "not decodable: %s" % error}
    if not verified["ok"]:
        return {"ok": False, "reason": verified["reason"]}
    record = verified["record"]
    check = {
        "signature_ok": True,
        "kid_hex": verified["kid_hex"],
        "kid_is_bus_key": bus_key_hex is not None and verified["kid_hex"] == bus_key_hex,
        "cap_id_matches": sent is not None and record.get("cap_id") == sent["cap_id"],
        "cap_hash_matches": sent is not None and record.get("cap_hash") == sent["content_hash"],
        "receipt_content_hash": verified["content_hash"],
        "record": record,
    }
    check["ok"] = check["kid_is_bus_key"] and check["cap_id_matches"] and check["cap_hash_matches"]
    return check


def judge(message, replies, check):
    """Whether the one reply is what the job said to expect (the test checks the details itself)."""
    if len(replies) != 1:
        return False
    reply = replies[0]
    error_code = header(reply["headers"], "Tibet-Error")
    content_type = header(reply["headers"], "Content-Type")
    body = base64.b64decode(reply["body_b64"])
    if message["expect"] == "error":
        try:
            parsed = json.loads(body)
        except ValueError:
            return False
        return error_code is not None and isinstance(parsed, dict) and parsed.get("error") == error_code \
            and isinstance(parsed.get("message"), str)
    if error_code is not None or reply["status"] is not None:
        return False
    if content_type == "application/cose":
        if check is None or not check["ok"]:
            return False
        outcome = check["record"].get("outcome")
    else:
        try:
            outcome = json.loads(body).get("outcome")
        except (ValueError, AttributeError):
            return False
    return outcome == ("executed" if message["expect"] == "receipt" else "rejected")


def run(job):
    reply_timeout = job.get("reply_timeout_ms", 3000) / 1000
    prefix = "_INBOX." + secrets.token_hex(8)
    replies = {}  # inbox -> replies
    gateway_events = []
    undecodable = [0]

    def on_message(subject, _reply, status, headers, body):
        if subject == GATEWAY_SUBJECT:
            try:
                gateway_events.append(json.loads(body))
            except ValueError:
                undecodable[0] += 1
        elif subject in replies:
            replies[subject].append({"status": status, "headers": headers, "body_b64": base64.b64encode(body).decode()})

    conn = Connection(job["url"], on_message)
    results = []
    errors = []
    try:
        # gateway events first, so none of this run's is missed; one wildcard SUB serves every inbox
        conn.subscribe(GATEWAY_SUBJECT)
        conn.subscribe(prefix + ".*")
        conn.flush(5)
        for index, message in enumerate(job["messages"]):
            inbox = "%s.%d" % (prefix, index)
            replies[inbox] = []
            body = base64.b64decode(message["body_b64"])
            headers = []
            if message.get("content_type") is not None:
                headers.append(("Content-Type", message["content_type"]))
            headers.extend((k, v) for k, v in (message.get("headers") or {}).items())
            try:
                conn.publish(message["subject"], body, inbox, headers or None)
            except NatsError as error:
                errors.append("message %d: %s" % (index, error))
            deadline = time.monotonic() + reply_timeout
            while not replies[inbox] and conn.read_once(deadline):
                pass
            results.append({"subject": message["subject"], "expect": message["expect"], "inbox": inbox, "body": body})
        # late or duplicate replies, and the gateway events of the last caps, arrive during this wait
        deadline = time.monotonic() + job.get("gateway_wait_ms", 1000) / 1000
        while conn.read_once(deadline):
            pass
        conn.flush(5)
    finally:
        conn.close()

    bus_key = job.get("bus_public_key_hex")
    for index, result in enumerate(results):
        body = result.pop("body")
        got = replies[result["inbox"]]
        sent = sent_cap_facts(body) if job["messages"][index].get("content_type") == "application/cose" else None
        check = None
        if len(got) == 1 and header(got[0]["headers"], "Content-Type") == "application/cose":
            check = check_sealed_receipt(base64.b64decode(got[0]["body_b64"]), sent, bus_key)
        result.update({"replies": got, "sent_cap": sent, "receipt_check": check,
                       "as_expected": judge(job["messages"][index], got, check)})
    return {
        "server_info": {k: conn.info.get(k) for k in ("server_id", "version", "proto", "headers", "max_payload")},
        "errors": errors + conn.server_errors,
        "results": results,
        "gateway_events": gateway_events,
        "gateway_undecodable": undecodable[0],
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
