#!/usr/bin/env python3
"""Independent verifier of Sealbook evidence/1 packages, written from docs/FORMAT.md alone.

A cross-check tool, not part of the product: it implements docs/FORMAT.md section 12.7 (the
format is section 12.6) on top of tools/verify_bundle.py's strict JSON, body rules, keys,
Ed25519 policy, signed notes, checkpoints and RFC 9162 inclusion proofs, so that
`sealbook verify --evidence` can be compared with a second implementation (tools/crosscheck.sh).

Usage: verify_evidence.py PACKAGE [--trust-root BASE64] [--log-vkey VKEY] [--json]
Exit: 0 the package verifies; 1 it does not (or it is not a package); 2 usage or unreadable file.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_bundle as vb  # noqa: E402  (the primitives of FORMAT.md sections 1-8 and 12)


class PackageRefused(Exception):
    """Not an evidence package (empty, or an invalid header): no per-entry report (§12.7 P1)."""


@dataclass
class Header:
    ledger: str
    stream: str
    to: int
    checkpoint: str


def parse_header(line: bytes) -> Header:
    """§12.6: {"sealbook":"evidence/1","ledger","stream","to","checkpoint","exportedAt"}."""
    try:
        h = vb.parse_strict(line)
    except vb.StrictJSONError as e:
        raise PackageRefused(f"line 1 is not valid JSON: {e}") from None
    if not isinstance(h, dict) or h.get("sealbook") != "evidence/1":
        raise PackageRefused('line 1 is not an evidence package header ("sealbook" must be "evidence/1")')
    if not vb.full(vb.RE_LEDGER, h.get("ledger")):
        raise PackageRefused("header: ledger must be a ledger id")
    s = h.get("stream")
    if not vb.full(vb.RE_STREAM, s) or s in (vb.LEDGER_STREAM, vb.KEYS_STREAM):
        raise PackageRefused('header: stream must be a stream id other than "ledger" and "keys"')
    if not (vb.is_int_literal(h.get("to")) and 1 <= h["to"] <= vb.MAX_SAFE_INTEGER):
        raise PackageRefused("header: to must be an integer from 1 to 2^53-1")
    if not isinstance(h.get("checkpoint"), str):
        raise PackageRefused("header: checkpoint must be a string (a signed note)")
    if not vb.is_time(h.get("exportedAt")):
        raise PackageRefused("header: exportedAt must be a time")
    return Header(h["ledger"], s, h["to"], h["checkpoint"])


@dataclass
class Entry:
    line: int
    seq: int
    body: dict[str, Any]
    body_bytes: bytes
    sig: bytes
    recorded: bytes
    computed: bytes
    proof: list[bytes]


class Stop(Exception):
    def __init__(self, seq: int, reason: str, detail: str, line: int | None = None, stream: str | None = None):
        super().__init__(detail)
        self.failure = vb.Failure(seq, line, stream, reason, detail)


ENTRY_MEMBERS = {"seq", "body", "sig", "eventHash", "proof"}


def decode(line: int, text: bytes, previous: int) -> tuple[int, Any, bytes, bytes, list[bytes]]:
    """E1: strict JSON (depth 65), exactly the five members, seq 1...2^53-1, sig strict base64,
    eventHash 64 lowercase hex, proof an array of at most 63 strict base64 strings of 32 bytes.
    A failure is evidence-malformed at the line's seq when it is an object with a seq in range,
    else at the previous entry's seq + 1."""
    seq_here = previous + 1

    def malformed(detail: str) -> Stop:
        return Stop(seq_here, "evidence-malformed", f"line {line} {detail}", line)
    try:
        o = vb.parse_strict(text, vb.MAX_DEPTH + 1)
    except vb.StrictJSONError as e:
        raise malformed(f"is not valid JSON: {e}") from None
    if not isinstance(o, dict):
        raise malformed("is not an entry")
    if vb.is_int_literal(o.get("seq")) and 1 <= o["seq"] <= vb.MAX_SAFE_INTEGER:
        seq_here = o["seq"]
    if not (set(o) == ENTRY_MEMBERS and vb.is_int_literal(o["seq"]) and isinstance(o["sig"], str)
            and isinstance(o["eventHash"], str) and isinstance(o["proof"], list)):
        raise malformed("is not an entry")
    if not 1 <= o["seq"] <= vb.MAX_SAFE_INTEGER:
        raise malformed("has a seq outside 1...2^53-1")
    sig = vb.b64_strict(o["sig"])
    if sig is None:
        raise malformed("has a sig that is not standard base64")
    eh = vb.hex32(o["eventHash"])
    if eh is None:
        raise malformed("has an eventHash that is not 64 lowercase hex digits")
    if len(o["proof"]) > 63:
        raise malformed("has more than 63 proof hashes")
    proof = []
    for p in o["proof"]:
        raw = vb.b64_strict(p) if isinstance(p, str) else None
        if raw is None or len(raw) != 32:
            raise malformed("has a proof element that is not the base64 of 32 bytes")
        proof.append(raw)
    return o["seq"], o["body"], sig, eh, proof


def readable(line: int, seq: int, value: Any, sig: bytes, eh: bytes, proof: list[bytes], stream: str) -> Entry:
    """E3, E4: the body keeps §2 (else malformed-body; genesis-missing at seq 1), and an entry
    after the genesis is in stream keys or the package's stream (else evidence-malformed)."""
    def unreadable(detail: str) -> Stop:
        if seq == 1:
            return Stop(1, "genesis-missing", "malformed-body: " + detail, line)
        return Stop(seq, "malformed-body", detail, line)
    try:
        bb = vb.jcs(value)
    except Exception:
        raise unreadable("body cannot be canonicalized") from None
    if len(bb) > vb.MAX_BODY_BYTES or not vb.body_ok(value):
        raise unreadable("the body breaks a rule of format v1 (FORMAT.md §2)")
    if seq > 1 and value["stream"] not in (vb.KEYS_STREAM, stream):
        raise Stop(seq, "evidence-malformed", f"the entry is in stream {value['stream']}", line, value["stream"])
    return Entry(line, seq, value, bb, sig, eh, vb.hashlib.sha256(bb + sig).digest(), proof)


def check_event(e: Entry, ledger: str, keys: dict[str, vb.KeyRecord], position: tuple[int, bytes]) -> tuple[int, bytes]:
    """§7.4 V3b 2-9 on an entry of stream keys or of the package's stream; returns the stream's
    new position."""
    b, seq = e.body, e.seq

    def fail(reason: str, detail: str) -> Stop:
        return Stop(seq, reason, detail, e.line, b["stream"])
    if b["ledger"] != ledger:
        raise fail("ledger-mismatch", "body names another ledger")
    if b["type"] == vb.GENESIS_TYPE or b["stream"] == vb.LEDGER_STREAM:
        raise fail("reserved-stream", "only seq 1 may be the genesis")
    is_key_event = b["type"] in (vb.KEY_ENROLLED, vb.KEY_REVOKED)
    if is_key_event != (b["stream"] == vb.KEYS_STREAM):
        raise fail("reserved-stream", 'stream "keys" holds exactly the key events')
    rec = keys.get(b["key"])
    if rec is None or not rec.enrolled_at < seq:
        raise fail("unknown-key", f"key {b['key']} was not enrolled before seq {seq}")
    if rec.revoked_at is not None and rec.revoked_at < seq:
        raise fail("key-revoked", f"key {b['key']} was revoked at seq {rec.revoked_at}")
    if rec.actor != b["actor"]:
        raise fail("actor-key-mismatch", "actor is not the key's")
    if not vb.ed25519_verify(rec.public_key, e.sig, vb.SIGNING_CONTEXT + e.body_bytes):
        raise fail("bad-signature", f"signature does not verify under key {b['key']}")
    if b["streamSeq"] != position[0] + 1:
        raise fail("wrong-stream-seq", f"streamSeq is {b['streamSeq']}, expected {position[0] + 1}")
    if bytes.fromhex(b["streamPrev"]) != position[1]:
        raise fail("wrong-stream-prev", "streamPrev is not the stream's previous eventHash")
    if is_key_event:
        if "admin" not in rec.roles:
            raise fail("unauthorized", "a key event must be signed by an admin key")
        if b["type"] == vb.KEY_ENROLLED:
            d = vb.parse_descriptor(b["data"])
            if d is None or d.key in keys:
                raise fail("invalid-key-event", "not a valid new key descriptor")
            keys[d.key] = vb.KeyRecord(d.public_key, d.actor, set(d.roles), seq)
        else:
            target = vb.parse_revocation(b["data"])
            t = keys.get(target) if target is not None else None
            if t is None or t.revoked_at is not None:
                raise fail("invalid-key-event", "cannot revoke that key")
            t.revoked_at = seq
    return (b["streamSeq"], e.computed)


@dataclass
class Result:
    ledger: str | None = None
    entries: int = 0
    events: int = 0
    last_event: tuple[int, int] | None = None
    carried: vb.Carried | None = None
    root_pinned: bool = False
    root_keys: list[str] = field(default_factory=list)
    failure: vb.Failure | None = None


def verify(path: str, trust_root: bytes | None, log_key: vb.NoteVerifier | None) -> tuple[Header, Result]:
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise PackageRefused(f"evidence package {path} is empty")
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    header = parse_header(lines[0])
    raw = [(n, t) for n, t in vb.entry_lines(lines)]
    r = Result(entries=len(raw))
    try:
        run(header, raw, trust_root, log_key, r)
    except Stop as s:
        r.failure = s.failure
    return header, r


def run(h: Header, raw: list[tuple[int, bytes]], trust_root: bytes | None, log_key: vb.NoteVerifier | None, r: Result) -> None:
    # P2: the checkpoint.
    c = vb.read_carried(h.checkpoint)
    r.carried = c
    if c.cp is None or c.note is None:
        raise Stop(h.to, "checkpoint-mismatch", "the package's checkpoint: " + c.problem)
    n, root = c.cp.size, c.cp.root

    # E: every line in order.
    entries: list[Entry] = []
    previous = 0
    for line, text in raw:
        seq, value, sig, eh, proof = decode(line, text, previous)
        if not entries and seq != 1:
            raise Stop(seq, "genesis-missing", "the package does not start at seq 1", line)
        if seq <= previous:
            raise Stop(seq, "seq-duplicate", "seq is not greater than the previous entry's", line)
        if seq > n:
            raise Stop(seq, "checkpoint-mismatch", "the entry is beyond the checkpoint's size", line)
        if seq > h.to:
            raise Stop(seq, "evidence-truncated", "the entry is beyond the header's to", line)
        previous = seq
        entries.append(readable(line, seq, value, sig, eh, proof, h.stream))
    if not entries:
        raise Stop(1, "genesis-missing", "the package holds no entry")
    if entries[-1].seq < h.to:
        raise Stop(h.to, "evidence-truncated", "the package ends before the header's to")
    events = [e for e in entries if e.body["stream"] == h.stream]
    if not events:
        raise Stop(h.to, "evidence-truncated", "the package holds no event of its stream")

    # G: the genesis (§7.4 V3a 2-8).
    g = entries[0]
    b = g.body

    def gfail(reason: str, detail: str) -> Stop:
        return Stop(1, reason, detail, g.line, b["stream"])
    if b["type"] != vb.GENESIS_TYPE or b["stream"] != vb.LEDGER_STREAM or b["streamSeq"] != 1:
        raise gfail("genesis-missing", "seq 1 is not ledger.genesis in stream ledger")
    roots = vb.parse_root_keys(b["data"])
    if roots is None:
        raise gfail("genesis-missing", "invalid rootKeys")
    signer = next((x for x in roots if x.key == b["key"]), None)
    if signer is None or signer.actor != b["actor"]:
        raise gfail("genesis-missing", "the genesis signer is not one of its root keys")
    if h.ledger != b["ledger"]:
        raise gfail("ledger-mismatch", "the header names another ledger")
    if not vb.ed25519_verify(signer.public_key, g.sig, vb.SIGNING_CONTEXT + g.body_bytes):
        raise gfail("genesis-missing", "the genesis signature does not verify")
    if trust_root is not None:
        if trust_root != signer.public_key:
            raise gfail("genesis-root-mismatch", "the genesis is not signed by the pinned root")
        r.root_pinned = True
    r.ledger = b["ledger"]
    r.root_keys = [x.key for x in roots]
    keys = {x.key: vb.KeyRecord(x.public_key, x.actor, set(x.roles), 1) for x in roots}

    # K: the keys stream, in order.
    kpos = (0, vb.ZERO32)
    for e in entries[1:]:
        if e.body["stream"] == vb.KEYS_STREAM:
            kpos = check_event(e, b["ledger"], keys, kpos)

    # C: origin, signature, the keys stream the checkpoint binds.
    origin = vb.ledger_origin(b, g.computed)
    if c.cp.origin != origin:
        raise Stop(n, "checkpoint-mismatch", "the checkpoint is for another log")
    signers, why = vb.checkpoint_signers(c.note, log_key, keys, origin, n)
    if signers is None:
        raise Stop(n, "checkpoint-mismatch", why)
    kind, bound = vb.keys_binding(c.cp)
    if kind != "value" or bound != kpos:
        raise Stop(n, "checkpoint-mismatch", "the keys stream is not the one the checkpoint binds", stream=vb.KEYS_STREAM)
    c.checked, c.signed_by = True, signers

    # I: each entry's hash and inclusion proof.
    for e in entries:
        if e.recorded != e.computed:
            raise Stop(e.seq, "wrong-event-hash", "recorded eventHash is not SHA-256(body || sig)", e.line, e.body["stream"])
        if not vb.verify_inclusion(vb.leaf_hash(e.computed), e.seq - 1, n, e.proof, root):
            raise Stop(e.seq, "bad-inclusion-proof", "the inclusion proof does not lead to the checkpoint's root", e.line, e.body["stream"])

    # S: the stream's events.
    pos = (0, vb.ZERO32)
    for e in events:
        pos = check_event(e, b["ledger"], keys, pos)
    r.events = len(events)
    r.last_event = (events[-1].seq, events[-1].body["streamSeq"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="verify_evidence.py",
                                 description="Independent verifier of Sealbook evidence/1 packages (docs/FORMAT.md §12.7).")
    ap.add_argument("package")
    ap.add_argument("--trust-root", metavar="BASE64")
    ap.add_argument("--log-vkey", metavar="VKEY")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    root = None
    if args.trust_root is not None:
        root = vb.b64_strict(args.trust_root)
        if root is None or len(root) != 32:
            sys.stderr.write("verify_evidence.py: --trust-root must be a 32-byte key in standard base64\n")
            return 2
    log_key = None
    if args.log_vkey is not None:
        try:
            log_key = vb.parse_vkey(args.log_vkey)
        except vb.NoteError as e:
            sys.stderr.write(f"verify_evidence.py: --log-vkey: {e}\n")
            return 2
    try:
        header, r = verify(args.package, root, log_key)
    except OSError as e:
        sys.stderr.write(f"verify_evidence.py: cannot read {args.package}: {e.strerror}\n")
        return 2
    except PackageRefused as e:
        if args.json:
            print(json.dumps({"ok": False, "error": {"code": "package-refused", "message": str(e)}}))
        else:
            sys.stderr.write(f"verify_evidence.py: not a valid evidence package: {e}\n")
        return 1
    ok = r.failure is None
    if args.json:
        f = r.failure
        print(json.dumps({
            "ok": ok, "ledger": r.ledger, "stream": header.stream, "entries": r.entries, "events": r.events,
            "lastEvent": {"seq": r.last_event[0], "streamSeq": r.last_event[1]} if r.last_event else None,
            "checkpoint": r.carried.json() if r.carried else None, "rootPinned": r.root_pinned, "rootKeys": r.root_keys,
            "failureCount": 0 if ok else 1,
            "failures": [] if f is None else [{"seq": f.seq, "line": f.line, "stream": f.stream, "reason": f.reason, "detail": f.detail}],
        }, sort_keys=True))
    elif ok:
        print(f"OK: {r.events} events of stream {header.stream} in ledger {r.ledger} verified against the checkpoint "
              f"at size {r.carried.cp.size}, signed by {', '.join(r.carried.signed_by)}")
    else:
        print(f"FAILED: {r.failure.text()}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
