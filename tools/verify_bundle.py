#!/usr/bin/env python3
"""Independent verifier of Sealbook bundle/1 files, written from docs/FORMAT.md alone.

A cross-check tool, not part of the product: it re-implements format v1 (docs/FORMAT.md
sections 1-8), the checkpoint a bundle carries (section 6.5) and the parts of section 12 it
needs (signed notes, checkpoints, the RFC 6962 tree and its proofs) in Python so that
`sealbook verify` can be compared with a second, independent implementation
(tools/crosscheck.sh). Section numbers in comments refer to docs/FORMAT.md.
tools/verify_evidence.py builds on this module for evidence packages (section 12.7).

Requirements: Python 3.11, the standard library, `cryptography` (Ed25519, via OpenSSL) and
`rfc8785` (JSON Canonicalization Scheme). See tools/README.md for a venv.

Usage: verify_bundle.py BUNDLE [--trust-root BASE64] [--log-vkey VKEY] [--all] [--json]
Exit: 0 the bundle verifies; 1 it does not (or it is not a bundle); 2 usage or unreadable file.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

try:
    import rfc8785
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError as e:  # pragma: no cover - environment problem
    sys.stderr.write(
        f"verify_bundle.py: missing dependency ({e.name}); install with:\n"
        "  python3 -m venv .venv-tools && .venv-tools/bin/pip install cryptography rfc8785\n"
    )
    sys.exit(2)

# ---------------------------------------------------------------------------------------------
# Constants (§2, §3)

SIGNING_CONTEXT = b"sealbook.event.v1\n"
CHAIN_CONTEXT = b"sealbook.chain.v1\n"
ZERO32 = bytes(32)
MAX_BODY_BYTES = 65536
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64  # §1.3 rule 7: a body, a header; a bundle entry line may be one level deeper
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

GENESIS_TYPE = "ledger.genesis"
KEY_ENROLLED = "key.enrolled"
KEY_REVOKED = "key.revoked"
LEDGER_STREAM = "ledger"
KEYS_STREAM = "keys"
BODY_MEMBERS = {"v", "ledger", "stream", "streamSeq", "streamPrev", "type", "time", "actor", "key", "data", "idem"}

# §2.1 identifier grammars (ASCII only; fullmatch anchors both ends).
RE_LEDGER = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
RE_STREAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~:/@+-]{0,199}")
RE_TYPE = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*")
RE_ACTOR = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}(@[a-z0-9][a-z0-9.-]{0,62})?")
RE_KEY_ID = re.compile(r"ed25519:[0-9a-f]{16}")
RE_HEX64 = re.compile(r"[0-9a-f]{64}")
RE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
# RFC 8259 number grammar, ASCII digits only (§1.3 rule 4).
RE_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def full(rx: re.Pattern[str], s: Any) -> bool:
    return isinstance(s, str) and rx.fullmatch(s) is not None


# ---------------------------------------------------------------------------------------------
# §1.1 encodings


def b64_strict(text: Any) -> bytes | None:
    """Strict, canonical standard base64 with padding: decode, then re-encode must be identical."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def hex32(text: Any) -> bytes | None:
    """64 lowercase hex characters -> 32 bytes."""
    return bytes.fromhex(text) if full(RE_HEX64, text) else None


# §1.2 times


def is_time(s: Any) -> bool:
    if not full(RE_TIME, s):
        return False
    year, month, day = int(s[0:4]), int(s[5:7]), int(s[8:10])
    hour, minute, second = int(s[11:13]), int(s[14:16]), int(s[17:19])
    if not (1 <= month <= 12 and hour < 24 and minute < 60 and second < 60 and day >= 1):
        return False
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return day <= days


# ---------------------------------------------------------------------------------------------
# §1.3 strict JSON


class StrictJSONError(ValueError):
    pass


class NonInteger(float):
    """A number that is not an integer literal (§1.3): has a fraction or exponent, or is outside int64."""


def _parse_int(s: str) -> Any:
    if RE_NUMBER.fullmatch(s) is None:
        raise StrictJSONError(f"invalid number {s!r}")
    v = int(s)  # more than 4300 digits raises ValueError: such a literal is infinite as a double anyway
    if INT64_MIN <= v <= INT64_MAX:
        return v
    try:
        f = float(v)
    except OverflowError:
        raise StrictJSONError("number out of range") from None
    return NonInteger(f)


def _parse_float(s: str) -> NonInteger:
    if RE_NUMBER.fullmatch(s) is None:
        raise StrictJSONError(f"invalid number {s!r}")
    f = float(s)
    if not math.isfinite(f):
        raise StrictJSONError("number out of range")
    return NonInteger(f)


def _parse_constant(s: str) -> Any:
    raise StrictJSONError(f"{s} is not a JSON number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:  # exact code-point comparison, after unescaping
            raise StrictJSONError(f"duplicate member {k!r}")
        out[k] = v
    return out


def _has_surrogate(s: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth <= max_depth (outermost container = level 1) and no lone surrogate in any string or name."""
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            depth += 1
            if depth > max_depth:
                raise StrictJSONError(f"nesting deeper than {max_depth}")
            for k, x in v.items():
                if _has_surrogate(k):
                    raise StrictJSONError("lone surrogate")
                stack.append((x, depth))
        elif isinstance(v, list):
            depth += 1
            if depth > max_depth:
                raise StrictJSONError(f"nesting deeper than {max_depth}")
            stack.extend((x, depth) for x in v)
        elif isinstance(v, str) and _has_surrogate(v):
            raise StrictJSONError("lone surrogate")


def parse_strict(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """§1.3: one JSON value, UTF-8, no BOM, no duplicates, no lone surrogates, depth <= max_depth
    (64 for a header or a stored body, 65 for a bundle entry line, which wraps the body)."""
    try:
        text = data.decode("utf-8", errors="strict")  # RFC 3629: refuses overlongs, surrogates, > U+10FFFF
    except UnicodeDecodeError as e:
        raise StrictJSONError(f"invalid UTF-8: {e.reason}") from None
    if text.startswith("\ufeff"):
        raise StrictJSONError("byte order mark")
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant,
            object_pairs_hook=_pairs, strict=True)
    except StrictJSONError:
        raise
    except RecursionError:
        raise StrictJSONError(f"nesting deeper than {max_depth}") from None
    except (ValueError, TypeError) as e:
        raise StrictJSONError(str(e)) from None
    _check_tree(value, max_depth)
    return value


def is_int_literal(v: Any) -> bool:
    """An integer literal (§1.3): a Python int that is not a bool (floats are NonInteger)."""
    return type(v) is int


# §1.4 canonical JSON


def jcs(value: Any) -> bytes:
    return rfc8785.dumps(value)


# ---------------------------------------------------------------------------------------------
# §8 Ed25519 with libsodium's acceptance policy

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022
SMALL_ORDER_Y = {0, 1, _P - 1, _P, _P + 1, _Y8, _P - _Y8}


def _y(b: bytes) -> int:
    return int.from_bytes(b, "little") & ((1 << 255) - 1)


def ed25519_verify(public_key: bytes, sig: bytes, message: bytes) -> bool:
    if len(sig) != 64 or len(public_key) != 32:  # rule 1
        return False
    if int.from_bytes(sig[32:], "little") >= _L:  # rule 2: S < L
        return False
    if _y(sig[:32]) in SMALL_ORDER_Y:  # rule 3: R not small order (sign bit ignored)
        return False
    ya = _y(public_key)
    if ya >= _P or ya in SMALL_ORDER_Y:  # rules 4, 5: A canonical, not small order
        return False
    try:  # rules 6, 7: OpenSSL decodes A and checks the cofactorless equation byte-exactly
        Ed25519PublicKey.from_public_bytes(public_key).verify(sig, message)
        return True
    except (InvalidSignature, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# §4 keys


def key_id(public_key: bytes) -> str:
    return "ed25519:" + hashlib.sha256(public_key).digest()[:8].hex()


@dataclass
class Descriptor:
    key: str
    public_key: bytes
    actor: str
    roles: list[str]


def parse_descriptor(o: Any) -> Descriptor | None:
    """§4.2: {"key","publicKey","actor","roles"}, other members ignored."""
    if not isinstance(o, dict):
        return None
    k, pk, actor, roles = o.get("key"), o.get("publicKey"), o.get("actor"), o.get("roles")
    if not isinstance(k, str) or not isinstance(pk, str) or not isinstance(actor, str) or not isinstance(roles, list):
        return None
    raw = b64_strict(pk)
    if raw is None or len(raw) != 32 or key_id(raw) != k or not full(RE_ACTOR, actor):
        return None
    if not all(isinstance(r, str) for r in roles):
        return None
    return Descriptor(k, raw, actor, list(roles))


def parse_root_keys(data: dict[str, Any]) -> list[Descriptor] | None:
    """§4.4: a non-empty array of valid descriptors, no key id twice."""
    items = data.get("rootKeys")
    if not isinstance(items, list) or not items:
        return None
    out: list[Descriptor] = []
    seen: set[str] = set()
    for item in items:
        d = parse_descriptor(item)
        if d is None or d.key in seen:
            return None
        seen.add(d.key)
        out.append(d)
    return out


def parse_revocation(data: dict[str, Any]) -> str | None:
    """§4.6: {"key": key id, "reason": string}."""
    k, reason = data.get("key"), data.get("reason")
    if not full(RE_KEY_ID, k) or not isinstance(reason, str):
        return None
    return k


@dataclass
class KeyRecord:
    public_key: bytes
    actor: str
    roles: set[str]
    enrolled_at: int
    revoked_at: int | None = None


# ---------------------------------------------------------------------------------------------
# §12.2 signed notes (c2sp.org/signed-note) and checkpoints (c2sp.org/tlog-checkpoint)

NOTE_MAX_BYTES = 1 << 20
NOTE_MAX_SIGNATURES = 100
EM_DASH_SPACE = "\u2014 ".encode()
# Unicode White_Space: a key name holds none of these (nor "+", nor a control character).
WHITE_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}
RE_DECIMAL63 = re.compile(r"0|[1-9][0-9]{0,18}")


class NoteError(ValueError):
    pass


def key_name_ok(name: str) -> bool:
    return bool(name) and not any(c == "+" or c in WHITE_SPACE or ord(c) < 0x20 for c in name)


@dataclass
class Note:
    text: bytes  # the note text, ending with its newline
    signatures: list[tuple[str, int, bytes]]  # (key name, key ID, signature bytes after the key ID)


def parse_note(data: bytes) -> Note:
    """c2sp.org/signed-note: a text ending in LF, a blank line, one or more signature lines
    "— <name> <base64(key ID (4 bytes) || signature)>", each ending in LF."""
    if len(data) > NOTE_MAX_BYTES:
        raise NoteError("note over 1 MiB")
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise NoteError("note is not UTF-8") from None
    if any(b < 0x20 and b != 0x0A for b in data):
        raise NoteError("control character in the note")
    split = data.rfind(b"\n\n")
    if split < 0:
        raise NoteError("no blank line between text and signatures")
    text, block = data[:split + 1], data[split + 2:]
    if not block:
        raise NoteError("no signature line")
    if not block.endswith(b"\n"):
        raise NoteError("the last signature line does not end in a newline")
    lines = block[:-1].split(b"\n")
    if len(lines) > NOTE_MAX_SIGNATURES:
        raise NoteError("too many signatures")
    sigs: list[tuple[str, int, bytes]] = []
    for line in lines:
        if not line.startswith(EM_DASH_SPACE):
            raise NoteError("malformed signature line")
        rest = line[len(EM_DASH_SPACE):]
        space = rest.find(b" ")
        if space < 0:
            raise NoteError("malformed signature line")
        name = rest[:space].decode("utf-8")
        if not key_name_ok(name):
            raise NoteError("invalid key name")
        encoded = rest[space + 1:]
        if not encoded:
            raise NoteError("malformed signature line")
        raw = b64_strict(encoded.decode("utf-8"))
        if raw is None:
            raise NoteError("signature is not canonical base64")
        if len(raw) < 5:
            raise NoteError("signature too short")
        kid = int.from_bytes(raw[:4], "big")
        if any(n == name and k == kid for n, k, _ in sigs):
            raise NoteError("two signatures by the same key")
        sigs.append((name, kid, raw[4:]))
    return Note(text, sigs)


@dataclass
class CheckpointText:
    origin: str
    size: int
    root: bytes
    extensions: list[str]


def parse_checkpoint(text: bytes) -> CheckpointText:
    """c2sp.org/tlog-checkpoint: origin, size (decimal, no leading zeros, <= 2^63-1), base64 of
    the 32-byte root, then non-empty extension lines; every line ends in LF."""
    if not text.endswith(b"\n"):
        raise NoteError("checkpoint text does not end in a newline")
    lines = text[:-1].decode("utf-8").split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint text has fewer than 3 lines")
    if not lines[0]:
        raise NoteError("empty origin")
    if RE_DECIMAL63.fullmatch(lines[1]) is None or int(lines[1]) > INT64_MAX:
        raise NoteError("invalid tree size")
    root = b64_strict(lines[2])
    if root is None or len(root) != 32:
        raise NoteError("invalid root hash")
    if any(not l for l in lines[3:]):
        raise NoteError("empty extension line")
    return CheckpointText(lines[0], int(lines[1]), root, lines[3:])


def note_key_id(name: str, key_type: int, public_key: bytes) -> int:
    """§12.2: the first 4 bytes of SHA-256(name || 0x0A || type || public key), big-endian."""
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4], "big")


@dataclass
class NoteVerifier:
    name: str
    key_id: int
    public_key: bytes
    label: str  # how a report names it: the ledger key id, or the vkey


def parse_vkey(vkey: str) -> NoteVerifier:
    """<name>+<8 lowercase hex key ID>+<base64(0x01 || 32-byte public key)>."""
    parts = vkey.split("+", 2)
    if len(parts) != 3 or not key_name_ok(parts[0]) or re.fullmatch(r"[0-9a-f]{8}", parts[1]) is None:
        raise NoteError("not <name>+<hex key ID>+<base64 key>")
    raw = b64_strict(parts[2])
    if raw is None or len(raw) != 33 or raw[0] != 0x01:
        raise NoteError("the key is not base64 of 0x01 and a 32-byte Ed25519 key")
    kid = note_key_id(parts[0], 0x01, raw[1:])
    if kid != int(parts[1], 16):
        raise NoteError("the key ID is not the one its name and key give")
    return NoteVerifier(parts[0], kid, raw[1:], vkey)


def note_verified_by(note: Note, verifiers: list[NoteVerifier]) -> list[NoteVerifier]:
    """c2sp.org/signed-note: signatures by unknown keys are ignored; one by a known key (same
    name and key ID) must verify over the text, else the note is refused; at least one must."""
    known = {(v.name, v.key_id): v for v in verifiers}
    verified = []
    for name, kid, sig in note.signatures:
        v = known.get((name, kid))
        if v is None:
            continue
        if not ed25519_verify(v.public_key, sig, note.text):
            raise NoteError(f"the signature by known key {name}+{kid:08x} does not verify")
        verified.append(v)
    if not verified:
        raise NoteError("no signature by a known key")
    return verified


def ledger_origin(genesis_body: dict[str, Any], genesis_event_hash: bytes) -> str:
    """§12.2: data.origin when it is a string, else sealbook.ledger/<ledger>/<hex of 8 bytes>."""
    o = genesis_body["data"].get("origin")
    if isinstance(o, str):
        return o
    return f"sealbook.ledger/{genesis_body['ledger']}/{genesis_event_hash[:8].hex()}"


def extension(cp: CheckpointText, prefix: str) -> tuple[str, str | None]:
    """("absent", None), ("malformed", None) (also when the line is there twice), ("value", rest)."""
    found = [l for l in cp.extensions if l.startswith(prefix)]
    if not found:
        return ("absent", None)
    if len(found) > 1:
        return ("malformed", None)
    return ("value", found[0][len(prefix):])


def chain_binding(cp: CheckpointText) -> tuple[str, bytes | None]:
    kind, rest = extension(cp, "sealbook-chain ")
    if kind != "value":
        return (kind, None)
    h = hex32(rest)
    return ("value", h) if h is not None else ("malformed", None)


def keys_binding(cp: CheckpointText) -> tuple[str, tuple[int, bytes] | None]:
    kind, rest = extension(cp, "sealbook-keys ")
    if kind != "value":
        return (kind, None)
    parts = rest.split(" ")
    if len(parts) != 2 or RE_DECIMAL63.fullmatch(parts[0]) is None or int(parts[0]) > MAX_SAFE_INTEGER or hex32(parts[1]) is None:
        return ("malformed", None)
    return ("value", (int(parts[0]), hex32(parts[1])))


def log_key_verifiers(keys: dict[str, KeyRecord], origin: str, size: int) -> list[NoteVerifier]:
    """§12.2, §6.5: keys with role log as the first `size` entries leave them: enrolled at a seq
    <= size and not revoked at a seq <= size; named by the origin."""
    if not key_name_ok(origin):
        return []
    return [NoteVerifier(origin, note_key_id(origin, 0x01, r.public_key), r.public_key, kid)
            for kid, r in sorted(keys.items())
            if "log" in r.roles and r.enrolled_at <= size and (r.revoked_at is None or r.revoked_at > size)]


def checkpoint_signers(note: Note, log_key: NoteVerifier | None, keys: dict[str, KeyRecord], origin: str,
                       size: int) -> tuple[list[str] | None, str]:
    """The checkpoint's signature: by --log-vkey when given, else by a log key of the history."""
    verifiers = [log_key] if log_key is not None else log_key_verifiers(keys, origin, size)
    if not verifiers:
        return None, f"no key held role log after the first {size} entries"
    try:
        return [v.label for v in note_verified_by(note, verifiers)], ""
    except NoteError as e:
        return None, f"not signed by a log key: {e}"


# ---------------------------------------------------------------------------------------------
# §12.1, §12.3 the RFC 6962 tree (RFC 9162 §2.1) and its proofs


def leaf_hash(event_hash: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + event_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 §2.1.1), computed bottom-up: the complete subtrees of
    the range, largest first, folded right to left."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    stack: list[tuple[int, bytes]] = []  # (height, hash) of complete subtrees, left to right
    for leaf in leaves:
        h, height = leaf, 0
        while stack and stack[-1][0] == height:
            h = node_hash(stack.pop()[1], h)
            height += 1
        stack.append((height, h))
    root = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        root = node_hash(h, root)
    return root


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1: int, size2: int, path: list[bytes], root1: bytes, root2: bytes) -> bool:
    """RFC 9162 §2.1.4.2, for 0 < size1 <= size2; equal sizes need an empty path and equal roots."""
    if not 0 < size1 <= size2:
        return False
    if size1 == size2:
        return not path and root1 == root2
    if not path:
        return False
    path = list(path)
    if size1 & (size1 - 1) == 0:  # an exact power of 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


# ---------------------------------------------------------------------------------------------
# §2 body rules


def _values_ok(v: Any) -> bool:
    """§2.2: integer literals within +-(2^53-1) only; no U+0000 in strings or member names."""
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, bool) or x is None:
            continue
        if isinstance(x, NonInteger) or isinstance(x, float):
            return False
        if isinstance(x, int):
            if not -MAX_SAFE_INTEGER <= x <= MAX_SAFE_INTEGER:
                return False
        elif isinstance(x, str):
            if "\x00" in x:
                return False
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, dict):
            for k, y in x.items():
                if "\x00" in k:
                    return False
                stack.append(y)
    return True


def _depth(v: Any) -> int:
    """Nesting depth (§1.3 rule 7): a scalar is 0, the outermost array or object is level 1."""
    best, stack = 0, [(v, 0)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, dict):
            stack.extend((y, d + 1) for y in x.values())
        elif isinstance(x, list):
            stack.extend((y, d + 1) for y in x)
        else:
            continue
        best = max(best, d + 1)
    return best


def body_ok(b: Any) -> bool:
    """§2.1, §2.2 (including the depth limit: the body is level 1, at most 64 levels)."""
    if not isinstance(b, dict) or not set(b) <= BODY_MEMBERS:
        return False
    for m in BODY_MEMBERS - {"idem"}:
        if m not in b:
            return False
    if not (is_int_literal(b["v"]) and b["v"] == 1):
        return False
    if not full(RE_LEDGER, b["ledger"]) or not full(RE_STREAM, b["stream"]):
        return False
    seq = b["streamSeq"]
    if not is_int_literal(seq) or not 1 <= seq <= MAX_SAFE_INTEGER:
        return False
    if not full(RE_HEX64, b["streamPrev"]) or (seq == 1 and b["streamPrev"] != "0" * 64):
        return False
    if not full(RE_TYPE, b["type"]) or len(b["type"]) > 100:
        return False
    if not is_time(b["time"]) or not full(RE_ACTOR, b["actor"]) or not full(RE_KEY_ID, b["key"]):
        return False
    if not isinstance(b["data"], dict):
        return False
    if "idem" in b:
        i = b["idem"]
        if not isinstance(i, str) or not 1 <= len(i) <= 200 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in i):
            return False
    return _values_ok(b) and _depth(b) <= MAX_DEPTH


# ---------------------------------------------------------------------------------------------
# §6 bundle reading


class BundleRefused(Exception):
    """The file is not a bundle (empty, or its header is not valid): no per-entry report (§6.2)."""


@dataclass
class Header:
    ledger: str
    to: int
    checkpoint: str | None = None  # §6.5: the signed note the bundle carries


def parse_header(line: bytes) -> Header:
    try:
        h = parse_strict(line)
    except StrictJSONError as e:
        raise BundleRefused(f"line 1 is not valid JSON: {e}") from None
    if not isinstance(h, dict):
        raise BundleRefused("line 1 must be a JSON object")
    if h.get("sealbook") != "bundle/1":
        raise BundleRefused('line 1 is not a Sealbook bundle header ("sealbook" must be "bundle/1")')
    if not full(RE_LEDGER, h.get("ledger")):
        raise BundleRefused("header: ledger must be a ledger id")
    if not (is_int_literal(h.get("from")) and h["from"] == 1):
        raise BundleRefused("header: from must be 1")
    if not (is_int_literal(h.get("to")) and h["to"] >= 1):
        raise BundleRefused("header: to must be an integer >= 1")
    if h.get("chainHashBefore") != "0" * 64:
        raise BundleRefused("header: chainHashBefore must be 64 zeros")
    if not is_time(h.get("exportedAt")):
        raise BundleRefused("header: exportedAt must be a time")
    if "checkpoint" in h and not isinstance(h["checkpoint"], str):
        raise BundleRefused("header: checkpoint must be a string (a signed note)")
    return Header(h["ledger"], h["to"], h.get("checkpoint"))


def read_lines(path: str) -> list[bytes]:
    """§6.1: split at LF; a final LF does not start another line."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def entry_lines(lines: list[bytes]):
    """Yields (line number, bytes) of entries; a run of blank lines followed by a non-blank
    line is one entry with empty text at the run's first line; trailing blank lines are ignored."""
    pending: int | None = None
    for i, line in enumerate(lines[1:], start=2):
        if line == b"":
            if pending is None:
                pending = i
            continue
        if pending is not None:
            yield pending, b""
            pending = None
        yield i, line


# ---------------------------------------------------------------------------------------------
# §7 verification


@dataclass
class Decoded:
    line: int
    malformed: str | None = None  # D1-D4 failed: bundle-malformed
    seq: int = 0
    sig: bytes = b""
    body_value: Any = None
    body: dict[str, Any] | None = None  # set when the body is readable (D8 passed)
    # D9: (stream, streamSeq) read leniently from a body that is not readable, when its `stream`
    # is a string and its `streamSeq` an integer literal (§7.3); None otherwise.
    loose: tuple[str, int] | None = None
    body_bytes: bytes = b""
    problem: str | None = None  # malformed-body (D7, D8)
    computed_event_hash: bytes = ZERO32
    recorded_event_hash: bytes = ZERO32
    recorded_chain_hash: bytes = ZERO32
    sig_verified: bool = False  # set by V3a step 7 / V3b step 6 when the signature verified

    @property
    def stream(self) -> str | None:
        """The stream a failure report names: the readable body's, else the lenient one."""
        if self.body is not None:
            return self.body["stream"]
        return self.loose[0] if self.loose is not None else None


def decode_line(line_no: int, text: bytes) -> Decoded:
    d = Decoded(line=line_no)
    try:  # D1: the line wraps the body in one more level, so it may nest 65 deep
        o = parse_strict(text, MAX_DEPTH + 1)
    except StrictJSONError as e:
        d.malformed = f"line {line_no} is not valid JSON: {e}"
        return d
    # D2
    if not (isinstance(o, dict) and set(o) == {"seq", "body", "sig", "eventHash", "chainHash"}
            and is_int_literal(o["seq"]) and isinstance(o["sig"], str)
            and isinstance(o["eventHash"], str) and isinstance(o["chainHash"], str)):
        d.malformed = f'line {line_no} is not an entry {{"seq","body","sig","eventHash","chainHash"}}'
        return d
    if not 1 <= o["seq"] <= MAX_SAFE_INTEGER:  # D2: seq in 1 ... 2^53-1
        d.malformed = f"line {line_no}: seq {o['seq']} is outside 1...2^53-1"
        return d
    d.seq = o["seq"]
    sig = b64_strict(o["sig"])  # D3
    if sig is None:
        d.malformed = f"line {line_no}: sig is not standard base64"
        return d
    d.sig = sig
    eh, ch = hex32(o["eventHash"]), hex32(o["chainHash"])  # D4
    if eh is None or ch is None:
        d.malformed = f"line {line_no}: eventHash and chainHash must be 64 lowercase hex digits"
        return d
    d.recorded_event_hash, d.recorded_chain_hash = eh, ch
    d.body_value = o["body"]
    try:  # D5
        d.body_bytes = jcs(o["body"])
        canonical = True
    except Exception:
        canonical = False  # only for bodies that break §2.2; D8 refuses them
        d.body_bytes = b""
    d.computed_event_hash = hashlib.sha256(d.body_bytes + d.sig).digest()  # D6
    if canonical and len(d.body_bytes) > MAX_BODY_BYTES:  # D7
        d.problem = "malformed-body"
    if canonical and body_ok(o["body"]):  # D8
        d.body = o["body"]
        return d
    if d.problem is None:
        d.problem = "malformed-body"
    b = o["body"]  # D9
    if isinstance(b, dict) and isinstance(b.get("stream"), str) and is_int_literal(b.get("streamSeq")):
        d.loose = (b["stream"], b["streamSeq"])
    return d


@dataclass
class Failure:
    seq: int
    line: int | None
    stream: str | None
    reason: str
    detail: str

    def text(self) -> str:
        s = f"seq {self.seq}"
        if self.line is not None:
            s += f" (line {self.line})"
        if self.stream is not None:
            s += f" [{self.stream}]"
        return f"{s}: {self.reason}: {self.detail}"


@dataclass
class Verifier:
    header: Header
    trust_root: bytes | None
    report_all: bool
    expected: int = 1
    prev_chain: bytes = ZERO32
    ledger: str | None = None
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    streams: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    last_seq: int = 0
    entries: int = 0
    failures: list[Failure] = field(default_factory=list)
    fatal: bool = False
    root_pinned: bool = False
    root_keys: list[str] = field(default_factory=list)
    signer_key_id: str | None = None
    chain_unknown: bool = False
    # §6.5: what the carried checkpoint of size `watch` is checked against, from entries that
    # verified: the genesis, the leaves and the chain hash up to it, and the keys stream there.
    watch: int = 0
    genesis: tuple[dict[str, Any], bytes] | None = None
    leaves: list[bytes] = field(default_factory=list)
    chain_at_watch: bytes | None = None
    keys_at_watch: tuple[int, bytes] = (0, ZERO32)

    @property
    def finished(self) -> bool:
        return self.fatal or (not self.report_all and bool(self.failures))

    def check(self, d: Decoded) -> None:
        self.entries += 1
        # The chain hash of this entry can be judged unless the entry before it was a malformed
        # line (V1), whose chain hash is unknown.
        chain_known = not self.chain_unknown
        self.chain_unknown = False
        # V1
        if d.malformed is not None:
            seq = self.expected
            self.failures.append(Failure(seq, d.line, None, "bundle-malformed", d.malformed))
            if seq == 1:
                self.fatal = True
            self.last_seq = seq
            self.expected += 1
            self.chain_unknown = True
            return
        seq = d.seq
        stream = d.stream
        # V2a: the first entry must be seq 1 (fatal otherwise)
        if self.expected == 1 and seq != 1:
            self.fatal = True
            self.failures.append(Failure(seq, d.line, stream, "genesis-missing",
                                         f"the log starts at seq {seq}: seq 1, the genesis, is missing"))
            self.last_seq = seq
            return
        failure: tuple[str, str] | None = None
        # V2b
        if seq != self.expected:
            if seq > self.expected:
                failure = ("seq-gap", f"expected seq {self.expected}, found {seq}")
            else:
                failure = ("seq-duplicate", f"expected seq {self.expected}, found {seq} again")
        self.expected = seq + 1
        self.last_seq = seq
        # V3
        if failure is None:
            failure = self.check_genesis(d) if seq == 1 else self.check_event(d)
        # V4
        chain = hashlib.sha256(CHAIN_CONTEXT + seq.to_bytes(8, "big") + self.prev_chain
                               + d.computed_event_hash).digest()
        if failure is None and d.recorded_event_hash != d.computed_event_hash:
            failure = ("wrong-event-hash", f"recorded eventHash {d.recorded_event_hash.hex()} but "
                       f"SHA-256(body || sig) is {d.computed_event_hash.hex()}")
        if failure is None and chain_known and d.recorded_chain_hash != chain:
            failure = ("wrong-chain-hash", f"recorded chainHash {d.recorded_chain_hash.hex()} but "
                       f"the chain computes {chain.hex()}")
        # V5
        if failure is not None:
            self.failures.append(Failure(seq, d.line, stream, failure[0], failure[1]))
            self.prev_chain = chain if failure[0] == "wrong-chain-hash" else d.recorded_chain_hash
            h = d.computed_event_hash if d.sig_verified else d.recorded_event_hash
            if d.body is not None:
                self.streams[d.body["stream"]] = (d.body["streamSeq"], h)
            elif d.loose is not None:
                self.streams[d.loose[0]] = (d.loose[1], h)
        else:
            # After a malformed line the chain re-synchronises on this entry's recorded chainHash.
            self.prev_chain = chain if chain_known else d.recorded_chain_hash
            assert d.body is not None
            self.streams[d.body["stream"]] = (d.body["streamSeq"], d.computed_event_hash)
            if seq == 1:
                self.genesis = (d.body, d.computed_event_hash)
            if seq <= self.watch:
                self.leaves.append(leaf_hash(d.computed_event_hash))
                if d.body["stream"] == KEYS_STREAM:
                    self.keys_at_watch = (d.body["streamSeq"], d.computed_event_hash)
            if seq == self.watch:
                self.chain_at_watch = self.prev_chain

    def check_genesis(self, d: Decoded) -> tuple[str, str] | None:
        """V3a; any failure is fatal."""
        self.fatal = True
        if d.problem is not None or d.body is None:
            return ("genesis-missing", f"{d.problem or 'malformed-body'}: seq 1 is not a valid body")
        b = d.body
        if b["type"] != GENESIS_TYPE or b["stream"] != LEDGER_STREAM or b["streamSeq"] != 1:
            return ("genesis-missing", f'seq 1 is {b["type"]} in stream "{b["stream"]}", not ledger.genesis in stream "ledger"')
        roots = parse_root_keys(b["data"])
        if roots is None:
            return ("genesis-missing", "data.rootKeys must be a non-empty array of valid key descriptors")
        signer = next((r for r in roots if r.key == b["key"]), None)
        if signer is None:
            return ("genesis-missing", f"the genesis is signed by {b['key']}, which is not one of its rootKeys")
        if signer.actor != b["actor"]:
            return ("genesis-missing", f'the genesis actor "{b["actor"]}" is not the root key\'s actor "{signer.actor}"')
        if self.header.ledger != b["ledger"]:
            return ("ledger-mismatch", f'the source says ledger "{self.header.ledger}" but the genesis says "{b["ledger"]}"')
        if not ed25519_verify(signer.public_key, d.sig, SIGNING_CONTEXT + d.body_bytes):
            return ("genesis-missing", f"the genesis signature does not verify under its root key {signer.key}")
        d.sig_verified = True
        if self.trust_root is not None:
            if self.trust_root != signer.public_key:
                return ("genesis-root-mismatch", f"the genesis is signed by {signer.key}, not by the pinned root {key_id(self.trust_root)}")
            self.root_pinned = True
        self.fatal = False
        self.ledger = b["ledger"]
        self.signer_key_id = signer.key
        self.root_keys = [r.key for r in roots]
        for r in roots:
            self.keys[r.key] = KeyRecord(r.public_key, r.actor, set(r.roles), 1)
        return None

    def check_event(self, d: Decoded) -> tuple[str, str] | None:
        """V3b."""
        if d.problem is not None or d.body is None:  # 1
            return (d.problem or "malformed-body", "the body breaks a rule of format v1 (FORMAT.md §2)")
        b, seq = d.body, d.seq
        if self.ledger is not None and b["ledger"] != self.ledger:  # 2
            return ("ledger-mismatch", f'body names ledger "{b["ledger"]}" but this is ledger "{self.ledger}"')
        if b["type"] == GENESIS_TYPE or b["stream"] == LEDGER_STREAM:  # 3
            return ("reserved-stream", 'only seq 1 may be ledger.genesis, and only it may be in stream "ledger"')
        is_key_event = b["type"] in (KEY_ENROLLED, KEY_REVOKED)
        if is_key_event != (b["stream"] == KEYS_STREAM):  # 4
            return ("reserved-stream", 'stream "keys" holds exactly the key.enrolled and key.revoked events')
        rec = self.keys.get(b["key"])  # 5
        if rec is None or not rec.enrolled_at < seq:
            return ("unknown-key", f"key {b['key']} was not enrolled before seq {seq}")
        if rec.revoked_at is not None and rec.revoked_at < seq:
            return ("key-revoked", f"key {b['key']} was revoked at seq {rec.revoked_at}")
        if rec.actor != b["actor"]:
            return ("actor-key-mismatch", f'actor "{b["actor"]}" signed with key {b["key"]}, which is enrolled for "{rec.actor}"')
        if not ed25519_verify(rec.public_key, d.sig, SIGNING_CONTEXT + d.body_bytes):  # 6
            return ("bad-signature", f"signature does not verify under key {b['key']} ({rec.actor})")
        d.sig_verified = True
        last, last_hash = self.streams.get(b["stream"], (0, ZERO32))  # 7, 8
        if b["streamSeq"] != last + 1:
            return ("wrong-stream-seq", f"streamSeq is {b['streamSeq']} but the stream's next position is {last + 1}")
        if bytes.fromhex(b["streamPrev"]) != last_hash:
            return ("wrong-stream-prev", f"streamPrev {b['streamPrev']} is not the eventHash of the stream's previous event ({last_hash.hex()})")
        if is_key_event:  # 9
            if "admin" not in rec.roles:
                return ("unauthorized", f"{b['type']} must be signed by a key with role admin; {b['key']} holds {sorted(rec.roles)}")
            if b["type"] == KEY_ENROLLED:
                desc = parse_descriptor(b["data"])
                if desc is None:
                    return ("invalid-key-event", "data is not a valid key descriptor")
                if desc.key in self.keys:
                    return ("invalid-key-event", f"key {desc.key} is already enrolled (key ids are never reused)")
                self.keys[desc.key] = KeyRecord(desc.public_key, desc.actor, set(desc.roles), seq)
            else:
                target = parse_revocation(b["data"])
                if target is None:
                    return ("invalid-key-event", "data must be {\"key\": key id, \"reason\": string}")
                t = self.keys.get(target)
                if t is None:
                    return ("invalid-key-event", f"key {target} was never enrolled")
                if t.revoked_at is not None:
                    return ("invalid-key-event", f"key {target} was already revoked at seq {t.revoked_at}")
                t.revoked_at = seq
        return None


@dataclass
class Carried:
    """§6.5: the checkpoint a bundle carries and what became of it."""
    note: Note | None
    cp: CheckpointText | None
    problem: str
    checked: bool = False
    signed_by: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {"size": self.cp.size if self.cp else None,
                "root": base64.b64encode(self.cp.root).decode() if self.cp else None,
                "checked": self.checked, "anchored": self.checked and bool(self.signed_by), "signedBy": self.signed_by}


def read_carried(text: str) -> Carried:
    try:
        note = parse_note(text.encode("utf-8"))
        cp = parse_checkpoint(note.text)
    except (NoteError, UnicodeError) as e:
        return Carried(None, None, f"it is not a signed checkpoint: {e}")
    if cp.size == 0:
        return Carried(note, None, "it is a checkpoint of the empty tree, which anchors nothing")
    return Carried(note, cp, "")


def judge_carried(c: Carried, header: Header, v: Verifier, log_key: NoteVerifier | None) -> Failure | None:
    """§6.5 C1-C7, against a bundle every entry of which verified: the first that fails."""
    c.checked = True

    def failed(seq: int, detail: str, stream: str | None = None) -> Failure:
        return Failure(seq, None, stream, "checkpoint-mismatch", "the bundle's checkpoint: " + detail)
    if c.cp is None or c.note is None:  # C1
        return failed(header.to, c.problem)
    n = c.cp.size
    if n > header.to:  # C2
        return failed(header.to + 1, f"it covers seq 1...{n} but the bundle ends at seq {header.to}")
    assert v.genesis is not None
    origin = ledger_origin(*v.genesis)
    if c.cp.origin != origin:  # C3
        return failed(n, f'it is for log "{c.cp.origin}", not this ledger\'s "{origin}"')
    signers, why = checkpoint_signers(c.note, log_key, v.keys, origin, n)  # C4
    if signers is None:
        return failed(n, why)
    if tree_root(v.leaves[:n]) != c.cp.root:  # C5
        return failed(n, f"the tree of seq 1...{n} does not have the checkpoint's root")
    kind, chain = chain_binding(c.cp)  # C6
    if kind == "malformed" or (kind == "value" and chain != v.chain_at_watch):
        return failed(n, "its sealbook-chain line is not the bundle's chain hash at its size")
    kind, keys = keys_binding(c.cp)  # C7
    if kind == "malformed" or (kind == "value" and keys != v.keys_at_watch):
        return failed(n, "its sealbook-keys line is not the bundle's keys stream at its size", KEYS_STREAM)
    c.signed_by = signers
    return None


def verify(path: str, trust_root: bytes | None, report_all: bool,
           log_key: NoteVerifier | None = None) -> tuple[Header, Verifier, bool, Carried | None]:
    lines = read_lines(path)
    if not lines:
        raise BundleRefused(f"bundle {path} is empty")
    header = parse_header(lines[0])
    v = Verifier(header, trust_root, report_all)
    carried = read_carried(header.checkpoint) if header.checkpoint is not None else None
    if carried is not None and carried.cp is not None:
        v.watch = carried.cp.size
    stopped_early = False
    for line_no, text in entry_lines(lines):
        if v.finished:
            stopped_early = True  # entry lines are left unread
            break
        v.check(decode_line(line_no, text))
    # §7 "Stopping": stopped at a failure before the seq the header promises as the last.
    if v.finished and v.last_seq < header.to:
        stopped_early = True
    # §6.4 truncation: never after a fatal failure; otherwise when not stopped at a first
    # failure, and always with --all.
    if not v.fatal and (not v.finished or report_all):
        if v.last_seq < header.to:
            v.failures.append(Failure(v.last_seq + 1, None, None, "bundle-truncated",
                                      f"the header promises entries up to seq {header.to} but the bundle ends at seq {v.last_seq}"))
        elif v.last_seq > header.to:
            v.failures.append(Failure(header.to + 1, None, None, "bundle-truncated",
                                      f"the header says the bundle ends at seq {header.to} but it holds entries up to seq {v.last_seq}"))
    # §6.5: the carried checkpoint, only when every entry verified.
    if carried is not None and not v.failures:
        f = judge_carried(carried, header, v, log_key)
        if f is not None:
            v.failures.append(f)
    return header, v, stopped_early, carried


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="verify_bundle.py",
        description="Independent verifier of Sealbook bundle/1 files (docs/FORMAT.md).")
    ap.add_argument("bundle", help="the bundle file")
    ap.add_argument("--trust-root", metavar="BASE64", help="the pinned root public key (standard base64, 32 bytes)")
    ap.add_argument("--log-vkey", metavar="VKEY", help="the log's verifier key: the carried checkpoint must be signed by it")
    ap.add_argument("--all", action="store_true", help="report every failing entry, not only the first")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args(argv)

    root = None
    if args.trust_root is not None:
        root = b64_strict(args.trust_root)
        if root is None or len(root) != 32:
            sys.stderr.write("verify_bundle.py: --trust-root must be a 32-byte Ed25519 public key in standard base64\n")
            return 2
    log_key = None
    if args.log_vkey is not None:
        try:
            log_key = parse_vkey(args.log_vkey)
        except NoteError as e:
            sys.stderr.write(f"verify_bundle.py: --log-vkey is not a verifier key: {e}\n")
            return 2
    try:
        header, v, stopped, carried = verify(args.bundle, root, args.all, log_key)
    except OSError as e:
        sys.stderr.write(f"verify_bundle.py: cannot read {args.bundle}: {e.strerror}\n")
        return 2
    except BundleRefused as e:
        if args.json:
            print(json.dumps({"ok": False, "error": {"code": "bundle-refused", "message": str(e)}}, sort_keys=True))
        else:
            sys.stderr.write(f"verify_bundle.py: not a valid bundle: {e}\n")
        return 1

    ok = not v.failures
    if args.json:
        print(json.dumps({
            "ok": ok, "ledger": v.ledger, "entries": v.entries, "lastSeq": v.last_seq,
            "chainHash": v.prev_chain.hex(), "rootPinned": v.root_pinned, "rootKeys": v.root_keys,
            "failureCount": len(v.failures), "stoppedEarly": stopped,
            "bundleCheckpoint": carried.json() if carried is not None else None,
            "failures": [{"seq": f.seq, "line": f.line, "stream": f.stream, "reason": f.reason, "detail": f.detail}
                         for f in v.failures],
        }, sort_keys=True, ensure_ascii=False))
    else:
        if ok:
            print(f"OK: {v.entries} entries of ledger {v.ledger} verified (bundle {args.bundle})")
            print(f"head: seq {v.last_seq} chainHash {v.prev_chain.hex()}")
            if carried is not None and carried.cp is not None:
                print(f"anchored by checkpoint at size {carried.cp.size}, signed by {', '.join(carried.signed_by)}")
        else:
            n = len(v.failures)
            genesis_failed = v.failures[0].seq == 1 or v.failures[0].reason == "genesis-missing"
            stop = ("" if not stopped else "; nothing after a missing or invalid genesis can be checked" if genesis_failed
                    else "; stopped at the first, use --all for every one")
            print(f"FAILED: {n} entr{'y does' if n == 1 else 'ies do'} not verify (bundle {args.bundle}){stop}")
            for f in v.failures:
                print(f"  {f.text()}")
        if v.root_pinned:
            print(f"root: pinned, genesis signed by {v.signer_key_id}")
        elif root is None:
            print("WARNING: the root was not pinned. Pass --trust-root <root public key> to check the genesis.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
