// Forward secrecy with the real binaries (issue 15): first contact is sent
// at once and marked at both ends; once epoch keys are known messages are
// forward secret; `keys rotate` is taken from the next message on; an
// epoch secret past its retention is destroyed in the database file; a
// relay's recording cannot be opened once both epoch secrets are gone,
// whatever keys a thief takes from the disks; rotations lose and duplicate
// nothing. Bad epoch keys and forged announcements: epoch_key_attack_test.cc.
#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

#include "cluster.h"
#include "epoch_secrets_probe.h"
#include "hotline/envelope.h"
#include "hotline/file_util.h"
#include "hotline/sqlite_db.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

TEST(ForwardSecrecyIntegrationTest, FirstContactIsMarkedThenMessagesAreForwardSecret) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  // JP has never run: no epoch key of it is known. The message goes at once.
  std::string first = c.CliOk("us", {"send", "--to", "JP", "--text", "first contact"});
  EXPECT_TRUE(Contains(c.CliOk("us", {"status", first}), "NO FORWARD SECRECY"))
      << c.CliOk("us", {"status", first});
  c.StartNode("jp");
  c.CliOk("us", {"wait", first, "--tier", "delivered", "--timeout", "30"});
  std::string inbox = c.CliOk("jp", {"inbox"});
  EXPECT_TRUE(Contains(inbox, "first contact") && Contains(inbox, "[NO FORWARD SECRECY]")) << inbox;

  // JP's delivery receipt carried JP's epoch key: US's next message is
  // forward secret (and carries US's key, so JP's answers are too).
  std::string secret = c.CliOk("us", {"send", "--to", "JP", "--text", "secret"});
  EXPECT_FALSE(Contains(c.CliOk("us", {"status", secret}), "NO FORWARD SECRECY"))
      << c.CliOk("us", {"status", secret});
  c.CliOk("us", {"wait", secret, "--tier", "delivered", "--timeout", "30"});
  std::string answer = c.CliOk("jp", {"send", "--to", "US", "--text", "answer"});
  EXPECT_FALSE(Contains(c.CliOk("jp", {"status", answer}), "NO FORWARD SECRECY"))
      << c.CliOk("jp", {"status", answer});
  c.CliOk("jp", {"wait", answer, "--tier", "delivered", "--timeout", "30"});
  std::string us_inbox = c.CliOk("us", {"inbox"});
  EXPECT_TRUE(Contains(us_inbox, "answer") && !Contains(us_inbox, "NO FORWARD SECRECY"))
      << us_inbox;

  // A suspected compromise: a new key now, taken by JP from US's next message.
  std::string rotated = c.Cli({"keys", "rotate", "--node", c.NodeData("us").string()}).output;
  EXPECT_TRUE(Contains(rotated, "epoch key 2 made; announced to JP")) << rotated;
  std::string after = c.CliOk("us", {"send", "--to", "JP", "--text", "after rotation"});
  c.CliOk("us", {"wait", after, "--tier", "delivered", "--timeout", "30"});
  EXPECT_FALSE(Contains(c.CliOk("us", {"status", after}), "NO FORWARD SECRECY"));
  // JP took US's new key (from the announcement or that envelope): its
  // next message to US is wrapped for epoch 2.
  EXPECT_TRUE(WaitUntil(
      [&] { return Contains(ReadFileOrDie(c.NodeLog("jp")), "epoch key 2 of US taken"); }));
  c.StopAll();
  fs::path us_db = c.NodeData("us") / "node.db";
  EXPECT_EQ(
      CountAudit(us_db, v1::AUDIT_EVENT_EPOCH_KEY, "epoch key 2 made (rotation asked for by cli:"),
      1);
  EXPECT_EQ(CountAudit(us_db, v1::AUDIT_EVENT_SENT, "without forward secrecy to JP"), 1);
  EXPECT_TRUE(WaitUntil([&] {
    return CountAudit(c.NodeData("jp") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED, "") == 0;
  }));
}

// An epoch secret past its retention is overwritten where it was stored
// (the epoch-secrets file), and was never in the database or its log.
TEST(ForwardSecrecyIntegrationTest, AnEpochSecretIsDestroyedWhereItWasStored) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us", {1}, {"--epoch", "2s", "--key-retention", "2s"});
  ASSERT_TRUE(c.WaitLinksUp("us"));
  fs::path db_path = c.NodeData("us") / "node.db";
  Bytes first_secret;
  ASSERT_TRUE(WaitUntil([&] {
    auto secrets = SecretsInFile(c.NodeData("us"), 1);
    if (secrets.size() == 1) first_secret = secrets[0];
    return first_secret.size() == 32;
  }));
  EXPECT_TRUE(SecretsInStore(db_path).empty()) << "the database holds no epoch secret";
  // Epoch 1 ends after 2 s and is kept 2 s more: then destroyed (audited).
  ASSERT_TRUE(WaitUntil([&] {
    return CountAudit(db_path, v1::AUDIT_EVENT_EPOCH_KEY, "epoch key 1 destroyed") == 1;
  }));
  // While the node runs: neither the secret file (overwritten in place),
  // the database nor its write-ahead log holds those 32 bytes any more.
  auto holds_secret = [&](const fs::path& file) {
    auto bytes = ReadFileBytes(file, 1 << 30);
    return bytes.ok() && std::search(bytes->begin(), bytes->end(), first_secret.begin(),
                                     first_secret.end()) != bytes->end();
  };
  EXPECT_TRUE(WaitUntil([&] {
    return !holds_secret(c.NodeData("us") / "epoch-secrets") && !holds_secret(db_path) &&
           !holds_secret(fs::path(db_path.string() + "-wal"));
  })) << "epoch 1's secret is still on disk";
  c.StopAll();
}

// At rest (issue 15 item 4): with --retain-bodies, a handled message's
// body is removed at both ends after the retention; its audit digest stays
// and the logs still verify.
TEST(ForwardSecrecyIntegrationTest, BodiesAreRemovedAfterTheRetentionOnceHandled) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us", {1}, {"--retain-bodies", "1s"});
  c.StartNode("jp", {1}, {"--retain-bodies", "1s"});
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "keep this only a second"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  // Not yet acknowledged: it stays, however old.
  std::string unhandled = c.CliOk("jp", {"send", "--to", "US", "--text", "awaiting action"});
  c.CliOk("jp", {"wait", unhandled, "--tier", "delivered", "--timeout", "30"});
  c.CliOk("jp", {"ack", id});
  EXPECT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("jp", {"inbox", "show", id}),
                    "removed after the node's retention period");
  })) << c.CliOk("jp", {"inbox", "show", id});
  EXPECT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("us", {"status", id}), "(removed after the retention period)");
  })) << c.CliOk("us", {"status", id});
  EXPECT_TRUE(Contains(c.CliOk("us", {"inbox"}), "awaiting action"));
  c.StopAll();
  fs::path jp_db = c.NodeData("jp") / "node.db";
  EXPECT_GE(CountAudit(jp_db, v1::AUDIT_EVENT_DROPPED, "at-rest retention"), 1);
  CommandResult verify = c.Cli({"audit", "verify", jp_db.string(), "--certs", c.certs().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  auto bytes = ReadFileBytes(jp_db, 1 << 30);
  ASSERT_TRUE(bytes.ok());
  std::string text = "keep this only a second";
  EXPECT_TRUE(std::search(bytes->begin(), bytes->end(), text.begin(), text.end()) == bytes->end())
      << "the body is still in the database file";
}

// Relay expiry (issue 15 item 2): an envelope JP never collects is removed
// from the relay after its retention and US is told; US does not send that
// sealed copy again (not even after the relay restarts), and JP, when it
// comes, receives only what was sent afterwards.
TEST(ForwardSecrecyIntegrationTest, AnUndeliveredEnvelopeExpiresAtTheRelayAndItsSenderIsTold) {
  Cluster c;
  c.relay_extra = {"--retention", "2s"};
  c.StartRelay(1);
  c.StartNode("us");
  c.StartNode("kr");
  ASSERT_TRUE(c.WaitLinksUp("us"));
  ASSERT_TRUE(c.WaitLinksUp("kr"));
  std::string id = c.CliOk("us", {"send", "--to", "all", "--text", "never collected by JP"});
  ASSERT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("us", {"status", id}), "EXPIRED");
  })) << c.CliOk("us", {"status", id});
  std::string status = c.CliOk("us", {"status", id});
  EXPECT_TRUE(Contains(status, "JP  accepted") &&
              Contains(status, "EXPIRED at relay-1 (undelivered; send again)"))
      << status;
  EXPECT_TRUE(Contains(c.CliOk("us", {"status"}), "EXPIRED: ")) << c.CliOk("us", {"status"});

  c.StopRelay(1);
  c.StartRelay(1);
  // JP learns of the missing message as a gap in US's stream to it.
  c.StartNode("jp", {1}, {"--gap-timeout", "1s"});
  ASSERT_TRUE(c.WaitLinksUp("jp"));
  ASSERT_TRUE(c.WaitLinksUp("us"));
  std::string later = c.CliOk("us", {"send", "--to", "JP", "--text", "sent after the expiry"});
  c.CliOk("us", {"wait", later, "--tier", "delivered", "--timeout", "30"});
  EXPECT_TRUE(WaitUntil([&] {
    return Contains(c.CliOk("jp", {"inbox"}), "sent after the expiry");
  })) << c.CliOk("jp", {"inbox"});
  std::string inbox = c.CliOk("jp", {"inbox"});
  EXPECT_TRUE(Contains(c.CliOk("jp", {"status"}), "STREAM GAP")) << c.CliOk("jp", {"status"});
  EXPECT_FALSE(Contains(inbox, "never collected by JP")) << inbox;
  c.StopAll();
  EXPECT_EQ(CountAuditOfMessage(c.RelayData(1) / "relay.db", v1::AUDIT_EVENT_EXPIRED, id), 1);
  EXPECT_EQ(CountAuditOfMessage(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_EXPIRED, id), 1);
  EXPECT_EQ(CountAudit(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED, ""), 0);
}

// The envelope of `message_id` (hex) as a relay stores it for `recipient`.
std::optional<v1::Envelope> CaptureFromRelay(const fs::path& relay_db,
                                             const std::string& message_id, v1::Nation recipient) {
  auto db = Database::OpenReadOnly(relay_db);
  if (!db.ok()) return std::nullopt;
  std::optional<v1::Envelope> out;
  (void)(*db)->ForEachRow(
      "SELECT data FROM queue WHERE kind = 1 AND recipient = " + std::to_string(recipient) +
          " AND hex(item_id) = upper('" + message_id + "')",
      [&](Statement& s) {
        v1::Envelope e;
        Bytes data = s.ColumnBlob(0);
        if (e.ParseFromArray(data.data(), static_cast<int>(data.size()))) out = e;
        return Status::Ok();
      });
  return out;
}

// Whether `secret` with `peer_public` unwraps the content key of `wrap`
// (the thief's attempt, and its control case).
bool Unwraps(const v1::KeyWrap& wrap, ByteView secret, const X25519Public& peer_public) {
  if (secret.size() != kX25519Len) return false;
  uint8_t box_key[crypto_box_BEFORENMBYTES];
  uint8_t content_key[kContentKeyLen];
  if (wrap.wrapped_key().size() != kWrappedKeyLen || wrap.nonce().size() != kBoxNonceLen ||
      crypto_box_beforenm(box_key, peer_public.data(), secret.data()) != 0) {
    return false;
  }
  return crypto_box_open_easy_afternm(
             content_key, reinterpret_cast<const uint8_t*>(wrap.wrapped_key().data()),
             wrap.wrapped_key().size(), reinterpret_cast<const uint8_t*>(wrap.nonce().data()),
             box_key) == 0;
}

bool FileHolds(const fs::path& file, const Bytes& needle) {
  auto bytes = ReadFileBytes(file, 1 << 30);
  return bytes.ok() &&
         std::search(bytes->begin(), bytes->end(), needle.begin(), needle.end()) != bytes->end();
}

// Issue 15's "capture, then steal": a relay's recording of a forward-secret
// envelope, delivered late (after its epoch ended, within the retention),
// opens; once both epoch secrets are destroyed, a thief holding both
// nodes' data folders, the trust folder and every long-term key cannot
// open it with any key they hold.
TEST(ForwardSecrecyIntegrationTest, ACapturedEnvelopeCannotBeOpenedAfterTheKeysAreStolen) {
  const std::vector<std::string> short_epochs = {"--epoch", "4s", "--key-retention", "8s"};
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us", {1}, short_epochs);
  c.StartNode("jp", {1}, short_epochs);
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  // First contact both ways: each now knows the other's epoch key.
  std::string hello = c.CliOk("us", {"send", "--to", "JP", "--text", "hello"});
  c.CliOk("us", {"wait", hello, "--tier", "delivered", "--timeout", "30"});
  std::string back = c.CliOk("jp", {"send", "--to", "US", "--text", "hello back"});
  c.CliOk("jp", {"wait", back, "--tier", "delivered", "--timeout", "30"});
  c.StopNode("jp");

  const std::string text = "missile launch detected, trajectory east";
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", text});
  ASSERT_FALSE(Contains(c.CliOk("us", {"status", id}), "NO FORWARD SECRECY"))
      << c.CliOk("us", {"status", id});
  // The recording: what the relay keeps on its disk for JP.
  std::optional<v1::Envelope> recorded;
  ASSERT_TRUE(WaitUntil([&] {
    recorded = CaptureFromRelay(c.RelayData(1) / "relay.db", id, v1::NATION_JP);
    return recorded.has_value();
  }));
  ASSERT_EQ(recorded->wraps_size(), 1);
  uint64_t jp_epoch = recorded->wraps(0).recipient_epoch();
  ASSERT_NE(jp_epoch, 0u) << "wrapped for a JP epoch key";
  v1::EpochKeyDetails us_epoch = DetailsOf(recorded->sender_epoch_key());
  std::vector<Bytes> jp_secret = SecretsInFile(c.NodeData("jp"), jp_epoch);
  std::vector<Bytes> us_secret = SecretsInFile(c.NodeData("us"), us_epoch.epoch());
  ASSERT_EQ(jp_secret.size(), 1u);
  ASSERT_EQ(us_secret.size(), 1u);
  auto jp_epoch_key = [&] {
    auto db = Database::OpenReadOnly(c.NodeData("jp") / "node.db");
    std::string signed_key;
    if (db.ok()) {
      (void)(*db)->ForEachRow(
          "SELECT signed FROM epoch_keys WHERE epoch = " + std::to_string(jp_epoch),
          [&](Statement& s) {
            signed_key = ToString(s.ColumnBlob(0));
            return Status::Ok();
          });
    }
    return DetailsOf(signed_key);
  }();

  // The control case: these secrets do open it (so the thief's method works).
  X25519Public us_epoch_public{};
  ASSERT_EQ(us_epoch.public_key().size(), kX25519Len);
  std::copy(us_epoch.public_key().begin(), us_epoch.public_key().end(), us_epoch_public.begin());
  EXPECT_TRUE(Unwraps(recorded->wraps(0), jp_secret[0], us_epoch_public));

  // JP comes back only after that epoch has ended: the envelope still opens.
  ASSERT_TRUE(WaitUntil([&] { return NowUnixMs() > jp_epoch_key.not_after_ms(); },
                        std::chrono::seconds(30)));
  c.StartNode("jp", {1}, short_epochs);
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  std::string shown = c.CliOk("jp", {"inbox", "show", id});
  EXPECT_TRUE(Contains(shown, text) && !Contains(shown, "NO FORWARD SECRECY")) << shown;

  // Both epochs pass their retention and are destroyed (audited).
  fs::path jp_db = c.NodeData("jp") / "node.db";
  fs::path us_db = c.NodeData("us") / "node.db";
  ASSERT_TRUE(WaitUntil(
      [&] {
        return CountAudit(jp_db, v1::AUDIT_EVENT_EPOCH_KEY,
                          "epoch key " + std::to_string(jp_epoch) + " destroyed") == 1 &&
               CountAudit(us_db, v1::AUDIT_EVENT_EPOCH_KEY,
                          "epoch key " + std::to_string(us_epoch.epoch()) + " destroyed") == 1;
      },
      std::chrono::seconds(40)));
  // While the nodes run, the write-ahead logs are emptied too.
  std::vector<fs::path> files;
  auto list_files = [&] {
    files.clear();
    for (const auto& entry : fs::recursive_directory_iterator(c.path())) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  };
  auto anywhere = [&](const Bytes& secret) {
    list_files();
    return std::any_of(files.begin(), files.end(),
                       [&](const fs::path& f) { return FileHolds(f, secret); });
  };
  EXPECT_TRUE(WaitUntil([&] { return !anywhere(jp_secret[0]) && !anywhere(us_secret[0]); }))
      << "an epoch secret of the recorded envelope is still on disk";
  c.StopAll();

  // The thief: every file of the cluster (both data folders, the relay, the
  // trust folder with every key file), and every key in them.
  std::vector<Bytes> stolen;
  for (const char* n : {"jp", "us"}) {
    for (Bytes& s : SecretsInFile(c.NodeData(n))) stolen.push_back(std::move(s));
    for (Bytes& s : SecretsInStore(c.NodeData(n) / "node.db")) stolen.push_back(std::move(s));
  }
  std::vector<X25519Public> publics = {};
  auto add_public = [&](const std::string& raw) {
    if (raw.size() != kX25519Len) return;
    X25519Public p{};
    std::copy(raw.begin(), raw.end(), p.begin());
    publics.push_back(p);
  };
  add_public(us_epoch.public_key());
  add_public(jp_epoch_key.public_key());
  for (const char* subject : {"node-us", "node-jp"}) {
    auto identity = LoadIdentity(c.certs(), subject);
    ASSERT_TRUE(identity.ok()) << identity.status().ToString();
    publics.push_back(identity->keys.e2e->public_key);
    for (const auto* pair : {&*identity->keys.e2e, &identity->keys.noise}) {
      auto v = pair->secret.view();
      stolen.emplace_back(v.begin(), v.end());
    }
    auto seed = identity->keys.signing.seed();
    stolen.emplace_back(seed.begin(), seed.end());
  }
  EXPECT_GE(stolen.size(), 6u);
  list_files();
  EXPECT_GT(files.size(), 5u);
  const auto& wrap = recorded->wraps(0);
  int tried = 0;
  for (const Bytes& secret : stolen) {
    for (const X25519Public& pub : publics) {
      ++tried;
      EXPECT_FALSE(Unwraps(wrap, secret, pub)) << "a stolen key opens the recording";
    }
  }
  EXPECT_GE(tried, 24);
  // And the node's own code, given JP's whole folder, says why.
  auto jp = LoadIdentity(c.certs(), "node-jp");
  auto us = LoadIdentity(c.certs(), "node-us");
  EnvelopeKeys thief(v1::NATION_JP, jp->keys.signing, *jp->keys.e2e);
  thief.AddPeer(v1::NATION_US, us->details.serial(), *PeerKeysOf(us->details), true);
  std::string bytes = recorded->SerializeAsString();
  auto opened = thief.Open(AsBytes(bytes));
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss) << opened.status().ToString();
  // Those secrets were the ones that opened it, and they are on no disk.
  EXPECT_FALSE(anywhere(jp_secret[0]));
  EXPECT_FALSE(anywhere(us_secret[0]));
}

// Messages sent while both nodes rotate their epoch keys arrive, each once,
// and all open.
TEST(ForwardSecrecyIntegrationTest, MessagesSentDuringRotationsAreNeitherLostNorDuplicated) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  c.StartNode("jp");
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  std::vector<std::string> ids;
  constexpr int kMessages = 24;
  for (int i = 0; i < kMessages; ++i) {
    ids.push_back(c.CliOk("us", {"send", "--to", "JP", "--text", "rotation " + std::to_string(i)}));
    if (i % 6 == 3) {
      c.Cli({"keys", "rotate", "--node", c.NodeData(i % 12 == 3 ? "us" : "jp").string()});
    }
  }
  for (const std::string& id : ids) {
    c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "30"});
  }
  c.StopAll();
  fs::path jp_db = c.NodeData("jp") / "node.db";
  for (const std::string& id : ids) {
    EXPECT_EQ(CountAuditOfMessage(jp_db, v1::AUDIT_EVENT_DELIVERED, id), 1) << id;
  }
  EXPECT_EQ(CountAudit(jp_db, v1::AUDIT_EVENT_INPUT_REJECTED, ""), 0);
  EXPECT_GE(CountAudit(c.NodeData("us") / "node.db", v1::AUDIT_EVENT_EPOCH_KEY, "made (rotation"),
            2);
  EXPECT_GE(CountAudit(jp_db, v1::AUDIT_EVENT_EPOCH_KEY, "made (rotation"), 2);
  auto db = Database::OpenReadOnly(jp_db);
  ASSERT_TRUE(db.ok());
  for (const std::string& id : ids) {
    int rows = -1;
    EXPECT_TRUE(
        (*db)
            ->ForEachRow("SELECT count(*) FROM inbox WHERE hex(message_id) = upper('" + id + "')",
                         [&](Statement& s) {
                           rows = static_cast<int>(s.ColumnInt(0));
                           return Status::Ok();
                         })
            .ok());
    EXPECT_EQ(rows, 1) << id;
  }
}

// A store from before the epoch secret file (secrets in node.db) is
// moved at start: the secret goes to the file, the column is emptied, and
// what was wrapped for the key still opens. A node whose secret file is
// gone says that its epoch keys are lost and makes a new one.
TEST(ForwardSecrecyIntegrationTest, OldStoresAreMovedAndALostSecretFileIsSaid) {
  Cluster c;
  c.StartRelay(1);
  c.StartNode("us");
  c.StartNode("jp");
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  // Both ways, so that JP knows US's epoch key (from US's receipt).
  std::string hello = c.CliOk("us", {"send", "--to", "JP", "--text", "hello"});
  c.CliOk("us", {"wait", hello, "--tier", "delivered", "--timeout", "30"});
  std::string back = c.CliOk("jp", {"send", "--to", "US", "--text", "hello back"});
  c.CliOk("jp", {"wait", back, "--tier", "delivered", "--timeout", "30"});
  c.StopNode("us");
  fs::path us_db = c.NodeData("us") / "node.db";
  fs::path secrets = c.NodeData("us") / "epoch-secrets";
  // Make it an old store: the secrets back in the table, no file.
  std::vector<Bytes> held = SecretsInFile(c.NodeData("us"));
  ASSERT_EQ(held.size(), 1u);
  {
    auto db = Database::Open(us_db, "");
    ASSERT_TRUE(db.ok());
    auto put = (*db)->Prepare("UPDATE epoch_keys SET secret = ? WHERE epoch = 1");
    ASSERT_TRUE(put.ok());
    put->Bind(1, held[0]);
    ASSERT_TRUE(put->Run().ok());
  }
  fs::remove(secrets);
  ASSERT_EQ(SecretsInStore(us_db).size(), 1u);

  // JP seals for US's epoch key 1 while US is away.
  std::string away = c.CliOk("jp", {"send", "--to", "US", "--text", "sent while US was away"});
  EXPECT_FALSE(Contains(c.CliOk("jp", {"status", away}), "NO FORWARD SECRECY"));
  c.StartNode("us");
  c.CliOk("jp", {"wait", away, "--tier", "delivered", "--timeout", "30"});
  EXPECT_EQ(SecretsInFile(c.NodeData("us"), 1), held);
  EXPECT_TRUE(SecretsInStore(us_db).empty());
  std::string shown = c.CliOk("us", {"inbox", "show", away});
  EXPECT_TRUE(Contains(shown, "sent while US was away") && !Contains(shown, "NO FORWARD SECRECY"))
      << shown;

  // The file is lost: said, audited, and a new key is made.
  c.StopNode("us");
  fs::remove(secrets);
  c.StartNode("us");
  EXPECT_TRUE(
      Audited(us_db, v1::AUDIT_EVENT_ALERT, "EPOCH KEY LOST: the secret of our epoch key 1"));
  EXPECT_TRUE(Contains(c.CliOk("us", {"status"}), "EPOCH KEY LOST")) << c.CliOk("us", {"status"});
  EXPECT_TRUE(Audited(us_db, v1::AUDIT_EVENT_EPOCH_KEY, "epoch key 2 made"));
  EXPECT_EQ(SecretsInFile(c.NodeData("us")).size(), 1u);
  c.StopAll();
}

}  // namespace
}  // namespace hotline::testing
