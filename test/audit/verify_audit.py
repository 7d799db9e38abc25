#!/usr/bin/env python3
"""An independent verifier of a kubeca issuance log, written from docs/audit.md alone.

Python 3 standard library only, no kubeca code: it re-implements the canonical encoding, the hash
chain, the checkpoint signatures (ECDSA P-256/P-384, RSA PKCS#1 v1.5 and PSS) and the verification
steps of docs/audit.md ("Verifying, step by step"). The tests run it over the logs the suite writes and
expect the same verdict as `kubeca audit verify`.

    verify_audit.py RECORDS.jsonl [--checkpoints FILE] [--public-key PEM]...

Prints one JSON object: {"ok", "records", "provedThrough", "broken": {"kind", "seq", "location"} | null,
"tornTailBytes"}. Exit code 0 when intact, 1 when broken, 2 on bad usage.
"""

import base64
import hashlib
import json
import os
import re
import sys

GENESIS = "0" * 64
TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")
MAX_SAFE_INTEGER = 2**53 - 1


# ---- canonical encoding (docs/audit.md, "The canonical encoding") -------------------------------

class NotCanonical(Exception):
    pass


SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def canonical_string(s):
    out = ['"']
    for ch in s:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise NotCanonical("a lone UTF-16 surrogate has no UTF-8 form")
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif code < 0x20:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)  # DEL and everything above U+001F as it is
    out.append('"')
    return "".join(out)


def utf16_key(s):
    # Sorting by UTF-16 code units is sorting by the UTF-16BE bytes.
    return s.encode("utf-16-be", "surrogatepass")


def canonical(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonical("an integer beyond 2^53-1")
        return str(value)
    if isinstance(value, float):
        raise NotCanonical("a number that is not an integer")
    if isinstance(value, str):
        return canonical_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value.keys(), key=utf16_key)
        return "{" + ",".join(canonical_string(k) + ":" + canonical(value[k]) for k in keys) + "}"
    raise NotCanonical("an unexpected value")


def parse_line(raw):
    """The JSON value of a stored line, or None when it is not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")  # not canonical either way; read what can be read
    try:
        return json.loads(text, parse_constant=lambda c: float("nan"))
    except ValueError:
        return None


def canonical_problem(value, raw):
    try:
        encoded = canonical(value).encode("utf-8")
    except NotCanonical as e:
        return str(e)
    return None if encoded == raw else "not the canonical encoding"


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def record_hash(record):
    body = {k: v for k, v in record.items() if k != "hash"}
    return sha256_hex(canonical(body).encode("utf-8"))


def is_hex64(v):
    return isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)


def is_positive_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SAFE_INTEGER


def record_shape_problem(v):
    if not isinstance(v, dict):
        return "not a JSON object"
    if not is_positive_int(v.get("seq")):
        return "seq"
    if not is_hex64(v.get("hash")) or not is_hex64(v.get("prevHash")):
        return "hash"
    if not isinstance(v.get("time"), str) or not TIME.match(v["time"]):
        return "time"
    for f in ("id", "event"):
        if not isinstance(v.get(f), str):
            return f
    if not isinstance(v.get("actor"), dict):
        return "actor"
    return None


def checkpoint_shape_problem(v):
    if not isinstance(v, dict) or v.get("kind") != "checkpoint":
        return "not a checkpoint"
    if not is_positive_int(v.get("seq")) or not is_hex64(v.get("headHash")):
        return "seq or headHash"
    for f in ("time", "algorithm", "publicKeySha256", "signature"):
        if not isinstance(v.get(f), str):
            return f
    return None


# ---- DER, public keys and signatures (docs/audit.md, "Checkpoints") -----------------------------

def der_read(data, pos):
    """(tag, element start, value start, value end) of the DER element at pos."""
    tag, length, start = data[pos], data[pos + 1], pos
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, start, pos, pos + length


def der_children(data, item):
    """The elements inside a constructed element returned by der_read."""
    items, pos = [], item[2]
    while pos < item[3]:
        child = der_read(data, pos)
        items.append(child)
        pos = child[3]
    return items


def der_value(data, item):
    return data[item[2]:item[3]]


OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")
OID_RSA = bytes.fromhex("2a864886f70d010101")
CURVES = {
    bytes.fromhex("2a8648ce3d030107"): dict(  # P-256
        p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
        b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
        n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    bytes.fromhex("2b81040022"): dict(  # P-384
        p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFF0000000000000000FFFFFFFF,
        b=0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        gx=0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        gy=0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
        n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
    ),
}


def parse_spki(spki):
    alg, bits = der_children(spki, der_read(spki, 0))
    alg_items = der_children(spki, alg)
    oid = der_value(spki, alg_items[0])
    key = der_value(spki, bits)[1:]  # skip the BIT STRING's unused-bits octet
    if oid == OID_RSA:
        n_item, e_item = der_children(key, der_read(key, 0))
        return ("rsa", int.from_bytes(der_value(key, n_item), "big"), int.from_bytes(der_value(key, e_item), "big"))
    if oid == OID_EC_PUBLIC_KEY:
        curve = CURVES[der_value(spki, alg_items[1])]
        size = (curve["p"].bit_length() + 7) // 8
        if key[0] == 4:
            point = (int.from_bytes(key[1:1 + size], "big"), int.from_bytes(key[1 + size:], "big"))
        else:  # compressed: both curves have p = 3 mod 4
            p, x = curve["p"], int.from_bytes(key[1:], "big")
            y = pow((x * x * x - 3 * x + curve["b"]) % p, (p + 1) // 4, p)
            point = (x, y if y % 2 == key[0] % 2 else p - y)
        return ("ec", curve, point)
    raise ValueError("unsupported key type")


def spki_of_pem(text):
    """SPKI DER from a PEM public key, or from a PEM certificate (its subjectPublicKeyInfo)."""
    kind = "CERTIFICATE" if "BEGIN CERTIFICATE" in text else "PUBLIC KEY"
    body = text.split("-----BEGIN %s-----" % kind)[1].split("-----END %s-----" % kind)[0]
    der = base64.b64decode("".join(body.split()))
    if kind == "PUBLIC KEY":
        return der
    tbs = der_children(der, der_read(der, 0))[0]
    fields = der_children(der, tbs)
    spki = fields[6 if fields[0][0] == 0xA0 else 5]  # after the optional explicit version
    return der[spki[1]:spki[3]]


def ec_add(curve, a, b):
    p = curve["p"]
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % p == 0:
        return None
    if a == b:
        lam = (3 * a[0] * a[0] - 3) * pow(2 * a[1], -1, p) % p
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, p) % p
    x = (lam * lam - a[0] - b[0]) % p
    return (x, (lam * (a[0] - x) - a[1]) % p)


def ec_mul(curve, k, point):
    result = None
    while k:
        if k & 1:
            result = ec_add(curve, result, point)
        point = ec_add(curve, point, point)
        k >>= 1
    return result


def ecdsa_verify(curve, q, digest, signature):
    r_item, s_item = der_children(signature, der_read(signature, 0))
    r = int.from_bytes(der_value(signature, r_item), "big")
    s = int.from_bytes(der_value(signature, s_item), "big")
    n = curve["n"]
    if not (1 <= r < n and 1 <= s < n):
        return False
    e = int.from_bytes(digest, "big") >> max(0, len(digest) * 8 - n.bit_length())
    w = pow(s, -1, n)
    point = ec_add(curve, ec_mul(curve, e * w % n, (curve["gx"], curve["gy"])), ec_mul(curve, r * w % n, q))
    return point is not None and point[0] % n == r


SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def mgf1(seed, length):
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def rsa_verify(n, e, message, signature, pss):
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    m = pow(int.from_bytes(signature, "big"), e, n)
    digest = hashlib.sha256(message).digest()
    if not pss:  # PKCS#1 v1.5, DigestInfo with SHA-256
        t = SHA256_DIGEST_INFO + digest
        return m.to_bytes(k, "big") == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    em_bits = n.bit_length() - 1  # EMSA-PSS, MGF1 with SHA-256, 32-byte salt, trailer 0xbc
    em_len = (em_bits + 7) // 8
    em = m.to_bytes(em_len, "big")
    if em[-1] != 0xBC:
        return False
    masked, h = em[:em_len - 33], em[em_len - 33:-1]
    unused_bits = 8 * em_len - em_bits
    if masked[0] & ~(0xFF >> unused_bits) & 0xFF:
        return False
    db = bytearray(a ^ b for a, b in zip(masked, mgf1(h, len(masked))))
    db[0] &= 0xFF >> unused_bits
    ps_len = em_len - 32 - 32 - 2
    if any(db[:ps_len]) or db[ps_len] != 1:
        return False
    salt = bytes(db[ps_len + 1:])
    return hashlib.sha256(b"\x00" * 8 + digest + salt).digest() == h


HASHES = {"ecdsa-with-SHA256": hashlib.sha256, "ecdsa-with-SHA384": hashlib.sha384}


def signature_valid(cp, key):
    body = {k: v for k, v in cp.items() if k != "signature"}
    message = canonical(body).encode("utf-8")
    try:
        signature = base64.b64decode(cp["signature"], validate=True)
    except ValueError:
        return False
    if base64.b64encode(signature).decode("ascii") != cp["signature"]:
        return False  # only the one standard encoding of the bytes counts
    algorithm = cp["algorithm"]
    try:
        if key[0] == "ec" and algorithm in HASHES:
            return ecdsa_verify(key[1], key[2], HASHES[algorithm](message).digest(), signature)
        if key[0] == "rsa" and algorithm in ("sha256WithRSAEncryption", "rsassa-pss-sha256"):
            return rsa_verify(key[1], key[2], message, signature, algorithm == "rsassa-pss-sha256")
    except (IndexError, ValueError):
        return False
    return False


# ---- verification (docs/audit.md, "Verifying, step by step") ------------------------------------

def lines_of(path):
    """Complete lines (bytes, without the newline) and the number of bytes after the last newline."""
    with open(path, "rb") as f:
        data = f.read()
    end = data.rfind(b"\n") + 1
    return data[:end].split(b"\n")[:-1], len(data) - end


def verify(records_path, checkpoints_path, keys):
    problems = []
    held = {}  # seq -> [(checkpoint, location, signed)]
    checkpoints = 0

    def consider(value, raw, location):
        nonlocal checkpoints
        checkpoints += 1
        why = "not JSON" if value is None else checkpoint_shape_problem(value) or canonical_problem(value, raw)
        if why:
            problems.append({"kind": "forged-checkpoint", "seq": None, "location": location})
            return
        if keys:
            key = keys.get(value["publicKeySha256"])
            if key is None or not signature_valid(value, key):
                problems.append({"kind": "forged-checkpoint", "seq": value["seq"], "location": location})
                return
        held.setdefault(value["seq"], []).append((value, location, bool(keys)))

    # 1. Checkpoints: the checkpoints file, then checkpoint lines inside the records file.
    if os.path.exists(checkpoints_path):
        for number, raw in enumerate(lines_of(checkpoints_path)[0], 1):
            consider(parse_line(raw), raw, "checkpoint line %d" % number)
    record_lines, torn = lines_of(records_path)
    parsed = [parse_line(raw) for raw in record_lines]
    is_checkpoint = [isinstance(v, dict) and v.get("kind") == "checkpoint" for v in parsed]
    for number, raw in enumerate(record_lines, 1):
        if is_checkpoint[number - 1]:
            consider(parsed[number - 1], raw, "checkpoint line %d of %s" % (number, os.path.basename(records_path)))

    # 2. The chain, in storage order.
    chain = [(n, raw, v) for n, (raw, v, cp) in enumerate(zip(record_lines, parsed, is_checkpoint), 1) if not cp]
    expected, prev, last_proved, proved_through, count = 1, GENESIS, 0, 0, 0
    chain_break = None
    for index, (number, raw, r) in enumerate(chain):
        count += 1
        location = "line %d" % number
        if r is None or record_shape_problem(r) or canonical_problem(r, raw):
            chain_break = {"kind": "modified", "seq": expected, "location": location}
            break
        if r["seq"] != expected:
            if r["seq"] < expected:
                chain_break = {"kind": "reordered", "seq": r["seq"], "location": location}
            else:
                later = any(isinstance(v, dict) and record_shape_problem(v) is None and v["seq"] == expected for _, _, v in chain[index + 1:])
                chain_break = {"kind": "reordered" if later else "removed", "seq": expected, "location": location}
            break
        if record_hash(r) != r["hash"]:
            chain_break = {"kind": "modified", "seq": r["seq"], "location": location}
            break
        if r["prevHash"] != prev:
            chain_break = {"kind": "modified", "seq": max(r["seq"] - 1, 1), "location": location}
            break
        for cp, _, signed in held.get(r["seq"], []):
            if cp["headHash"] != r["hash"]:
                chain_break = {"kind": "modified", "seq": last_proved + 1, "location": location}
                break
            last_proved = r["seq"]
            if signed:
                proved_through = r["seq"]
        if chain_break:
            break
        prev = r["hash"]
        expected += 1
    last = expected - 1

    # 3. A checkpoint beyond the end proves records that are gone.
    if chain_break is None:
        beyond = [(cp, loc) for seq in held for cp, loc, _ in held[seq] if seq > last]
        if beyond:
            far = max(beyond, key=lambda b: b[0]["seq"])
            chain_break = {"kind": "truncated", "seq": last + 1, "location": far[1]}

    # 4. The earliest break wins; at equal seq the chain's own finding.
    broken = None
    for p in problems + ([chain_break] if chain_break else []):
        a = float("inf") if broken is None or broken["seq"] is None else broken["seq"]
        b = float("inf") if p["seq"] is None else p["seq"]
        if broken is None or b < a or (b == a and p is chain_break):
            broken = p
    return {"ok": broken is None, "records": count, "checkpoints": checkpoints, "provedThrough": proved_through, "broken": broken, "tornTailBytes": torn}


def main(argv):
    args, keys_pem, checkpoints_path = [], [], None
    i = 0
    while i < len(argv):
        if argv[i] in ("--public-key", "--checkpoints") and i + 1 < len(argv):
            if argv[i] == "--public-key":
                keys_pem.append(argv[i + 1])
            else:
                checkpoints_path = argv[i + 1]
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    records_path = args[0]
    if checkpoints_path is None:
        base = records_path[:-len(".jsonl")] if records_path.endswith(".jsonl") else records_path
        checkpoints_path = base + ".checkpoints.jsonl"
    keys = {}
    for path in keys_pem:
        with open(path) as f:
            spki = spki_of_pem(f.read())
        keys[sha256_hex(spki)] = parse_spki(spki)
    result = verify(records_path, checkpoints_path, keys)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
