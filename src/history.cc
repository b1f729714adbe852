#include "hotline/history.h"

#include "hotline/audit_log.h"
#include "hotline/bytes.h"
#include "hotline/certs.h"

namespace hotline {

StatusOr<std::vector<v1::AuditRecord>> ReadAuditRecords(const std::filesystem::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(AuditLogReader reader, AuditLogReader::Open(path));
  std::vector<v1::AuditRecord> out;
  HOTLINE_RETURN_IF_ERROR(
      reader.ForEachRecord([&](const AuditLogReader::StoredRecord& stored) -> Status {
        v1::AuditRecord r;
        if (!r.ParseFromArray(stored.record.data(), static_cast<int>(stored.record.size()))) {
          return DataLossError(path.string() + ": audit record " + std::to_string(stored.index) +
                               " does not parse");
        }
        out.push_back(std::move(r));
        return Status::Ok();
      }));
  return out;
}

v1::Nation NationOfActor(const std::string& actor) {
  if (actor.rfind("node-", 0) != 0) return v1::NATION_UNSPECIFIED;
  auto n = ParseNation(actor.substr(5));
  return n.ok() ? *n : v1::NATION_UNSPECIFIED;
}

void HistoryChecker::Add(const std::vector<v1::AuditRecord>& records) {
  std::map<std::pair<int, int>, uint64_t> last_seq;  // (sender, channel) at this recipient
  for (const auto& r : records) {
    v1::Nation self = NationOfActor(r.actor());
    if (self == v1::NATION_UNSPECIFIED) {
      // A relay: what it accepted must be what the sender sent.
      if (r.event() == v1::AUDIT_EVENT_ACCEPTED) {
        relay_accepted_.emplace_back(r.actor(), r.message_id());
        relay_digest_[r.actor() + "|" + r.message_id()] = r.envelope_digest();
      }
      continue;
    }
    const std::string& id = r.message_id();
    switch (r.event()) {
      case v1::AUDIT_EVENT_SENT: {
        Sent s{self, {}, r.envelope_digest()};
        for (int n : r.recipients()) s.recipients.push_back(static_cast<v1::Nation>(n));
        sent_[id] = std::move(s);
        break;
      }
      case v1::AUDIT_EVENT_DELIVERED: {
        delivered_[{id, self}].push_back(r.envelope_digest());
        auto& last = last_seq[{r.peer(), r.channel()}];
        // Shown ahead of a gap or late by the release rule: marked as such
        // when it happened, not a fault of ordering.
        if (r.release() != v1::RELEASE_ORDER_IN_SEQUENCE) break;
        if (r.sequence() != 0 && r.sequence() <= last) {
          order_problems_.push_back(r.actor() + ": " + ToHex(AsBytes(id)) + " from " +
                                    NationCode(r.peer()) + " released as #" +
                                    std::to_string(r.sequence()) + " after #" + std::to_string(last));
        }
        last = std::max(last, r.sequence());
        break;
      }
      case v1::AUDIT_EVENT_RECEIPT_RECEIVED:
        receipts_[{id, r.peer()}] = r.envelope_digest();
        break;
      default:
        break;
    }
  }
}

HistoryReport HistoryChecker::Check() const {
  HistoryReport rep;
  auto note = [&rep](std::string line) {
    if (rep.problems.size() < 50) rep.problems.push_back(std::move(line));
  };
  for (const auto& [id, s] : sent_) {
    for (v1::Nation r : s.recipients) {
      ++rep.sent;
      std::string what = ToHex(AsBytes(id)) + " " + NationCode(s.sender) + "->" + NationCode(r);
      auto d = delivered_.find({id, r});
      if (d == delivered_.end()) {
        ++rep.lost;
        note("lost " + what);
        continue;
      }
      ++rep.delivered;
      if (d->second.size() > 1) {
        ++rep.duplicated;
        note("duplicated x" + std::to_string(d->second.size()) + " " + what);
      }
      for (const auto& digest : d->second) {
        if (digest != s.digest) {
          ++rep.mismatched;
          note("digest differs " + what);
          break;
        }
      }
      auto receipt = receipts_.find({id, r});
      if (receipt == receipts_.end()) {
        ++rep.unreceipted;
        note("no receipt back " + what);
      } else if (receipt->second != s.digest) {
        ++rep.mismatched;
        note("receipt binds another digest " + what);
      }
    }
  }
  for (const auto& [key, digests] : delivered_) {
    if (!sent_.count(key.first)) note("delivered but in no sender's log: " + ToHex(AsBytes(key.first)));
  }
  for (const auto& [relay, id] : relay_accepted_) {
    auto s = sent_.find(id);
    if (s == sent_.end()) {
      ++rep.relay_disagreements;
      note(relay + " accepted " + ToHex(AsBytes(id)) + ", which no node's log shows as sent");
    } else if (relay_digest_.at(relay + "|" + id) != s->second.digest) {
      ++rep.relay_disagreements;
      note(relay + " recorded another digest for " + ToHex(AsBytes(id)));
    }
  }
  rep.out_of_order = order_problems_.size();
  for (const auto& p : order_problems_) note("out of order " + p);
  return rep;
}

std::string HistoryReport::Summary() const {
  return std::to_string(sent) + " sent (message x recipient), " + std::to_string(delivered) +
         " delivered, " + std::to_string(lost) + " lost, " + std::to_string(duplicated) +
         " duplicated, " + std::to_string(unreceipted) + " unreceipted, " +
         std::to_string(out_of_order) + " out of order, " + std::to_string(mismatched) +
         " digest mismatches, " + std::to_string(relay_disagreements) + " relay disagreements";
}

}  // namespace hotline
