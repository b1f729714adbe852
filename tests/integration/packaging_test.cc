// What operators run outside a build tree (issue 12): `cmake --install`
// places the three binaries, the docs and example configs; both daemons
// take their options from a TOML file with --config.
#include <gtest/gtest.h>
#include <sys/stat.h>

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

// Issue 19: `cpack -G DEB` makes a package of the three binaries, hardened
// systemd units and example configurations. dpkg itself installs it into a
// scratch root (maintainer scripts run chrootless, with DPKG_ROOT): the
// postinst makes the hotline user, /etc/hotline and /var/lib/hotline;
// `systemd-analyze verify` accepts the units without a warning and
// `systemd-analyze security` rates them; the installed binaries run from
// the installed example configurations.
TEST(PackagingTest, DebianPackageInstallsHardenedServices) {
  TempDir work;
  int runs = 0;
  auto run = [&](const std::vector<std::string>& argv,
                 const std::vector<std::string>& env = {}) -> CommandResult {
    fs::path out = work.path() / ("run-" + std::to_string(runs++) + ".out");
    std::vector<std::string> full = {"/usr/bin/env"};
    full.insert(full.end(), env.begin(), env.end());
    full.insert(full.end(), argv.begin(), argv.end());
    ChildProcess p(full, out.string());
    CommandResult r;
    r.exit_code = p.WaitFor(std::chrono::seconds(300)).value_or(-1);
    r.output = fs::exists(out) ? ReadFileOrDie(out) : "";
    return r;
  };
  fs::path cpack = fs::path(HOTLINE_CMAKE_COMMAND).parent_path() / "cpack";
  auto built = run({cpack.string(), "-G", "DEB", "--config", BinDir() + "/CPackConfig.cmake", "-B",
                    (work.path() / "pkg").string()});
  ASSERT_EQ(built.exit_code, 0) << built.output;
  fs::path deb;
  for (const auto& e : fs::directory_iterator(work.path() / "pkg")) {
    if (e.path().extension() == ".deb") deb = e.path();
  }
  ASSERT_FALSE(deb.empty()) << built.output;
  EXPECT_EQ(deb.filename().string().rfind("trilateral-hotline_0.", 0), 0u) << deb;

  auto fields = run({"dpkg-deb", "-f", deb.string(), "Package", "Depends", "Section"});
  ASSERT_EQ(fields.exit_code, 0) << fields.output;
  for (const char* want : {"Package: trilateral-hotline", "libsodium", "libprotobuf", "libsqlite3",
                           "passwd", "Section: net"}) {
    EXPECT_NE(fields.output.find(want), std::string::npos) << want << "\n" << fields.output;
  }
  auto contents = run({"dpkg-deb", "-c", deb.string()});
  ASSERT_EQ(contents.exit_code, 0) << contents.output;
  for (const char* want :
       {"./usr/bin/hotline\n", "./usr/bin/hotline-node\n", "./usr/bin/hotline-relay\n",
        "./usr/lib/systemd/system/hotline-node@.service",
        "./usr/lib/systemd/system/hotline-relay@.service",
        "./usr/share/trilateral-hotline/examples/node.toml.example",
        "./usr/share/trilateral-hotline/examples/relay.toml.example",
        "./usr/share/doc/trilateral_hotline/OPERATIONS.md"}) {
    EXPECT_NE(contents.output.find(want), std::string::npos) << want << "\n" << contents.output;
  }

  // Installed by dpkg into a scratch root with an empty package database.
  fs::path root = work.path() / "root";
  for (const char* dir : {"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"}) {
    fs::create_directories(root / dir);
  }
  std::ofstream(root / "var/lib/dpkg/status").close();
  std::ofstream(root / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
  std::ofstream(root / "etc/group") << "root:x:0:\n";
  std::ofstream(root / "etc/shadow") << "root:*:19000:0:99999:7:::\n";
  std::ofstream(root / "etc/gshadow") << "root:*::\n";
  auto installed =
      run({"dpkg", "--root=" + root.string(), "--force-script-chrootless", "--force-not-root",
           "--force-depends", "--log=" + (work.path() / "dpkg.log").string(), "-i", deb.string()},
          {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  // A user per service (a relay on the node's host can neither read its
  // keys nor drive it) and the operators' group.
  std::string passwd = ReadFileOrDie(root / "etc/passwd");
  std::string group = ReadFileOrDie(root / "etc/group");
  for (const char* user : {"hotline-node:x:", "hotline-relay:x:"}) {
    EXPECT_NE(passwd.find(user), std::string::npos) << passwd;
    EXPECT_NE(group.find(user), std::string::npos) << group;
  }
  EXPECT_EQ(passwd.find("\nhotline:x:"), std::string::npos) << "no shared user: " << passwd;
  EXPECT_NE(group.find("\nhotline:x:"), std::string::npos) << group;
  EXPECT_NE(passwd.find(":/var/lib/hotline:/usr/sbin/nologin"), std::string::npos) << passwd;
  struct stat etc {
  }, state{};
  ASSERT_EQ(stat((root / "etc/hotline").c_str(), &etc), 0);
  ASSERT_EQ(stat((root / "var/lib/hotline").c_str(), &state), 0);
  EXPECT_EQ(etc.st_mode & 07777, 0755u);
  EXPECT_EQ(etc.st_uid, 0u);
  EXPECT_EQ(state.st_mode & 07777, 0755u) << "each service's state is a 0700 folder of its own";
  EXPECT_EQ(state.st_uid, 0u);
  EXPECT_TRUE(fs::exists(root / "etc/hotline/node.toml.example"));
  EXPECT_TRUE(fs::exists(root / "etc/hotline/relay.toml.example"));

  // The units: valid (no warning either), hardened, rated by systemd.
  fs::path units = root / "usr/lib/systemd/system";
  for (const auto& e : fs::directory_iterator("/usr/lib/systemd/system")) {
    if (e.path().extension() == ".target" || e.path().extension() == ".slice") {
      fs::copy(e.path(), units / e.path().filename(), fs::copy_options::skip_existing);
    }
  }
  auto verified = run({"systemd-analyze", "verify", "--root=" + root.string(),
                       "hotline-node@us.service", "hotline-relay@relay-1.service"});
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_EQ(verified.output, "") << "systemd-analyze verify warned";
  for (const std::string unit : {"hotline-node@us.service", "hotline-relay@relay-1.service"}) {
    std::string text = ReadFileOrDie(units / (unit.substr(0, unit.find('@') + 1) + ".service"));
    std::string kind = unit.substr(8, unit.find('@') - 8);  // node, relay
    for (const std::string& want : std::initializer_list<std::string>{
             "User=hotline-" + kind + "\n", "NoNewPrivileges=yes\n", "ProtectSystem=strict\n",
             "StateDirectory=hotline/", "StateDirectoryMode=0700\n",
             "ConfigurationDirectory=hotline\n", "CapabilityBoundingSet=\n",
             "RuntimeDirectory=hotline/", "--control-group hotline\n"}) {
      EXPECT_NE(text.find(want), std::string::npos) << unit << " lacks " << want;
    }
    auto security = run({"systemd-analyze", "security", "--offline=true", "--root=" + root.string(),
                         "--no-pager", unit});
    size_t at = security.output.find("Overall exposure level for " + unit + ": ");
    ASSERT_NE(at, std::string::npos) << security.output;
    double exposure = std::stod(security.output.substr(at + 29 + unit.size()));
    EXPECT_LE(exposure, 2.0) << security.output.substr(at);
  }

  // The installed binaries run from the installed example configurations
  // (what the units run, with this test's trust folder and addresses).
  Cluster c;
  fs::path ready = work.path() / "relay.addr";
  ChildProcess relay({(root / "usr/bin/hotline-relay").string(), "--config",
                      (root / "etc/hotline/relay.toml.example").string(), "--certs",
                      c.certs().string(), "--data", c.RelayData(1).string(), "--listen",
                      "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--ready-file", ready.string()},
                     (work.path() / "relay.log").string());
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(ready) && fs::file_size(ready) > 0; }))
      << ReadFileOrDie(work.path() / "relay.log");
  std::string address = ReadFileOrDie(ready);
  address.erase(address.find_last_not_of('\n') + 1);
  ChildProcess node(
      {(root / "usr/bin/hotline-node").string(), "--config",
       (root / "etc/hotline/node.toml.example").string(), "--certs", c.certs().string(), "--data",
       c.NodeData("us").string(), "--relay", address, "--metrics", "127.0.0.1:0"},
      (work.path() / "node.log").string());
  EXPECT_TRUE(c.WaitLinksUp("us")) << ReadFileOrDie(work.path() / "node.log");
  CommandResult links =
      run({(root / "usr/bin/hotline").string(), "links", "--node", c.NodeData("us").string()});
  EXPECT_NE(links.output.find("Path tests from US: every 60 s"), std::string::npos) << links.output;

  // Purged: the examples it installed go; an operator's configuration,
  // state (evidence) and the users stay.
  std::ofstream(root / "etc/hotline/node-us.toml") << "nation = \"US\"\n";
  std::ofstream(root / "var/lib/hotline/kept") << "audit evidence\n";
  auto purged =
      run({"dpkg", "--root=" + root.string(), "--force-script-chrootless", "--force-not-root",
           "--log=" + (work.path() / "dpkg.log").string(), "--purge", "trilateral-hotline"},
          {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
  ASSERT_EQ(purged.exit_code, 0) << purged.output;
  EXPECT_FALSE(fs::exists(root / "usr/bin/hotline-node"));
  EXPECT_FALSE(fs::exists(root / "etc/hotline/node.toml.example"));
  EXPECT_TRUE(fs::exists(root / "etc/hotline/node-us.toml"));
  EXPECT_TRUE(fs::exists(root / "var/lib/hotline/kept"));
  EXPECT_NE(ReadFileOrDie(root / "etc/passwd").find("hotline-node:x:"), std::string::npos);
}

}  // namespace
}  // namespace hotline::testing
