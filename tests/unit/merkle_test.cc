// RFC 6962 Merkle trees against the shared vectors: roots, 36 inclusion and
// 36 consistency proofs generated and verified, and all 196
// transparency-dev probes (12 accept, 184 reject).
#include "hotline/merkle.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "test_util.h"

namespace hotline::merkle {
namespace {

using hotline::testing::Field;
using hotline::testing::LoadJson;
using hotline::testing::VectorsDir;

Bytes Hex(const std::string& s) { return *FromHex(s); }

// JSON numbers arrive as doubles; 2^64-1 must not become UB when converted.
uint64_t U64(const google::protobuf::Value* v) {
  double d = v->number_value();
  if (d >= 18446744073709551615.0) return UINT64_MAX;
  return static_cast<uint64_t>(d);
}

Bytes Base64(const std::string& s) {
  if (s.empty()) return {};
  Bytes out(s.size());
  size_t len = 0;
  if (sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {0xde, 0xad};  // undecodable: a hash of the wrong length, rejected
  }
  out.resize(len);
  return out;
}

std::vector<Hash> Leaves() {
  auto ref = LoadJson(VectorsDir() / "merkle" / "rfc6962_reference.json");
  std::vector<Hash> leaves;
  for (const auto& v : Field(ref, "leaf_inputs")->list_value().values()) leaves.push_back(LeafHash(Hex(v.string_value())));
  return leaves;
}

TEST(MerkleTest, RootsOfEveryPrefixMatchTheReference) {
  auto ref = LoadJson(VectorsDir() / "merkle" / "rfc6962_reference.json");
  auto leaves = Leaves();
  const auto& roots = Field(ref, "roots_by_tree_size")->list_value().values();
  ASSERT_EQ(roots.size(), 9);
  for (size_t n = 0; n <= 8; ++n) {
    EXPECT_EQ(ToHex(RootOf(std::span<const Hash>(leaves).first(n))), roots[static_cast<int>(n)].string_value()) << n;
  }
  CompactRange range;
  for (size_t n = 0; n < 8; ++n) {
    range.Append(leaves[n]);
    EXPECT_EQ(ToHex(range.Root()), roots[static_cast<int>(n + 1)].string_value()) << n + 1;
  }
}

TEST(MerkleTest, GeneratesAndVerifiesAll36InclusionProofs) {
  auto ref = LoadJson(VectorsDir() / "merkle" / "rfc6962_reference.json");
  auto leaves = Leaves();
  int checked = 0;
  for (const auto& v : Field(ref, "inclusion_proofs")->list_value().values()) {
    auto index = static_cast<uint64_t>(Field(v, "leaf_index")->number_value());
    auto size = static_cast<uint64_t>(Field(v, "tree_size")->number_value());
    std::vector<Bytes> expected;
    for (const auto& p : Field(v, "proof")->list_value().values()) expected.push_back(Hex(p.string_value()));
    auto proof = InclusionProof(std::span<const Hash>(leaves).first(size), index);
    ASSERT_EQ(proof.size(), expected.size());
    for (size_t i = 0; i < proof.size(); ++i) EXPECT_EQ(ToHex(proof[i]), ToHex(expected[i]));
    EXPECT_TRUE(VerifyInclusion(index, size, Hex(Field(v, "leaf_hash")->string_value()), expected,
                                Hex(Field(v, "root")->string_value())).ok());
    ++checked;
  }
  EXPECT_EQ(checked, 36);
}

TEST(MerkleTest, GeneratesAndVerifiesAll36ConsistencyProofs) {
  auto ref = LoadJson(VectorsDir() / "merkle" / "rfc6962_reference.json");
  auto leaves = Leaves();
  int checked = 0;
  for (const auto& v : Field(ref, "consistency_proofs")->list_value().values()) {
    auto m = static_cast<uint64_t>(Field(v, "size1")->number_value());
    auto n = static_cast<uint64_t>(Field(v, "size2")->number_value());
    std::vector<Bytes> expected;
    for (const auto& p : Field(v, "proof")->list_value().values()) expected.push_back(Hex(p.string_value()));
    auto proof = ConsistencyProof(std::span<const Hash>(leaves).first(n), m);
    ASSERT_EQ(proof.size(), expected.size()) << m << "," << n;
    for (size_t i = 0; i < proof.size(); ++i) EXPECT_EQ(ToHex(proof[i]), ToHex(expected[i]));
    EXPECT_TRUE(VerifyConsistency(m, n, Hex(Field(v, "root1")->string_value()),
                                  Hex(Field(v, "root2")->string_value()), expected).ok()) << m << "," << n;
    ++checked;
  }
  EXPECT_EQ(checked, 36);
}

std::vector<Bytes> ProofOf(const google::protobuf::Value& v) {
  std::vector<Bytes> out;
  const auto* p = Field(v, "proof");
  if (p && p->has_list_value()) {
    for (const auto& e : p->list_value().values()) out.push_back(Base64(e.string_value()));
  }
  return out;
}

TEST(MerkleTest, AgreesWithAll196TransparencyDevProbes) {
  namespace fs = std::filesystem;
  int probes = 0, accepted = 0, disagreements = 0;
  for (const char* kind : {"inclusion", "consistency"}) {
    for (const auto& e : fs::recursive_directory_iterator(VectorsDir() / "merkle" / "transparency-dev-testdata" / kind)) {
      if (!e.is_regular_file() || e.path().extension() != ".json") continue;
      auto v = LoadJson(e.path());
      bool want_err = Field(v, "wantErr")->bool_value();
      Status st;
      if (std::string(kind) == "inclusion") {
        st = VerifyInclusion(U64(Field(v, "leafIdx")), U64(Field(v, "treeSize")),
                             Base64(Field(v, "leafHash")->string_value()), ProofOf(v),
                             Base64(Field(v, "root")->string_value()));
      } else {
        st = VerifyConsistency(U64(Field(v, "size1")), U64(Field(v, "size2")),
                               Base64(Field(v, "root1")->string_value()),
                               Base64(Field(v, "root2")->string_value()), ProofOf(v));
      }
      ++probes;
      accepted += st.ok();
      if (st.ok() == want_err) {
        ++disagreements;
        ADD_FAILURE() << e.path() << ": wantErr=" << want_err << " got " << st.ToString();
      }
    }
  }
  EXPECT_EQ(probes, 196);
  EXPECT_EQ(accepted, 12);
  EXPECT_EQ(disagreements, 0);
}

// The tree of cached subtree hashes answers as the leaf-by-leaf reference
// for every size, index and pair of sizes up to 70 leaves, also after a
// rolled-back tail was appended again with other leaves.
TEST(MerkleTest, TreeRootsAndProofsMatchTheLeafByLeafReference) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 70; ++i) leaves.push_back(LeafHash(AsBytes("leaf " + std::to_string(i))));
  Tree tree;
  for (int i = 0; i < 50; ++i) tree.Append(leaves[static_cast<size_t>(i)]);
  for (int i = 0; i < 9; ++i) tree.Append(LeafHash(AsBytes("rolled back " + std::to_string(i))));
  tree.Truncate(37);
  ASSERT_EQ(tree.size(), 37u);
  for (size_t i = 37; i < leaves.size(); ++i) tree.Append(leaves[i]);
  ASSERT_EQ(tree.size(), leaves.size());
  for (uint64_t n = 0; n <= leaves.size(); ++n) {
    auto prefix = std::span<const Hash>(leaves).first(n);
    ASSERT_EQ(tree.RootAt(n), RootOf(prefix)) << n;
    for (uint64_t i = 0; i < n; ++i)
      ASSERT_EQ(tree.InclusionProof(i, n), InclusionProof(prefix, i)) << i << "/" << n;
    for (uint64_t m = 1; m < n; ++m) {
      ASSERT_EQ(tree.ConsistencyProof(m, n), ConsistencyProof(prefix, m)) << m << "->" << n;
    }
  }
}

}  // namespace
}  // namespace hotline::merkle
