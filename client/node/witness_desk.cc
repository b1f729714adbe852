#include "node/witness_desk.h"

#include <span>

#include "hotline/certs.h"

namespace hotline::node {

bool WitnessDesk::TakeShareDue() {
  bool due = traffic_;
  traffic_ = false;
  return due;
}

std::vector<WitnessDesk::Note> WitnessDesk::NotesFor(const v1::SignedCheckpoint& checkpoint,
                                                     const merkle::Tree& tree) const {
  std::vector<Note> out;
  v1::Checkpoint cp;
  if (!cp.ParseFromString(checkpoint.checkpoint()) || cp.size() > tree.size()) return out;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    if (n == self_) continue;
    auto it = sent_.find(n);
    uint64_t from = it == sent_.end() ? 0 : it->second;
    if (from >= cp.size()) continue;
    Note note;
    note.to = n;
    note.size = cp.size();
    note.note.set_signed_checkpoint(checkpoint.SerializeAsString());
    note.note.set_from_size(from);
    if (from > 0) {
      for (const auto& h : tree.ConsistencyProof(from, cp.size()))
        note.note.add_consistency_proof(ToString(h));
    }
    out.push_back(std::move(note));
  }
  return out;
}

WitnessDesk::Observation WitnessDesk::Observe(v1::Nation from, const v1::CheckpointNote& note) {
  Observation out;
  v1::SignedCheckpoint signed_cp;
  std::vector<Bytes> proof;
  for (const auto& p : note.consistency_proof()) proof.push_back(ToBytes(p));
  WitnessResult result;
  if (!signed_cp.ParseFromString(note.signed_checkpoint())) {
    result.verdict = WitnessVerdict::kMalformed;
    result.detail = "checkpoint note does not parse";
  } else {
    result = witness_->Observe(signed_cp, note.from_size(), proof);
  }
  if (result.verdict == WitnessVerdict::kAlreadySeen) {
    out.seen_before = true;
    return out;
  }
  v1::Checkpoint cp;
  bool parsed = cp.ParseFromString(signed_cp.checkpoint());
  std::string where = parsed ? cp.origin() + " at size " + std::to_string(cp.size()) : "";
  if (result.verdict == WitnessVerdict::kAccepted) {
    out.record = {.event = v1::AUDIT_EVENT_CHECKPOINT_WITNESSED, .peer = from, .detail = where};
    out.evidence = Evidence{cp.origin(), cp.size(), result.countersigned.SerializeAsString()};
    return out;
  }
  std::string what = std::string(WitnessVerdictName(result.verdict)) + ": " + result.detail;
  out.alert = "AUDIT LOG CONFLICT from " + NationCode(from) + " — " + what;
  out.record = {
      .event = v1::AUDIT_EVENT_CHECKPOINT_CONFLICT, .peer = from, .reason = what, .detail = where};
  return out;
}

}  // namespace hotline::node
