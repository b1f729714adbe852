// The commitment to consult: which consultations this node knows, who must
// answer, who has, and who is overdue. Sans-I/O bookkeeping; the node
// persists it (NodeStore) and feeds it the clock.
//
// Thread safety: none; the node's thread. Error contract: Answer() names why
// an answer is refused (unknown consultation, not a participant).
#ifndef HOTLINE_CLIENT_NODE_CONSULTATIONS_H_
#define HOTLINE_CLIENT_NODE_CONSULTATIONS_H_

#include <map>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/v1/control.pb.h"

namespace hotline::node {

class ConsultationBook {
 public:
  // Records a consultation; participants are the nations asked to answer.
  void Open(ByteView id, v1::Nation requester, const v1::ConsultRequest& request,
            const std::vector<v1::Nation>& participants, int64_t created_at_ms);
  Status Answer(ByteView id, v1::Nation nation, const v1::ConsultResponse& response, int64_t at_ms);

  struct Overdue {
    Bytes id;
    v1::Nation nation;
    std::string topic;
  };
  // Participants with no answer past respond_by that were not reported
  // before; each is reported once. `self` reports every participant of the
  // consultations it asked for, but only itself in others': answers go to
  // the requester alone, so it cannot know whether another nation answered.
  std::vector<Overdue> NewlyOverdue(int64_t now_ms, v1::Nation self);

  // Status of one (id) or all (empty id), newest first.
  std::vector<v1::ConsultationStatus> List(ByteView id, int64_t now_ms) const;
  bool Has(ByteView id) const { return book_.count(Bytes(id.begin(), id.end())) > 0; }
  // The stored form of one consultation (for persistence), or null.
  const v1::ConsultationStatus* Get(ByteView id) const;
  void Restore(const v1::ConsultationStatus& status);

 private:
  struct Entry {
    v1::ConsultationStatus status;
    std::map<int, bool> reported_overdue;
  };
  std::map<Bytes, Entry> book_;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_CONSULTATIONS_H_
