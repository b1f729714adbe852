// The epoch secret file: secrets survive a reopen, an erased one is zeros
// on disk where it was, a torn slot is wiped, a freed slot is reused.
#include "node/epoch_secrets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "hotline/file_util.h"
#include "test_util.h"

namespace hotline::node {
namespace {

Bytes FileBytes(const std::filesystem::path& p) { return *ReadFileBytes(p, 1 << 20); }

bool Holds(const Bytes& file, ByteView needle) {
  return std::search(file.begin(), file.end(), needle.begin(), needle.end()) != file.end();
}

TEST(EpochSecretFileTest, SecretsAreKeptAndErasedInPlace) {
  testing::TempDir dir;
  auto path = dir.path() / "epoch-secrets";
  X25519KeyPair a = GenerateX25519(), b = GenerateX25519(), c = GenerateX25519();
  {
    auto file = EpochSecretFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE((*file)->Put(1, a.secret.view()).ok());
    ASSERT_TRUE((*file)->Put(2, b.secret.view()).ok());
    ASSERT_TRUE((*file)->Put(2, b.secret.view()).ok()) << "again: the same slot";
    EXPECT_EQ(std::filesystem::file_size(path), 2 * EpochSecretFile::kSlotBytes);
    EXPECT_EQ(*FileMode(path) & 0777, 0600u);
  }
  auto file = EpochSecretFile::Open(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->epochs(), (std::vector<uint64_t>{1, 2}));
  X25519Secret got;
  ASSERT_TRUE(*(*file)->Get(1, got));
  EXPECT_TRUE(got == a.secret);
  EXPECT_FALSE(*(*file)->Get(3, got));

  ASSERT_TRUE(Holds(FileBytes(path), a.secret.view()));
  ASSERT_TRUE((*file)->Erase(1).ok());
  Bytes after = FileBytes(path);
  EXPECT_FALSE(Holds(after, a.secret.view()));
  EXPECT_TRUE(std::all_of(after.begin(), after.begin() + EpochSecretFile::kSlotBytes,
                          [](uint8_t x) { return x == 0; }))
      << "overwritten with zeros where it was";
  EXPECT_TRUE((*file)->Erase(1).ok()) << "erasing twice is fine";
  // The freed slot is used again; the file does not grow.
  ASSERT_TRUE((*file)->Put(3, c.secret.view()).ok());
  EXPECT_EQ(std::filesystem::file_size(path), 2 * EpochSecretFile::kSlotBytes);
  EXPECT_EQ((*file)->epochs(), (std::vector<uint64_t>{2, 3}));
}

TEST(EpochSecretFileTest, ATornSlotReadsAsLostAndIsWiped) {
  testing::TempDir dir;
  auto path = dir.path() / "epoch-secrets";
  X25519KeyPair a = GenerateX25519(), b = GenerateX25519();
  {
    auto file = EpochSecretFile::Open(path);
    ASSERT_TRUE((*file)->Put(1, a.secret.view()).ok());
    ASSERT_TRUE((*file)->Put(2, b.secret.view()).ok());
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    // Inside slot 0's secret, flipped: a constant would match a random
    // secret's byte one run in 256.
    f.seekg(20);
    char c = static_cast<char>(f.get());
    f.seekp(20);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  auto read_only = EpochSecretFile::Open(path, /*read_only=*/true);
  ASSERT_TRUE(read_only.ok());
  EXPECT_EQ((*read_only)->epochs(), std::vector<uint64_t>{2});
  EXPECT_FALSE((*read_only)->Erase(2).ok()) << "a read-only file is never written";
  auto file = EpochSecretFile::Open(path);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->wiped_at_open(), 1);
  EXPECT_EQ((*file)->epochs(), std::vector<uint64_t>{2});
  Bytes bytes = FileBytes(path);
  EXPECT_TRUE(std::all_of(bytes.begin(), bytes.begin() + EpochSecretFile::kSlotBytes,
                          [](uint8_t x) { return x == 0; }));
}

TEST(EpochSecretFileTest, AFileOfTheWrongSizeIsRefused) {
  testing::TempDir dir;
  auto path = dir.path() / "epoch-secrets";
  std::ofstream(path) << "not slots";
  auto file = EpochSecretFile::Open(path);
  EXPECT_EQ(file.status().code(), StatusCode::kDataLoss) << file.status().ToString();
}

}  // namespace
}  // namespace hotline::node
