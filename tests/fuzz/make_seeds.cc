// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/)
// from real protocol objects. Run: build/tests/hotline_fuzz_seeds tests/fuzz/corpus
#include <fstream>

#include "fuzz_common.h"
#include "hotline/file_util.h"
#include "hotline/audit_log.h"
#include "hotline/control_codec.h"
#include "hotline/frame_codec.h"
#include "hotline/link_codec.h"
#include "hotline/receipt.h"
#include "hotline/secure_channel.h"
#include "hotline/v1/body.pb.h"
#include "hotline/v1/control.pb.h"

using namespace hotline;
namespace fs = std::filesystem;

static void Write(const fs::path& dir, const std::string& name, ByteView data) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                    static_cast<std::streamsize>(data.size()));
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  fs::path out = argv[1];
  auto& w = fuzz::World::Get();

  // Envelope and receipt.
  auto us_keys = w.KeysFor(*w.us, *w.jp);
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(std::string(16, 'i'));
  h.set_sender(v1::NATION_US);
  h.add_recipients(v1::NATION_JP);
  h.add_recipient_sequences(1);
  h.set_channel(v1::CHANNEL_CRISIS);
  h.set_precedence(v1::PRECEDENCE_FLASH);
  h.set_sequence(1);
  v1::Body body;
  body.mutable_text()->set_text("seed");
  Sha256Digest digest{};
  Bytes envelope = *us_keys->Seal(h, body, &digest);
  Write(out / "envelope_open", "text", envelope);
  v1::ReceiptDetails d;
  d.set_version(1);
  d.set_kind(v1::RECEIPT_KIND_DELIVERED);
  d.set_message_id(h.message_id());
  d.set_envelope_digest(ToString(digest));
  d.set_recipient(v1::NATION_JP);
  d.set_sender(v1::NATION_US);
  Write(out / "receipt", "delivered", AsBytes(SignReceipt(d, w.jp->keys.signing.secret).SerializeAsString()));

  // Certificates and the revocation list.
  Write(out / "certificate", "node", w.us->certificate);
  Write(out / "certificate", "relay", w.relay->certificate);
  Write(out / "certificate", "root-document", *ReadFileBytes(w.dir / kRootDocumentFile, 1 << 16));
  if (RevokeCertificate(w.dir, {.serial = 7, .nation = v1::NATION_JP, .now_unix = 1'800'000'000}).ok()) {
    Write(out / "certificate", "revocation-list",
          *ReadFileBytes(RevocationListPath(w.dir, v1::NATION_JP), 1 << 16));
  }

  // Link frames (one whole, one fragmented) and wire frames.
  v1::LinkFrame submit;
  submit.mutable_submit()->set_envelope(ToString(envelope));
  Write(out / "link_frame", "submit", EncodeLinkFrame(submit, 1)[0]);
  v1::LinkFrame big;
  big.mutable_submit()->set_envelope(std::string(40000, 'x'));
  Write(out / "link_frame", "fragment", EncodeLinkFrame(big, 2)[0]);
  v1::LinkFrame trust;
  trust.mutable_trust()->set_root_document(ToString(*ReadFileBytes(w.dir / kRootDocumentFile, 1 << 16)));
  Write(out / "link_frame", "trust", EncodeLinkFrame(trust, 3)[0]);
  Bytes wire;
  (void)AppendWireFrame(wire, envelope);
  Write(out / "frame_decoder", "frame", wire);

  // Handshake messages 1, 2 and 3 of a real exchange.
  SecureChannelConfig ic = w.Channel(*w.us, /*initiator=*/true, v1::ROLE_RELAY);
  SecureChannelConfig rc = w.Channel(*w.relay, /*initiator=*/false, v1::ROLE_NODE);
  SecureChannel node(ic), relay(rc);
  Bytes m1, m2, m3;
  (void)node.Start(m1);
  (void)relay.OnHandshakeMessage(m1, m2);
  (void)node.OnHandshakeMessage(m2, m3);
  Bytes both;
  both.push_back(static_cast<uint8_t>(m1.size() & 0xff));  // u16 little-endian length of m1
  both.push_back(static_cast<uint8_t>(m1.size() >> 8));
  Append(both, m1);
  Append(both, m3);
  Write(out / "handshake_responder", "m1m3", both);
  Write(out / "handshake_initiator", "m2", m2);

  // Control requests.
  v1::ControlRequest send;
  send.mutable_send()->add_to(v1::NATION_JP);
  *send.mutable_send()->mutable_body() = body;
  v1::ControlRequest status;
  status.mutable_status()->set_limit(3);
  Bytes control = EncodeControlMessage(send);
  Append(control, EncodeControlMessage(status));
  Write(out / "control_request", "send_status", control);

  // Audit: a record and a checkpoint note.
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_DELIVERED);
  rec.set_message_id(h.message_id());
  Write(out / "audit", "record", AsBytes(rec.SerializeAsString()));
  v1::Checkpoint cp;
  cp.set_origin("node-us");
  cp.set_size(4);
  cp.set_root(std::string(32, 'r'));
  v1::SignedCheckpoint scp;
  scp.set_checkpoint(cp.SerializeAsString());
  *scp.add_signatures() = SignCheckpointBytes(scp.checkpoint(), "node-us", w.us->keys.signing.secret,
                                              AsBytes(w.us->details.signing_public_key()));
  v1::CheckpointNote note;
  note.set_signed_checkpoint(scp.SerializeAsString());
  Write(out / "audit", "note", AsBytes(note.SerializeAsString()));
  std::error_code ec;
  fs::remove_all(w.dir, ec);
  return 0;
}
