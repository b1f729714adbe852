// The trust ceremony across three nations with the real `hotline` binary
// (issue 14, docs/TRUST.md): each nation's root key made in its own folder,
// the root document signed by each, a node's keys made where it runs and
// its request signed by two nations; one nation alone cannot certify it;
// rotation to a new JP key; rollback refused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cluster.h"

namespace hotline::testing {
namespace {

class CeremonyTest : public ::testing::Test {
 protected:
  fs::path At(const std::string& name) { return c_.path() / name; }
  CommandResult Run(std::vector<std::string> args) { return c_.Cli(args); }
  void Ok(std::vector<std::string> args) {
    CommandResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  Cluster c_;
};

TEST_F(CeremonyTest, TwoNationsCertifyANodeOneCannotAndTheRootRotates) {
  // Each nation, on its own machine.
  for (const char* n : {"US", "JP", "KR"}) {
    Ok({"certs", "init-nation", "--nation", n, "--certs", At(std::string("nation-") + n).string()});
  }
  fs::path doc = At("root.doc");
  Ok({"certs", "root", "draft", "--key", (At("nation-US") / "root-us.pub").string(), "--key",
      (At("nation-JP") / "root-jp.pub").string(), "--key", (At("nation-KR") / "root-kr.pub").string(),
      "--days", "30", "--out", doc.string()});
  fs::path node = At("node-jp-host");
  // Not installable until two nations signed it.
  Ok({"certs", "root", "sign", doc.string(), "--root-key", (At("nation-US") / "root-us.key").string()});
  CommandResult early = Run({"certs", "root", "install", doc.string(), "--certs", node.string()});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.output.find("signed by US: needs 2"), std::string::npos) << early.output;
  for (const char* n : {"JP", "KR"}) {
    std::string lower = n == std::string("JP") ? "jp" : "kr";
    Ok({"certs", "root", "sign", doc.string(), "--root-key",
        (At(std::string("nation-") + n) / ("root-" + lower + ".key")).string()});
  }
  Ok({"certs", "root", "install", doc.string(), "--certs", node.string()});

  // The node makes its keys where it runs; only the request travels.
  Ok({"certs", "request", "--subject", "node-jp", "--nation", "JP", "--certs", node.string()});
  fs::path request = node / "node-jp.req";
  struct stat st {};
  ASSERT_EQ(::stat((node / "node-jp.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(node / "root-jp.key"));
  // JP alone cannot certify it, nor can two other nations.
  Ok({"certs", "sign", request.string(), "--root-key", (At("nation-JP") / "root-jp.key").string()});
  CommandResult alone = Run({"certs", "assemble", request.string(), "--certs", node.string()});
  EXPECT_EQ(alone.exit_code, 1);
  EXPECT_NE(alone.output.find("is signed by JP: needs its own nation's root and 1 other"),
            std::string::npos)
      << alone.output;
  EXPECT_FALSE(fs::exists(node / "node-jp.cert"));
  Ok({"certs", "sign", request.string(), "--root-key", (At("nation-KR") / "root-kr.key").string()});
  Ok({"certs", "assemble", request.string(), "--certs", node.string()});
  CommandResult show = Run({"certs", "show", "node-jp", "--certs", node.string()});
  EXPECT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("signed by:      JP, KR (root document 1)"), std::string::npos)
      << show.output;
  EXPECT_NE(show.output.find("verification:   valid"), std::string::npos) << show.output;

  // A forged request: the proof of possession no longer matches its keys.
  Ok({"certs", "request", "--subject", "node-kr", "--nation", "KR", "--certs", At("kr-host").string()});
  std::string req = ReadFileOrDie(At("kr-host") / "node-kr.req");
  req[req.size() - 5] ^= 1;  // inside the proof
  std::ofstream(At("kr-host") / "node-kr.req", std::ios::binary | std::ios::trunc) << req;
  CommandResult forged = Run({"certs", "sign", (At("kr-host") / "node-kr.req").string(),
                              "--root-key", (At("nation-KR") / "root-kr.key").string()});
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_NE(forged.output.find("proof of possession does not verify"), std::string::npos)
      << forged.output;

  // JP replaces its root key while the hotline runs: document 2 is signed by
  // two of document 1's keys and two of its own.
  Ok({"certs", "init-nation", "--nation", "JP", "--certs", At("nation-JP-2").string()});
  fs::path doc2 = At("root-2.doc");
  Ok({"certs", "root", "draft", "--serial", "2", "--key", (At("nation-US") / "root-us.pub").string(),
      "--key", (At("nation-JP-2") / "root-jp.pub").string(), "--key",
      (At("nation-KR") / "root-kr.pub").string(), "--days", "30", "--out", doc2.string()});
  for (fs::path key : {At("nation-US") / "root-us.key", At("nation-JP") / "root-jp.key",
                       At("nation-JP-2") / "root-jp.key"}) {
    Ok({"certs", "root", "sign", doc2.string(), "--root-key", key.string()});
  }
  Ok({"certs", "root", "install", doc2.string(), "--certs", node.string()});
  CommandResult rollback = Run({"certs", "root", "install", doc.string(), "--certs", node.string()});
  EXPECT_EQ(rollback.exit_code, 1);
  EXPECT_NE(rollback.output.find("rollback refused"), std::string::npos) << rollback.output;
  // The node certificate JP signed with its retired key now needs JP's new signature.
  CommandResult retired = Run({"certs", "show", "node-jp", "--certs", node.string()});
  EXPECT_EQ(retired.exit_code, 1) << retired.output;
  EXPECT_NE(retired.output.find("signed by:      KR (root document 2)"), std::string::npos)
      << retired.output;
}

}  // namespace
}  // namespace hotline::testing
