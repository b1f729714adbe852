// The offline history checker: reads the audit records of every node (and
// relay) after a run and counts, per TESTING.md "How to judge a run":
//   lost         a message in a sender's log (SENT: its API accepted it)
//                never delivered to one of its recipients;
//   duplicated   delivered into a recipient's inbox more than once;
//   unreceipted  delivered, but the sender never verified the receipt;
//   out of order released to a recipient's operator out of its
//                (sender, channel) stream order;
//   mismatched   delivered with a different envelope digest than sent.
//
// Thread safety: none. Error contract: reading a store returns Status.
#ifndef HOTLINE_HISTORY_H_
#define HOTLINE_HISTORY_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hotline/status.h"
#include "hotline/v1/audit.pb.h"

namespace hotline {

// Every audit record of the store at `path`, in index order.
StatusOr<std::vector<v1::AuditRecord>> ReadAuditRecords(const std::filesystem::path& path);

struct HistoryReport {
  size_t sent = 0;           // (message, recipient) pairs sent
  size_t delivered = 0;      // (message, recipient) pairs delivered at least once
  size_t lost = 0, duplicated = 0, unreceipted = 0, out_of_order = 0, mismatched = 0;
  size_t relay_disagreements = 0;  // a relay recorded another digest, or a message no node sent
  std::vector<std::string> problems;  // one line each, capped
  bool clean() const {
    return lost + duplicated + unreceipted + out_of_order + mismatched + relay_disagreements == 0;
  }
  std::string Summary() const;
};

class HistoryChecker {
 public:
  // Adds the log of one process. Records name their actor ("node-us").
  void Add(const std::vector<v1::AuditRecord>& records);
  HistoryReport Check() const;

 private:
  struct Sent {
    v1::Nation sender;
    std::vector<v1::Nation> recipients;
    std::string digest;
  };
  std::map<std::string, Sent> sent_;                                  // by message id
  std::map<std::pair<std::string, int>, std::vector<std::string>> delivered_;  // (id, recipient) -> digests
  std::map<std::pair<std::string, int>, std::string> receipts_;      // (id, recipient) -> digest at sender
  std::vector<std::pair<std::string, std::string>> relay_accepted_;  // (relay, id) digests
  std::map<std::string, std::string> relay_digest_;                  // id -> digest (relay key "relay|id")
  std::vector<std::string> order_problems_;
};

v1::Nation NationOfActor(const std::string& actor);  // "node-us" -> US

}  // namespace hotline

#endif  // HOTLINE_HISTORY_H_
