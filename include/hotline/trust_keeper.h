// The trust documents in force at one host — a node or a relay — and how
// new ones are taken: from a link, from an operator, or from the trust
// folder. A root document replaces the one in force only as its valid
// successor; a revocation list only with a higher number. Both are kept in
// a small SQLite ledger in the host's data folder, so that neither a
// restart nor a trust folder copied back from a backup ever goes back to
// an older one (docs/PROTOCOL.md §2 "Distribution").
//
// Thread safety: one thread. Error contract: Open fails only when the host
// cannot start (no valid root document, unreadable ledger); Offer never
// fails the host, it says what happened and why.
#ifndef HOTLINE_TRUST_KEEPER_H_
#define HOTLINE_TRUST_KEEPER_H_

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hotline/certs.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/control.pb.h"

namespace hotline {

enum class TrustOutcome {
  kApplied,    // taken and recorded: audit it, alert, pass it on
  kUnchanged,  // the very document in force
  kStale,      // older than the one in force (a peer or a folder behind us)
  kRefused,    // invalid: reason says why
  kConflict,   // validly signed, but another document with its number is in force
};

struct TrustResult {
  TrustOutcome outcome = TrustOutcome::kRefused;
  std::string what;    // "revocation list KR #2", "root document 3"
  std::string reason;  // stale / refused: why; applied: what changed
  std::vector<std::pair<uint64_t, v1::Nation>> newly_revoked = {};
  bool root_replaced = false;
  bool repeated = false;            // refused or conflicting before: not to be reported again
  v1::TrustDocument document = {};  // as received, to pass on
};

class TrustKeeper {
 public:
  // Opens (creating) the ledger at `ledger_path` and takes the newest of
  // it and of `certs_dir`: on a first start the folder's root.doc is the
  // one in force; afterwards the ledger's, replaced by the folder's only
  // as a valid successor. Results of what the folder offered are in
  // `folder_results`.
  static StatusOr<std::unique_ptr<TrustKeeper>> Open(const std::filesystem::path& certs_dir,
                                                     const std::filesystem::path& ledger_path,
                                                     int64_t now_unix,
                                                     std::vector<TrustResult>* folder_results);

  // The store the host verifies with; its address is stable.
  const TrustStore& store() const { return store_; }

  // A document from a link or an operator. Applied ones are durable on return.
  TrustResult Offer(const v1::TrustDocument& document, int64_t now_unix);
  // Every document in the trust folder, offered in order (root first).
  std::vector<TrustResult> OfferFolder(int64_t now_unix);
  // What is in force, root document first: what a host sends on each new link.
  std::vector<v1::TrustDocument> InForce() const;
  v1::TrustSummary Summary() const;

 private:
  TrustKeeper(std::filesystem::path certs_dir, std::unique_ptr<Database> ledger, TrustStore store);
  TrustResult OfferRoot(const std::string& encoded, int64_t now_unix);
  TrustResult OfferList(const std::string& encoded);
  // After a rotation: lists whose signer left the root document are retired.
  std::string RetireUnverifiableLists();
  Status Record(const std::string& slot, uint64_t number, const std::string& encoded);
  Status Forget(const std::string& slot);
  Status RecordRetired();

  std::filesystem::path certs_dir_;
  std::unique_ptr<Database> ledger_;
  TrustStore store_;
  std::string root_;                         // encoded, in force
  std::map<v1::Nation, std::string> lists_;  // encoded, in force, by issuer
  // Digests of documents refused or found conflicting, and why: offered
  // again (every link-up), they are neither checked nor reported again.
  std::map<std::string, TrustResult> judged_;
};

// "root document 3" / "revocation list KR #2" / "joint revocation list #1".
std::string DescribeTrustDocument(const v1::TrustDocument& document);

}  // namespace hotline

#endif  // HOTLINE_TRUST_KEEPER_H_
