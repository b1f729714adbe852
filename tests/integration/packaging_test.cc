// What operators run outside a build tree (issue 12): `cmake --install`
// places the three binaries, the docs and example configs; both daemons
// take their options from a TOML file with --config.
#include <gtest/gtest.h>

#include <fstream>

#include "cluster.h"

namespace hotline::testing {
namespace {

TEST(PackagingTest, CmakeInstallPlacesWorkingBinariesDocsAndExamples) {
  TempDir prefix;
  ChildProcess install(
      {HOTLINE_CMAKE_COMMAND, "--install", BinDir(), "--prefix", prefix.path().string()},
      (prefix.path() / "install.log").string());
  ASSERT_EQ(install.WaitFor(std::chrono::seconds(60)).value_or(-1), 0)
      << ReadFileOrDie(prefix.path() / "install.log");
  for (const std::string name : {"hotline", "hotline-node", "hotline-relay"}) {
    fs::path bin = prefix.path() / "bin" / name;
    ASSERT_TRUE(fs::exists(bin)) << bin;
    ChildProcess version({bin.string(), "--version"}, (prefix.path() / (name + ".out")).string());
    EXPECT_EQ(version.WaitFor(std::chrono::seconds(20)).value_or(-1), 0);
    EXPECT_NE(ReadFileOrDie(prefix.path() / (name + ".out")).find(name + " 0."), std::string::npos);
  }
  fs::path docs = prefix.path() / "share" / "doc" / "trilateral_hotline";
  for (const char* file : {"README.md", "PROTOCOL.md", "THREAT-MODEL.md",
                           "examples/hotline-node.toml", "examples/hotline-relay.toml"}) {
    EXPECT_TRUE(fs::exists(docs / file)) << docs / file;
  }
}

// A relay and a node started from config files alone carry a message.
TEST(PackagingTest, DaemonsRunFromConfigFiles) {
  Cluster c;
  fs::path relay_conf = c.path() / "relay.toml";
  fs::path ready = c.path() / "relay.addr";
  {
    std::ofstream f(relay_conf);
    f << "certs = \"" << c.certs().string() << "\"\nname = \"relay-1\"\nlisten = \"127.0.0.1:0\"\n"
      << "data = \"" << c.RelayData(1).string() << "\"\nready-file = \"" << ready.string()
      << "\"\n";
  }
  ChildProcess relay({BinDir() + "/server/hotline-relay", "--config", relay_conf.string()},
                     (c.path() / "relay.log").string());
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(ready) && fs::file_size(ready) > 0; }))
      << ReadFileOrDie(c.path() / "relay.log");
  std::string address = ReadFileOrDie(ready);
  address.erase(address.find_last_not_of('\n') + 1);
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  for (const std::string nation : {"us", "jp"}) {
    fs::path conf = c.path() / ("node-" + nation + ".toml");
    std::ofstream f(conf);
    f << "nation = \"" << nation << "\"\ncerts = \"" << c.certs().string() << "\"\n"
      << "data = \"" << c.NodeData(nation).string() << "\"\nrelay = [\"" << address << "\"]\n"
      << "deadline = [\"flash=5s/2m\"]\nrelease-hold = [\"flash=0s\"]\n";
    f.close();
    nodes.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{BinDir() + "/client/hotline-node", "--config", conf.string()},
        (c.path() / ("node-" + nation + ".log")).string()));
    ASSERT_TRUE(WaitUntil([&] { return fs::exists(c.NodeData(nation) / "control.sock"); }))
        << ReadFileOrDie(c.path() / ("node-" + nation + ".log"));
  }
  ASSERT_TRUE(c.WaitLinksUp("us") && c.WaitLinksUp("jp"));
  std::string id = c.CliOk("us", {"send", "--to", "JP", "--text", "configured"});
  c.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  // A bad config file is a usage error.
  fs::path bad = c.path() / "bad.toml";
  std::ofstream(bad) << "no-such-option = 1\n";
  ChildProcess refused({BinDir() + "/client/hotline-node", "--config", bad.string()},
                       (c.path() / "bad.log").string());
  EXPECT_EQ(refused.WaitFor(std::chrono::seconds(20)).value_or(-1), 2)
      << ReadFileOrDie(c.path() / "bad.log");
}

}  // namespace
}  // namespace hotline::testing
