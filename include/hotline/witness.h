// A witness of other logs' checkpoints (B15): for each origin it keeps the
// last checkpoint it accepted and accepts a new one only if it is signed by
// the origin and consistent with the last (RFC 9162 consistency proof).
// A smaller size is a rollback; the same size with another root, or a
// failed consistency proof, is a fork. Accepted checkpoints are
// counter-signed. Sans-I/O; the node stores the evidence.
//
// Thread safety: none. Error contract: Observe returns a WitnessVerdict;
// only kAccepted changes state.
#ifndef HOTLINE_WITNESS_H_
#define HOTLINE_WITNESS_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/v1/audit.pb.h"

namespace hotline {

enum class WitnessVerdict { kAccepted, kAlreadySeen, kBadSignature, kRollback, kFork, kMalformed };
std::string_view WitnessVerdictName(WitnessVerdict v);

struct WitnessResult {
  WitnessVerdict verdict = WitnessVerdict::kMalformed;
  std::string detail;
  v1::SignedCheckpoint countersigned;  // with our signature added, when accepted
};

class Witness {
 public:
  Witness(std::string self, Ed25519Secret key, Ed25519Public public_key,
          std::function<StatusOr<Ed25519Public>(const std::string&)> key_for);

  // `proof` proves consistency from the last accepted checkpoint of this
  // origin (`from_size`) to the new one; empty for the first one seen.
  WitnessResult Observe(const v1::SignedCheckpoint& checkpoint, uint64_t from_size,
                        const std::vector<Bytes>& proof);
  // Restores the last accepted checkpoint of an origin (from the store).
  void Restore(const v1::SignedCheckpoint& checkpoint);
  // The size of the last accepted checkpoint of `origin` (0: none).
  uint64_t WitnessedSize(const std::string& origin) const {
    auto it = last_.find(origin);
    return it == last_.end() ? 0 : it->second.size();
  }

 private:
  std::string self_;
  Ed25519Secret key_;
  Ed25519Public public_key_;
  std::function<StatusOr<Ed25519Public>(const std::string&)> key_for_;
  std::map<std::string, v1::Checkpoint> last_;
};

}  // namespace hotline

#endif  // HOTLINE_WITNESS_H_
