// Fuzz target: audit records, checkpoints, witness notes and Merkle proofs
// (what `hotline audit` and a witness read from others).
#include "fuzz_common.h"
#include "hotline/audit_log.h"
#include "hotline/merkle.h"
#include "hotline/v1/body.pb.h"
#include "hotline/witness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::v1::AuditRecord record;
  (void)record.ParseFromArray(data, static_cast<int>(size));
  hotline::v1::CheckpointNote note;
  if (note.ParseFromArray(data, static_cast<int>(size))) {
    hotline::v1::SignedCheckpoint cp;
    if (cp.ParseFromString(note.signed_checkpoint())) {
      hotline::Ed25519Public pk;
      std::copy_n(w.us->details.signing_public_key().begin(), 32, pk.begin());
      hotline::Witness witness("node-jp", w.jp->keys.signing.secret, pk,
                               [pk](const std::string&) -> hotline::StatusOr<hotline::Ed25519Public> { return pk; });
      std::vector<hotline::Bytes> proof;
      for (const auto& p : note.consistency_proof()) proof.push_back(hotline::ToBytes(p));
      (void)witness.Observe(cp, note.from_size(), proof);
      (void)witness.Observe(cp, note.from_size(), proof);
    }
  }
  // Merkle verification with fuzzed sizes and proof nodes.
  if (size >= 16) {
    uint64_t a = 0, b = 0;
    for (int i = 0; i < 8; ++i) a = a << 8 | data[i];
    for (int i = 8; i < 16; ++i) b = b << 8 | data[i];
    std::vector<hotline::Bytes> proof;
    for (size_t off = 16; off + 32 <= size; off += 32) proof.emplace_back(data + off, data + off + 32);
    hotline::Bytes h(32, 7);
    (void)hotline::merkle::VerifyInclusion(a % 1000, b % 2000, h, proof, h);
    (void)hotline::merkle::VerifyConsistency(a % 1000, b % 2000, h, h, proof);
  }
  return 0;
}
