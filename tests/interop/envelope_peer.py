#!/usr/bin/python3
"""An independent envelope implementation, written from docs/PROTOCOL.md §1
and §4 alone (PyNaCl for the primitives, the .proto files for the schemas):
it opens envelopes our C++ sealed, in both signed forms, and seals envelopes
in both forms for the C++ side to open.

  envelope_peer.py --proto-out DIR open VECTORS.json
      Checks every case of the vector file; prints one line per case and
      exits 0 only if each envelope opened to its body, or was refused, as
      the case expects.
  envelope_peer.py --proto-out DIR seal KEYS.json OUT.json
      Seals the text in KEYS.json in both forms and writes the envelopes.

DIR holds the Python modules protoc generated from proto/ (--python_out).
Debian packages: python3-nacl, python3-protobuf.
"""
import argparse
import json
import os
import struct
import sys

import nacl.bindings as sodium
import nacl.exceptions
import nacl.signing

ENVELOPE_TAG = b"hotline.v1.envelope"
BODY_AD_TAG = b"hotline.v1.body"
EPOCH_KEY_TAG = b"hotline.v1.epoch-key"
EPOCH_SKEW_MS = 300_000


def ds(tag, *parts):
    """PROTOCOL §1.1: ASCII(tag) ‖ 0x00 ‖ u32(len p) ‖ p for each part."""
    out = bytearray(tag + b"\x00")
    for p in parts:
        out += struct.pack(">I", len(p)) + p
    return bytes(out)


def signing_input(env):
    """PROTOCOL §4 Seal step 5: the old form unless an epoch field is set."""
    wraps = b"".join(struct.pack(">I", w.recipient) + w.nonce + w.wrapped_key for w in env.wraps)
    epochs = b"".join(struct.pack(">Q", w.recipient_epoch) for w in env.wraps)
    if not env.sender_epoch_key and all(w.recipient_epoch == 0 for w in env.wraps):
        return ds(ENVELOPE_TAG, env.header, wraps, env.body_nonce, env.body_ciphertext)
    return ds(ENVELOPE_TAG, env.header, wraps, env.body_nonce, env.body_ciphertext, epochs,
              env.sender_epoch_key)


class Refused(Exception):
    pass


def verify(public_key, message, signature):
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def verify_epoch_key(pb, encoded, signing_public, nation, cert_serial):
    """PROTOCOL §4 "Forward secrecy: epoch keys": the checks a verifier makes."""
    signed = pb.envelope.SignedEpochKey()
    signed.ParseFromString(encoded)
    if not verify(signing_public, ds(EPOCH_KEY_TAG, signed.details), signed.signature):
        raise Refused("bad sender epoch key: signature")
    d = pb.envelope.EpochKeyDetails()
    d.ParseFromString(signed.details)
    day = 86_400_000
    if (d.version != 1 or len(d.public_key) != 32 or d.epoch < 1 or d.nation != nation
            or d.cert_serial != cert_serial
            or not 0 <= d.not_before_ms <= d.not_after_ms <= d.not_before_ms + 7 * day
            or not d.not_after_ms <= d.keep_until_ms <= d.not_after_ms + 30 * day
            or d.keep_until_ms >= 2**52):
        raise Refused("bad sender epoch key: details")
    return d


def open_envelope(pb, encoded, me, e2e_secret, epoch_secrets, sender_signing, sender_e2e):
    if len(encoded) > 1 << 20:
        raise Refused("too large")
    env = pb.envelope.Envelope()
    env.ParseFromString(encoded)
    header = pb.envelope.EnvelopeHeader()
    header.ParseFromString(env.header)
    if header.version != 1 or len(header.message_id) != 16:
        raise Refused("malformed header")
    if len(env.wraps) != len(header.recipients):
        raise Refused("malformed wraps")
    for w, r in zip(env.wraps, header.recipients):
        if w.recipient != r or len(w.nonce) != 24 or len(w.wrapped_key) != 48:
            raise Refused("malformed wrap")
    if len(env.body_nonce) != 24 or len(env.signature) != 64:
        raise Refused("malformed envelope")
    if not env.sender_epoch_key and any(w.recipient_epoch for w in env.wraps):
        raise Refused("epoch wrap without a sender epoch key")
    if me not in header.recipients:
        raise Refused("not a recipient")
    if not verify(sender_signing, signing_input(env), env.signature):
        raise Refused("signature does not verify")
    wrap = env.wraps[list(header.recipients).index(me)]
    sender_epoch = None
    if env.sender_epoch_key:
        sender_epoch = verify_epoch_key(pb, env.sender_epoch_key, sender_signing, header.sender,
                                        header.sender_cert_serial)
    if wrap.recipient_epoch != 0:
        secret = epoch_secrets.get(wrap.recipient_epoch)
        if secret is None:
            raise Refused("destroyed or was never ours")
        if not (sender_epoch.not_before_ms - EPOCH_SKEW_MS <= header.created_at_ms
                <= sender_epoch.not_after_ms + EPOCH_SKEW_MS):
            raise Refused("outside the sender's epoch key validity")
        box_key = sodium.crypto_box_beforenm(sender_epoch.public_key, secret)
    else:
        box_key = sodium.crypto_box_beforenm(sender_e2e, e2e_secret)
    try:
        content_key = sodium.crypto_box_open_afternm(wrap.wrapped_key, wrap.nonce, box_key)
        plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            env.body_ciphertext, ds(BODY_AD_TAG, env.header), env.body_nonce, content_key)
    except nacl.exceptions.CryptoError:
        raise Refused("does not unwrap or decrypt")
    body = pb.body.Body()
    body.ParseFromString(plaintext)
    if body.version != 1 or body.WhichOneof("payload") is None:
        raise Refused("malformed body")
    return body, wrap.recipient_epoch != 0


def seal(pb, header, body, signing_seed, wrap_for, sender_epoch_key=b""):
    """PROTOCOL §4 Seal. wrap_for: [(recipient, box_key, recipient_epoch)]."""
    content_key = os.urandom(32)
    env = pb.envelope.Envelope()
    env.header = header.SerializeToString()
    for recipient, box_key, epoch in wrap_for:
        w = env.wraps.add()
        w.recipient = recipient
        w.nonce = os.urandom(24)
        w.wrapped_key = sodium.crypto_box_afternm(content_key, w.nonce, box_key)
        w.recipient_epoch = epoch
    env.body_nonce = os.urandom(24)
    env.body_ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        body.SerializeToString(), ds(BODY_AD_TAG, env.header), env.body_nonce, content_key)
    env.sender_epoch_key = sender_epoch_key
    env.signature = nacl.signing.SigningKey(signing_seed).sign(signing_input(env)).signature
    return env.SerializeToString()


def load_protos(out_dir):
    sys.path.insert(0, out_dir)
    from hotline.v1 import body_pb2, envelope_pb2  # noqa: E402 (generated at test time)

    class Pb:
        body = body_pb2
        envelope = envelope_pb2
    return Pb


def hx(s):
    return bytes.fromhex(s)


def cmd_open(pb, path):
    with open(path) as f:
        vectors = json.load(f)
    failures = 0
    for case in vectors["cases"]:
        keys = vectors["keys"]
        me = case["recipient"]
        epoch_secrets = {int(k): hx(v) for k, v in case.get("recipient_epoch_secrets", {}).items()}
        try:
            body, forward_secret = open_envelope(
                pb, hx(case["envelope"]), me, hx(keys[str(me)]["e2e_secret"]), epoch_secrets,
                hx(keys[str(case["sender"])]["signing_public"]),
                hx(keys[str(case["sender"])]["e2e_public"]))
            got = "opened %r%s" % (body.text.text, " forward-secret" if forward_secret else "")
            ok = "text" in case and body.text.text == case["text"] and \
                forward_secret == case["forward_secret"]
        except Refused as e:
            got = "refused: %s" % e
            ok = "refused" in case and case["refused"] in str(e)
        print("%s %s: %s" % ("ok  " if ok else "FAIL", case["name"], got))
        failures += not ok
    return 1 if failures else 0


def cmd_seal(pb, keys_path, out_path):
    with open(keys_path) as f:
        k = json.load(f)
    header = pb.envelope.EnvelopeHeader()
    header.version = 1
    header.sender = k["sender"]
    header.recipients.append(k["recipient"])
    header.channel = 2  # MISSILE_WARNING
    header.precedence = 4  # FLASH
    header.sequence = 1
    header.created_at_ms = k["created_at_ms"]
    header.sender_cert_serial = k["sender_cert_serial"]
    body = pb.body.Body()
    body.version = 1
    body.text.text = k["text"]
    out = {}
    header.message_id = os.urandom(16)
    long_term = sodium.crypto_box_beforenm(hx(k["recipient_e2e_public"]), hx(k["sender_e2e_secret"]))
    out["long_term"] = seal(pb, header, body, hx(k["sender_signing_seed"]),
                            [(k["recipient"], long_term, 0)]).hex()
    header.message_id = os.urandom(16)
    epoch_box = sodium.crypto_box_beforenm(hx(k["recipient_epoch_public"]),
                                           hx(k["sender_epoch_secret"]))
    out["epoch"] = seal(pb, header, body, hx(k["sender_signing_seed"]),
                        [(k["recipient"], epoch_box, k["recipient_epoch"])],
                        hx(k["sender_signed_epoch_key"])).hex()
    with open(out_path, "w") as f:
        json.dump(out, f)
    print("sealed both forms")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proto-out", required=True)
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("open")
    o.add_argument("vectors")
    s = sub.add_parser("seal")
    s.add_argument("keys")
    s.add_argument("out")
    a = ap.parse_args()
    pb = load_protos(a.proto_out)
    if a.cmd == "open":
        return cmd_open(pb, a.vectors)
    return cmd_seal(pb, a.keys, a.out)


if __name__ == "__main__":
    sys.exit(main())
