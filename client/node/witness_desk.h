// Witnessing between nations (B15, docs/PROTOCOL.md §8): after operator
// traffic a node sends its newest signed checkpoint to each other nation,
// with a consistency proof from the size that nation last saw; and it
// counter-signs the checkpoints other nations send it, or raises a
// conflict. Sans-I/O around Witness: the daemon sends the notes, stores
// the evidence and audits what Observe says.
//
// Thread safety: none; the daemon's thread. Error contract: none; a bad
// note is an Observation with an alert, never an error.
#ifndef HOTLINE_CLIENT_NODE_WITNESS_DESK_H_
#define HOTLINE_CLIENT_NODE_WITNESS_DESK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hotline/audit_log.h"
#include "hotline/merkle.h"
#include "hotline/v1/body.pb.h"
#include "hotline/witness.h"

namespace hotline::node {

class WitnessDesk {
 public:
  WitnessDesk(v1::Nation self, std::unique_ptr<Witness> witness)
      : self_(self), witness_(std::move(witness)) {}

  void RestoreSent(v1::Nation to, uint64_t size) { sent_[to] = size; }
  void RestoreWitnessed(const v1::SignedCheckpoint& checkpoint) { witness_->Restore(checkpoint); }
  // Our checkpoint size last sent to `nation`; the size of `origin`'s log we witnessed.
  uint64_t SentTo(v1::Nation nation) const {
    auto it = sent_.find(nation);
    return it == sent_.end() ? 0 : it->second;
  }
  uint64_t WitnessedOf(const std::string& origin) const { return witness_->WitnessedSize(origin); }

  // Operator traffic since the last share; checkpoints are shared only
  // after it, so that witnessing (whose own messages grow the logs) does
  // not feed itself. Returns whether a share was due, and clears it.
  void NoteTraffic() { traffic_ = true; }
  bool TakeShareDue();

  struct Note {
    v1::Nation to = v1::NATION_UNSPECIFIED;
    uint64_t size = 0;  // the checkpoint's size: record with Sent() once it is sent
    v1::CheckpointNote note;
  };
  // Notes for our checkpoint `checkpoint` over `tree` (our log's leaf
  // hashes), for each nation that has not seen this size yet.
  std::vector<Note> NotesFor(const v1::SignedCheckpoint& checkpoint,
                             const merkle::Tree& tree) const;
  void Sent(v1::Nation to, uint64_t size) { sent_[to] = size; }

  struct Evidence {
    std::string origin;
    uint64_t size = 0;
    std::string countersigned;  // serialized SignedCheckpoint with our signature
  };
  struct Observation {
    bool seen_before = false;          // nothing to do
    AuditEntry record;                 // CHECKPOINT_WITNESSED or CHECKPOINT_CONFLICT
    std::optional<Evidence> evidence;  // to store (accepted)
    std::string alert;                 // for the operator (conflict)
  };
  Observation Observe(v1::Nation from, const v1::CheckpointNote& note);

 private:
  v1::Nation self_;
  std::unique_ptr<Witness> witness_;
  std::map<v1::Nation, uint64_t> sent_;  // last checkpoint size sent to each nation
  bool traffic_ = false;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_WITNESS_DESK_H_
