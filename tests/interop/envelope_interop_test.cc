// Envelopes against an independent implementation (tests/interop/
// envelope_peer.py, written from docs/PROTOCOL.md with PyNaCl): the
// committed vectors — both signed forms, and envelopes a recipient must
// refuse — give the same outcome in C++ and in Python, and C++ opens what
// Python seals in both forms.
//
// The vector file is written once by this test with
// HOTLINE_WRITE_ENVELOPE_VECTORS=1 (then committed) and checked ever after.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../support/child_process.h"
#include "../unit/test_util.h"
#include "hotline/envelope.h"
#include "hotline/epoch_key.h"
#include "hotline/file_util.h"

namespace hotline {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Struct;
using google::protobuf::Value;

const fs::path kVectors = fs::path(HOTLINE_SOURCE_DIR) / "tests/interop/envelope_vectors.json";
constexpr int64_t kCreated = 1'800'000'000'000;

std::string Hex(ByteView b) { return ToHex(b); }
Bytes Unhex(const std::string& s) { return *FromHex(s); }

// Runs the Python peer with `args`; returns its exit status (-1: did not end)
// and leaves its output in `log`.
int RunPeer(const fs::path& dir, const std::vector<std::string>& args, std::string* log) {
  fs::path out = dir / "python";
  if (!fs::exists(out / "hotline")) {
    fs::create_directories(out);
    std::vector<std::string> protoc = {HOTLINE_PROTOC, "-I",
                                       std::string(HOTLINE_SOURCE_DIR) + "/proto",
                                       "--python_out=" + out.string()};
    for (const auto& e : fs::directory_iterator(fs::path(HOTLINE_SOURCE_DIR) / "proto/hotline/v1"))
      protoc.push_back(e.path().string());
    testing::ChildProcess gen(protoc, (dir / "protoc.log").string());
    auto rc = gen.WaitFor(std::chrono::seconds(60));
    if (!rc || *rc != 0) {
      *log =
          ReadFileBytes(dir / "protoc.log", 1 << 20).ok() ? "protoc failed" : "protoc did not run";
      return -1;
    }
  }
  std::vector<std::string> argv = {
      "/usr/bin/python3", std::string(HOTLINE_SOURCE_DIR) + "/tests/interop/envelope_peer.py",
      "--proto-out", out.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  fs::path log_path = dir / "peer.log";
  fs::remove(log_path);
  testing::ChildProcess peer(argv, log_path.string());
  auto rc = peer.WaitFor(std::chrono::seconds(60));
  auto text = ReadFileBytes(log_path, 1 << 20);
  *log = text.ok() ? ToString(*text) : "";
  return rc ? *rc : -1;
}

struct Node {
  v1::Nation nation;
  Ed25519KeyPair signing;
  X25519KeyPair e2e;
  X25519KeyPair epoch;
  std::string signed_epoch;  // epoch 1, valid for an hour from kCreated - 1 s
};

Node MakeNode(v1::Nation n, uint64_t epoch) {
  Node node{n, GenerateEd25519(), GenerateX25519(), GenerateX25519(), {}};
  v1::EpochKeyDetails d;
  d.set_version(1);
  d.set_nation(n);
  d.set_epoch(epoch);
  d.set_public_key(ToString(node.epoch.public_key));
  d.set_not_before_ms(kCreated - 1000);
  d.set_not_after_ms(kCreated + 3600'000);
  d.set_keep_until_ms(kCreated + 76 * 3600'000LL);
  d.set_cert_serial(0);
  node.signed_epoch = SignEpochKey(d, node.signing);
  return node;
}

// `self`'s keys, knowing `peer`; with epochs, both epoch keys too.
std::unique_ptr<EnvelopeKeys> KeysOf(const Node& self, const Node& peer, bool epochs,
                                     uint64_t self_epoch, uint64_t peer_epoch) {
  auto keys = std::make_unique<EnvelopeKeys>(
      self.nation, self.signing, self.e2e,
      std::map<v1::Nation, PeerKeys>{
          {peer.nation, {peer.signing.public_key, peer.e2e.public_key}}});
  if (!epochs) return keys;
  std::vector<EnvelopeKeys::OwnEpoch> own(1);
  own[0].epoch = self_epoch;
  own[0].keys = X25519FromSecret(self.epoch.secret.view());
  own[0].signed_key = self.signed_epoch;
  own[0].not_before_ms = kCreated - 1000;
  own[0].not_after_ms = kCreated + 3600'000;
  keys->SetOwnEpochs(std::move(own), self_epoch);
  keys->SetPeerEpoch(peer.nation, {peer_epoch, peer.epoch.public_key, kCreated + 3600'000});
  return keys;
}

v1::EnvelopeHeader HeaderFor(v1::Nation from, v1::Nation to) {
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
  h.set_sender(from);
  h.add_recipients(to);
  h.set_channel(v1::CHANNEL_MISSILE_WARNING);
  h.set_precedence(v1::PRECEDENCE_FLASH);
  h.set_sequence(1);
  h.set_created_at_ms(kCreated);
  return h;
}

v1::Body TextBody(const std::string& text) {
  v1::Body b;
  b.set_version(1);
  b.mutable_text()->set_text(text);
  return b;
}

void Set(Struct& s, const std::string& key, const std::string& value) {
  (*s.mutable_fields())[key].set_string_value(value);
}
const std::string& Get(const Struct& s, const std::string& key) {
  static const std::string kEmpty;
  auto it = s.fields().find(key);
  return it == s.fields().end() ? kEmpty : it->second.string_value();
}

// Writes the vector file: US (sender) and JP (recipient) keys, and cases.
Struct MakeVectors() {
  Node us = MakeNode(v1::NATION_US, 3), jp = MakeNode(v1::NATION_JP, 5);
  Struct root;
  Set(root, "about",
      "Envelopes (docs/PROTOCOL.md §4) sealed by the C++ implementation. Keys by nation "
      "number; hex throughout. Each case: open as `recipient`, holding the epoch secrets "
      "listed, and expect `text` (and forward_secret) or a refusal containing `refused`.");
  Struct& keys = *(*root.mutable_fields())["keys"].mutable_struct_value();
  for (const Node* n : {&us, &jp}) {
    Struct& k = *(*keys.mutable_fields())[std::to_string(n->nation)].mutable_struct_value();
    Set(k, "signing_public", Hex(n->signing.public_key));
    Set(k, "e2e_public", Hex(n->e2e.public_key));
    Set(k, "e2e_secret", Hex(n->e2e.secret.view()));
    Set(k, "epoch_secret", Hex(n->epoch.secret.view()));
    Set(k, "signed_epoch_key", Hex(AsBytes(n->signed_epoch)));
  }
  auto* cases = (*root.mutable_fields())["cases"].mutable_list_value();
  auto add = [&](const std::string& name, const Bytes& envelope, bool with_epoch_secret,
                 const std::string& text, bool forward_secret, const std::string& refused) {
    Struct& c = *cases->add_values()->mutable_struct_value();
    Set(c, "name", name);
    (*c.mutable_fields())["sender"].set_number_value(v1::NATION_US);
    (*c.mutable_fields())["recipient"].set_number_value(v1::NATION_JP);
    Set(c, "envelope", Hex(envelope));
    if (with_epoch_secret) {
      Set(*(*c.mutable_fields())["recipient_epoch_secrets"].mutable_struct_value(), "5",
          Hex(jp.epoch.secret.view()));
    }
    if (refused.empty()) {
      Set(c, "text", text);
      (*c.mutable_fields())["forward_secret"].set_bool_value(forward_secret);
    } else {
      Set(c, "refused", refused);
    }
  };
  auto seal = [&](bool epochs, const std::string& text) {
    return *KeysOf(us, jp, epochs, 3, 5)
                ->Seal(HeaderFor(v1::NATION_US, v1::NATION_JP), TextBody(text));
  };
  Bytes long_term = seal(false, "long-term form");
  Bytes epoch = seal(true, "epoch form");
  add("long-term form (no epoch fields; signed over four parts)", long_term, true, "long-term form",
      false, "");
  add("epoch form (signed over six parts)", epoch, true, "epoch form", true, "");
  add("epoch form, the recipient's epoch secret destroyed", epoch, false, "", false,
      "destroyed or was never ours");
  auto edit = [](const Bytes& b, const std::function<void(v1::Envelope&)>& f) {
    v1::Envelope e;
    e.ParseFromArray(b.data(), static_cast<int>(b.size()));
    f(e);
    return ToBytes(e.SerializeAsString());
  };
  add("epoch form with its epoch fields stripped by a relay",
      edit(epoch,
           [](v1::Envelope& e) {
             e.clear_sender_epoch_key();
             e.mutable_wraps(0)->set_recipient_epoch(0);
           }),
      true, "", false, "signature does not verify");
  add("long-term form with an epoch number added by a relay",
      edit(long_term, [](v1::Envelope& e) { e.mutable_wraps(0)->set_recipient_epoch(5); }), true,
      "", false, "epoch wrap without a sender epoch key");
  return root;
}

TEST(EnvelopeInteropTest, CommittedVectorsGiveTheSameOutcomeInBothImplementations) {
  if (std::getenv("HOTLINE_WRITE_ENVELOPE_VECTORS")) {
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(MakeVectors(), &json, o).ok());
    std::ofstream(kVectors) << json;
  }
  auto text = ReadFileBytes(kVectors, 1 << 20);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  Struct root;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ToString(*text), &root).ok());
  const Struct& keys = root.fields().at("keys").struct_value();
  const Struct& us = keys.fields().at(std::to_string(v1::NATION_US)).struct_value();
  const Struct& jp = keys.fields().at(std::to_string(v1::NATION_JP)).struct_value();
  auto pub = [](const std::string& hex) {
    std::array<uint8_t, 32> a{};
    Bytes b = Unhex(hex);
    std::copy(b.begin(), b.end(), a.begin());
    return a;
  };
  Ed25519KeyPair jp_signing = GenerateEd25519();  // the recipient never signs here
  int cases = 0;
  for (const Value& v : root.fields().at("cases").list_value().values()) {
    const Struct& c = v.struct_value();
    EnvelopeKeys keys_at_jp(
        v1::NATION_JP, jp_signing, X25519FromSecret(Unhex(Get(jp, "e2e_secret"))),
        {{v1::NATION_US, {pub(Get(us, "signing_public")), pub(Get(us, "e2e_public"))}}});
    auto secrets = c.fields().find("recipient_epoch_secrets");
    if (secrets != c.fields().end()) {
      std::vector<EnvelopeKeys::OwnEpoch> own;
      for (const auto& [epoch, secret] : secrets->second.struct_value().fields()) {
        own.emplace_back();
        own.back().epoch = std::stoull(epoch);
        own.back().keys = X25519FromSecret(Unhex(secret.string_value()));
      }
      keys_at_jp.SetOwnEpochs(std::move(own), 0);
    }
    auto opened = keys_at_jp.Open(Unhex(Get(c, "envelope")));
    if (Get(c, "refused").empty()) {
      ASSERT_TRUE(opened.ok()) << Get(c, "name") << ": " << opened.status().ToString();
      EXPECT_EQ(opened->body.text().text(), Get(c, "text")) << Get(c, "name");
      EXPECT_EQ(opened->forward_secret, c.fields().at("forward_secret").bool_value());
    } else {
      EXPECT_FALSE(opened.ok()) << Get(c, "name") << " opened in C++";
    }
    ++cases;
  }
  EXPECT_EQ(cases, 5);

  testing::TempDir dir;
  std::string log;
  EXPECT_EQ(RunPeer(dir.path(), {"open", kVectors.string()}, &log), 0)
      << log << "(are python3-nacl and python3-protobuf installed?)";
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 5) << log;
}

TEST(EnvelopeInteropTest, WhatThePythonPeerSealsInBothFormsOpensHere) {
  Node us = MakeNode(v1::NATION_US, 3), jp = MakeNode(v1::NATION_JP, 5);
  testing::TempDir dir;
  std::string keys_json =
      "{\"sender\": 1, \"recipient\": 2, \"created_at_ms\": " + std::to_string(kCreated) +
      ", \"sender_cert_serial\": 0, \"text\": \"sealed in Python\"" +
      ", \"sender_signing_seed\": \"" + Hex(us.signing.seed()) + "\", \"sender_e2e_secret\": \"" +
      Hex(us.e2e.secret.view()) + "\", \"sender_epoch_secret\": \"" + Hex(us.epoch.secret.view()) +
      "\", \"sender_signed_epoch_key\": \"" + Hex(AsBytes(us.signed_epoch)) +
      "\", \"recipient_e2e_public\": \"" + Hex(jp.e2e.public_key) +
      "\", \"recipient_epoch_public\": \"" + Hex(jp.epoch.public_key) +
      "\", \"recipient_epoch\": 5}";
  ASSERT_EQ(v1::NATION_US, 1);
  ASSERT_EQ(v1::NATION_JP, 2);
  std::ofstream(dir.path() / "keys.json") << keys_json;
  std::string log;
  ASSERT_EQ(
      RunPeer(dir.path(),
              {"seal", (dir.path() / "keys.json").string(), (dir.path() / "out.json").string()},
              &log),
      0)
      << log;
  auto out = ReadFileBytes(dir.path() / "out.json", 1 << 20);
  ASSERT_TRUE(out.ok());
  Struct sealed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(ToString(*out), &sealed).ok());
  auto jp_keys = KeysOf(jp, us, true, 5, 3);
  for (const char* form : {"long_term", "epoch"}) {
    auto opened = jp_keys->Open(Unhex(Get(sealed, form)));
    ASSERT_TRUE(opened.ok()) << form << ": " << opened.status().ToString();
    EXPECT_EQ(opened->body.text().text(), "sealed in Python");
    EXPECT_EQ(opened->forward_secret, std::string(form) == "epoch") << form;
  }
}

}  // namespace
}  // namespace hotline
