#!/usr/bin/python3
"""An independent Noise peer for the interop test: Debian's python3-dissononce.

Connects to 127.0.0.1:PORT, runs Noise_XX_25519_ChaChaPoly_BLAKE2b with the
hotline prologue in the given role, using the Noise §13 framing (u16 BE
length), then exchanges transport messages:
  1. each side's handshake payloads are checked against the agreed values;
  2. the initiator sends "ping from <role>", the responder answers with
     "pong:" + that text, in both directions (so both ciphers are used);
  3. the C++ side sends its handshake hash; it must equal ours.
Exits 0 and prints OK on success; non-zero with a reason otherwise.
"""
import argparse
import socket
import struct
import sys

from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.handshakepatterns.interactive.XX import XXHandshakePattern
from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.hash.blake2b import Blake2bHash
from dissononce.dh.x25519.x25519 import X25519DH

PROLOGUE = b"hotline.v1"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise SystemExit("peer closed the connection early")
        buf += chunk
    return buf


def recv_frame(sock):
    (length,) = struct.unpack(">H", recv_exact(sock, 2))
    return recv_exact(sock, length)


def send_frame(sock, data):
    sock.sendall(struct.pack(">H", len(data)) + data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--role", choices=["initiator", "responder"], required=True)
    args = ap.parse_args()
    initiator = args.role == "initiator"

    hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), Blake2bHash()), X25519DH())
    hs.initialize(XXHandshakePattern(), initiator, PROLOGUE, s=X25519DH().generate_keypair())
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=20)

    my_payloads = [b"", b"py-msg-1", b"py-msg-2"]
    their_expected = [b"", b"cpp-msg-1", b"cpp-msg-2"]
    ciphers = None
    for i in range(3):
        my_turn = (i % 2 == 0) == initiator
        if my_turn:
            buf = bytearray()
            ciphers = hs.write_message(my_payloads[i], buf)
            send_frame(sock, bytes(buf))
        else:
            out = bytearray()
            ciphers = hs.read_message(recv_frame(sock), out)
            if bytes(out) != their_expected[i]:
                raise SystemExit("handshake payload %d mismatch: %r" % (i, bytes(out)))
    if ciphers is None:
        raise SystemExit("handshake did not complete")
    send_cs, recv_cs = (ciphers[0], ciphers[1]) if initiator else (ciphers[1], ciphers[0])

    for round_ in range(3):
        if initiator:
            msg = b"ping %d from python" % round_
            send_frame(sock, send_cs.encrypt_with_ad(b"", msg))
            reply = recv_cs.decrypt_with_ad(b"", recv_frame(sock))
            if reply != b"pong:" + msg:
                raise SystemExit("bad reply %r" % reply)
        else:
            msg = recv_cs.decrypt_with_ad(b"", recv_frame(sock))
            send_frame(sock, send_cs.encrypt_with_ad(b"", b"pong:" + msg))

    their_hash = recv_cs.decrypt_with_ad(b"", recv_frame(sock))
    ours = hs.symmetricstate.get_handshake_hash()
    if their_hash != ours:
        raise SystemExit("handshake hash differs: %s vs %s" % (their_hash.hex(), ours.hex()))
    send_frame(sock, send_cs.encrypt_with_ad(b"", b"bye"))
    sock.close()
    print("OK dissononce", args.role, "h =", ours.hex()[:16])
    return 0


if __name__ == "__main__":
    sys.exit(main())
