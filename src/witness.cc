#include "hotline/witness.h"

#include "hotline/audit_log.h"
#include "hotline/merkle.h"

namespace hotline {

std::string_view WitnessVerdictName(WitnessVerdict v) {
  switch (v) {
    case WitnessVerdict::kAccepted: return "accepted";
    case WitnessVerdict::kAlreadySeen: return "already seen";
    case WitnessVerdict::kBadSignature: return "bad signature";
    case WitnessVerdict::kRollback: return "rollback";
    case WitnessVerdict::kFork: return "fork";
    case WitnessVerdict::kMalformed: return "malformed";
  }
  return "unknown";
}

Witness::Witness(std::string self, Ed25519Secret key, Ed25519Public public_key,
                 std::function<StatusOr<Ed25519Public>(const std::string&)> key_for)
    : self_(std::move(self)), key_(key), public_key_(public_key), key_for_(std::move(key_for)) {}

void Witness::Restore(const v1::SignedCheckpoint& checkpoint) {
  v1::Checkpoint cp;
  if (cp.ParseFromString(checkpoint.checkpoint())) {
    auto& last = last_[cp.origin()];
    if (cp.size() >= last.size()) last = cp;
  }
}

WitnessResult Witness::Observe(const v1::SignedCheckpoint& checkpoint, uint64_t from_size,
                               const std::vector<Bytes>& proof) {
  WitnessResult out;
  v1::Checkpoint cp;
  if (!cp.ParseFromString(checkpoint.checkpoint()) || cp.root().size() != 32 || cp.origin().empty()) {
    out.detail = "checkpoint does not parse";
    return out;
  }
  auto key = key_for_(cp.origin());
  if (!key.ok() || !VerifyCheckpointSignature(checkpoint, *key).ok()) {
    out.verdict = WitnessVerdict::kBadSignature;
    out.detail = "checkpoint of '" + cp.origin() + "' at size " + std::to_string(cp.size()) +
                 " is not signed by it";
    return out;
  }
  auto it = last_.find(cp.origin());
  if (it != last_.end()) {
    const v1::Checkpoint& last = it->second;
    if (cp.size() < last.size()) {
      out.verdict = WitnessVerdict::kRollback;
      out.detail = "'" + cp.origin() + "' now claims " + std::to_string(cp.size()) +
                   " records after showing " + std::to_string(last.size());
      return out;
    }
    if (cp.size() == last.size()) {
      if (cp.root() != last.root()) {
        out.verdict = WitnessVerdict::kFork;
        out.detail = "'" + cp.origin() + "' shows two roots for size " + std::to_string(cp.size());
        return out;
      }
      out.verdict = WitnessVerdict::kAlreadySeen;
      return out;
    }
    Status st = from_size != last.size()
                    ? DataLossError("proof is from size " + std::to_string(from_size) + ", not " +
                                    std::to_string(last.size()))
                    : merkle::VerifyConsistency(last.size(), cp.size(), AsBytes(last.root()),
                                                AsBytes(cp.root()), proof);
    if (!st.ok()) {
      out.verdict = WitnessVerdict::kFork;
      out.detail = "'" + cp.origin() + "' at size " + std::to_string(cp.size()) +
                   " is not consistent with size " + std::to_string(last.size()) + ": " + st.message();
      return out;
    }
  }
  last_[cp.origin()] = cp;
  out.verdict = WitnessVerdict::kAccepted;
  out.countersigned = checkpoint;
  *out.countersigned.add_signatures() = SignCheckpointBytes(checkpoint.checkpoint(), self_, key_, public_key_);
  return out;
}

}  // namespace hotline
