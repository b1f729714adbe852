#include "hotline/trust_keeper.h"

#include <set>

#include "hotline/file_util.h"
#include "hotline/limits.h"
#include "hotline/trust_dir.h"

namespace hotline {

namespace fs = std::filesystem;

namespace {

// One row per slot: "root", "list-joint", "list-us", "list-jp", "list-kr".
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS trust_documents (
  slot TEXT PRIMARY KEY,
  number INTEGER NOT NULL,
  document BLOB NOT NULL
);
)sql";

const v1::Nation kIssuers[] = {v1::NATION_UNSPECIFIED, v1::NATION_US, v1::NATION_JP, v1::NATION_KR};

std::string ListSlot(v1::Nation issuer) {
  // The file name's tail: "joint", "us", "jp", "kr".
  std::string file = RevocationListPath("", issuer).stem().string();
  return "list-" + file.substr(file.find('-') + 1);
}

std::string ListName(v1::Nation issuer, uint64_t number) {
  return (issuer == v1::NATION_UNSPECIFIED ? "joint revocation list"
                                           : "revocation list " + NationCode(issuer)) +
         " #" + std::to_string(number);
}

v1::TrustDocument RootDocumentOf(std::string encoded) {
  v1::TrustDocument d;
  d.set_root_document(std::move(encoded));
  return d;
}

v1::TrustDocument ListDocumentOf(std::string encoded) {
  v1::TrustDocument d;
  d.set_revocation_list(std::move(encoded));
  return d;
}

// Issuer and number of an encoded list, unverified (for naming and for
// telling an old list from a new one before checking signatures).
std::optional<v1::RevocationListDetails> PeekList(const std::string& encoded) {
  v1::RevocationList list;
  v1::RevocationListDetails details;
  if (encoded.size() > limits::kMaxRevocationListBytes || !list.ParseFromString(encoded) ||
      !details.ParseFromString(list.details()) || !v1::Nation_IsValid(details.issuer())) {
    return std::nullopt;
  }
  return details;
}

std::string Revoked(const std::vector<std::pair<uint64_t, v1::Nation>>& entries) {
  std::string out;
  for (const auto& [serial, nation] : entries) {
    out += (out.empty() ? "" : ", ") + NationCode(nation) + " serial " + std::to_string(serial);
  }
  return out.empty() ? "no new revocation" : "revokes " + out;
}

}  // namespace

std::string DescribeTrustDocument(const v1::TrustDocument& document) {
  if (document.has_root_document()) {
    auto parsed = ParseRootDocument(AsBytes(document.root_document()));
    return parsed.ok() ? "root document " + std::to_string(parsed->details.serial())
                       : "root document (unreadable)";
  }
  if (document.has_revocation_list()) {
    auto details = PeekList(document.revocation_list());
    return details ? ListName(details->issuer(), details->number())
                   : "revocation list (unreadable)";
  }
  return "empty trust document";
}

TrustKeeper::TrustKeeper(fs::path certs_dir, std::unique_ptr<Database> ledger, TrustStore store)
    : certs_dir_(std::move(certs_dir)), ledger_(std::move(ledger)), store_(std::move(store)) {}

StatusOr<std::unique_ptr<TrustKeeper>> TrustKeeper::Open(const fs::path& certs_dir,
                                                         const fs::path& ledger_path,
                                                         int64_t now_unix,
                                                         std::vector<TrustResult>* folder_results) {
  HOTLINE_ASSIGN_OR_RETURN(auto ledger, Database::Open(ledger_path, kSchema));
  std::string root, retired;
  std::map<v1::Nation, std::string> lists;
  HOTLINE_RETURN_IF_ERROR(ledger->ForEachRow("SELECT slot, document FROM trust_documents",
                                             [&](Statement& row) -> Status {
                                               std::string slot = row.ColumnText(0);
                                               std::string doc = ToString(row.ColumnBlob(1));
                                               if (slot == "root") root = doc;
                                               if (slot == "retired") retired = doc;
                                               for (v1::Nation issuer : kIssuers) {
                                                 if (slot == ListSlot(issuer)) lists[issuer] = doc;
                                               }
                                               return Status::Ok();
                                             }));
  bool first_start = root.empty();
  fs::path folder_root_path = certs_dir / kRootDocumentFile;
  auto folder_root = ReadFileBytes(folder_root_path, limits::kMaxCertificateBytes);
  if (first_start) {
    if (!folder_root.ok()) return folder_root.status();
    root = ToString(*folder_root);
  }
  auto store = TrustStore::Create(AsBytes(root), now_unix);
  if (!store.ok() && !first_start && folder_root.ok()) {
    // The document in force expired while the host was down: its successor
    // in the folder (signed by a threshold of its keys) takes over.
    auto current = ParseRootDocument(AsBytes(root));
    auto next = ParseRootDocument(*folder_root);
    if (current.ok() && next.ok() && next->details.serial() > current->details.serial() &&
        CheckRootUpdate(*current, *next, now_unix).ok()) {
      root = ToString(*folder_root);
      store = TrustStore::Create(AsBytes(root), now_unix);
    }
  }
  if (!store.ok()) {
    std::string from = first_start ? folder_root_path.string()
                                   : "root document in force (" + ledger_path.string() + ")";
    return Status(store.status().code(),
                  from + ": " + store.status().message() +
                      (first_start ? "" : "; put its successor in " + folder_root_path.string()));
  }
  std::unique_ptr<TrustKeeper> keeper(
      new TrustKeeper(certs_dir, std::move(ledger), std::move(store).value()));
  keeper->root_ = root;
  // Lists this host verified when it took them, and entries of lists
  // retired by a rotation: what they revoked stays revoked.
  if (!retired.empty()) {
    v1::RevocationListDetails details;
    if (!details.ParseFromString(retired))
      return DataLossError(ledger_path.string() + ": retired entries unreadable");
    std::set<std::pair<uint64_t, v1::Nation>> entries;
    for (const auto& r : details.revoked()) entries.insert({r.serial(), r.nation()});
    keeper->store_.AddRetired(entries);
  }
  for (const auto& [issuer, encoded] : lists) {
    auto applied =
        keeper->store_.ApplyRevocationList(AsBytes(encoded), /*verify_signatures=*/false);
    if (!applied.ok())
      return DataLossError(ledger_path.string() + ": " + applied.status().message());
    keeper->lists_[issuer] = encoded;
  }
  std::vector<TrustResult> results = keeper->OfferFolder(now_unix);
  for (const auto& r : results) {
    if (first_start && r.outcome == TrustOutcome::kRefused) {
      // Before anything is recorded: a first start with a bad document in
      // the folder does not start (and stays a first start), rather than
      // run without revocations meant for it.
      return FailedPreconditionError(r.what + " in " + certs_dir.string() + ": " + r.reason);
    }
  }
  if (first_start) {
    HOTLINE_RETURN_IF_ERROR(
        keeper->Record("root", keeper->store_.root().details.serial(), keeper->root_));
  }
  if (folder_results) *folder_results = std::move(results);
  return keeper;
}

Status TrustKeeper::Record(const std::string& slot, uint64_t number, const std::string& encoded) {
  HOTLINE_ASSIGN_OR_RETURN(
      Statement st,
      ledger_->Prepare("INSERT INTO trust_documents (slot, number, document) VALUES (?1, ?2, ?3) "
                       "ON CONFLICT(slot) DO UPDATE SET number = excluded.number, document = "
                       "excluded.document"));
  return st.BindText(1, slot).Bind(2, static_cast<int64_t>(number)).Bind(3, AsBytes(encoded)).Run();
}

Status TrustKeeper::Forget(const std::string& slot) {
  HOTLINE_ASSIGN_OR_RETURN(Statement st,
                           ledger_->Prepare("DELETE FROM trust_documents WHERE slot = ?1"));
  return st.BindText(1, slot).Run();
}

Status TrustKeeper::RecordRetired() {
  v1::RevocationListDetails details;
  for (const auto& [serial, nation] : store_.retired()) {
    auto* r = details.add_revoked();
    r->set_serial(serial);
    r->set_nation(nation);
  }
  return Record("retired", 0, details.SerializeAsString());
}

TrustResult TrustKeeper::Offer(const v1::TrustDocument& document, int64_t now_unix) {
  std::string digest = ToString(Sha256({AsBytes(document.SerializeAsString())}));
  if (auto it = judged_.find(digest); it != judged_.end()) {
    TrustResult again = it->second;
    again.repeated = true;  // audited and alerted once already
    return again;
  }
  TrustResult result;
  if (document.has_root_document()) {
    result = OfferRoot(document.root_document(), now_unix);
  } else if (document.has_revocation_list()) {
    result = OfferList(document.revocation_list());
  } else {
    result.what = "empty trust document";
    result.reason = "names neither a root document nor a revocation list";
  }
  result.document = document;
  if (result.outcome == TrustOutcome::kRefused || result.outcome == TrustOutcome::kConflict) {
    if (judged_.size() >= 256) judged_.clear();  // bounded; at worst said again
    judged_[digest] = result;
  }
  return result;
}

TrustResult TrustKeeper::OfferRoot(const std::string& encoded, int64_t now_unix) {
  TrustResult r;
  auto next = ParseRootDocument(AsBytes(encoded));
  if (!next.ok()) {
    r.what = "root document";
    r.reason = next.status().message();
    return r;
  }
  uint64_t serial = next->details.serial();
  uint64_t current = store_.root().details.serial();
  r.what = "root document " + std::to_string(serial);
  if (serial == current && encoded == root_) {
    r.outcome = TrustOutcome::kUnchanged;
    return r;
  }
  if (serial == current) {
    // Another document with the serial in force: worth an alarm only if
    // enough of its own keys signed it.
    if (CheckRootDocument(*next, now_unix).ok()) {
      r.outcome = TrustOutcome::kConflict;
      r.reason = "a different root document " + std::to_string(serial) + " signed by " +
                 NationList(NationsThatSigned(*next, kRootDocumentTag, next->document.details(),
                                              next->document.signatures())) +
                 " is offered; the one in force stays";
    } else {
      r.outcome = TrustOutcome::kStale;
      r.reason = "root document " + std::to_string(current) + " is in force";
    }
    return r;
  }
  if (serial < current) {
    r.outcome = TrustOutcome::kStale;
    r.reason = "root document " + std::to_string(current) + " is in force (rollback refused)";
    return r;
  }
  if (Status st = store_.ReplaceRoot(*next, now_unix); !st.ok()) {
    r.reason = st.message();
    return r;
  }
  root_ = encoded;
  r.outcome = TrustOutcome::kApplied;
  r.root_replaced = true;
  r.reason = "replaces root document " + std::to_string(current) + " (" +
             NationList(NationsThatSigned(*next, kRootDocumentTag, next->document.details(),
                                          next->document.signatures())) +
             " signed)" + RetireUnverifiableLists();
  if (Status st = Record("root", serial, encoded); !st.ok()) {
    // In force for this run (it verified); at the next start the folder's
    // copy or a link brings it again.
    r.reason += "; not recorded: " + st.message();
  }
  return r;
}

std::string TrustKeeper::RetireUnverifiableLists() {
  std::string said;
  for (auto it = lists_.begin(); it != lists_.end();) {
    TrustStore probe = store_;
    probe.RetireList(it->first);
    if (probe.ApplyRevocationList(AsBytes(it->second)).ok()) {
      ++it;
      continue;
    }
    auto details = PeekList(it->second);
    size_t count = details ? static_cast<size_t>(details->revoked_size()) : 0;
    said += "; " + (details ? ListName(it->first, details->number()) : "a revocation list") +
            " was signed by a key no longer in the root document: its " + std::to_string(count) +
            " revocation(s) stay in force, and its issuer's next list may take any number";
    store_.RetireList(it->first);
    (void)Forget(ListSlot(it->first));
    it = lists_.erase(it);
  }
  if (!said.empty()) (void)RecordRetired();
  return said;
}

TrustResult TrustKeeper::OfferList(const std::string& encoded) {
  TrustResult r;
  auto details = PeekList(encoded);
  if (!details) {
    r.what = "revocation list";
    r.reason = "not a valid hotline.v1.RevocationList";
    return r;
  }
  v1::Nation issuer = details->issuer();
  r.what = ListName(issuer, details->number());
  auto in_force = lists_.find(issuer);
  if (in_force != lists_.end() && in_force->second == encoded) {
    r.outcome = TrustOutcome::kUnchanged;
    return r;
  }
  v1::RevocationList list;
  list.ParseFromString(encoded);
  bool names_a_root_in_force = false;
  for (const auto& sig : list.signatures()) {
    names_a_root_in_force = names_a_root_in_force || store_.root().NationOf(AsBytes(sig.key_id()));
  }
  if (!names_a_root_in_force) {
    // From before a rotation (a host behind us); nothing to check it with.
    r.outcome = TrustOutcome::kStale;
    r.reason =
        "signed by no key of root document " + std::to_string(store_.root().details.serial());
    return r;
  }
  if (store_.HasListAtLeast(issuer, details->number())) {
    uint64_t number = store_.revocation_list_number(issuer);
    r.outcome = TrustOutcome::kStale;
    r.reason = ListName(issuer, number) + " is in force";
    if (details->number() == number) {
      TrustStore probe = store_;
      probe.RetireList(issuer);
      if (probe.ApplyRevocationList(AsBytes(encoded)).ok()) {
        r.outcome = TrustOutcome::kConflict;
        r.reason = "a different, validly signed " + r.what + " is offered; the one in force stays";
      }
    }
    return r;
  }
  auto change = store_.ApplyRevocationList(AsBytes(encoded));
  if (!change.ok()) {
    r.reason = change.status().message();
    return r;
  }
  lists_[issuer] = encoded;
  r.outcome = TrustOutcome::kApplied;
  r.newly_revoked = change->newly_revoked;
  r.reason = Revoked(change->newly_revoked);
  if (Status st = Record(ListSlot(issuer), details->number(), encoded); !st.ok()) {
    r.reason += "; not recorded: " + st.message();
  }
  return r;
}

std::vector<TrustResult> TrustKeeper::OfferFolder(int64_t now_unix) {
  std::vector<TrustResult> results;
  auto root = ReadFileBytes(certs_dir_ / kRootDocumentFile, limits::kMaxCertificateBytes);
  if (root.ok()) results.push_back(Offer(RootDocumentOf(ToString(*root)), now_unix));
  for (v1::Nation issuer : kIssuers) {
    fs::path path = RevocationListPath(certs_dir_, issuer);
    auto list = ReadFileBytes(path, limits::kMaxRevocationListBytes);
    if (list.ok()) {
      results.push_back(Offer(ListDocumentOf(ToString(*list)), now_unix));
    } else if (list.status().code() != StatusCode::kNotFound) {
      results.push_back({.what = path.filename().string(), .reason = list.status().message()});
    }
  }
  return results;
}

std::vector<v1::TrustDocument> TrustKeeper::InForce() const {
  std::vector<v1::TrustDocument> out = {RootDocumentOf(root_)};
  for (const auto& [issuer, encoded] : lists_) out.push_back(ListDocumentOf(encoded));
  return out;
}

v1::TrustSummary TrustKeeper::Summary() const {
  v1::TrustSummary s;
  const auto& d = store_.root().details;
  s.set_root_serial(d.serial());
  s.set_threshold(d.threshold());
  for (const auto& k : d.keys()) s.add_root_nations(k.nation());
  s.set_demo(d.demo());
  s.set_root_expires_unix(d.expires_unix());
  for (const auto& [issuer, encoded] : lists_) {
    auto details = PeekList(encoded);
    auto* l = s.add_lists();
    l->set_issuer(issuer);
    l->set_number(store_.revocation_list_number(issuer));
    l->set_revoked(details ? static_cast<uint32_t>(details->revoked_size()) : 0);
  }
  return s;
}

}  // namespace hotline
