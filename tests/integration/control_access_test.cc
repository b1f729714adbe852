// Issue 19 review: a relay and a node on one host run as different users,
// and operators as themselves. A node's control socket admits root, the
// node's own user and the members of its --control-group, nobody else, and
// records each request under the account the kernel vouches for.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "cluster.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

TEST(ControlAccessTest, OnlyRootTheNodesUserAndItsOperatorsGroupDriveANode) {
  if (::geteuid() != 0) GTEST_SKIP() << "acting as other users (setpriv) needs root";
  Cluster c;
  c.StartRelay(1);
  // `users` (gid 100 on Debian) plays the operators group.
  c.StartNode("us", {1}, {"--control-group", "users"});
  ASSERT_TRUE(c.WaitLinksUp("us"));
  // Another account reaches the socket as it would /run/hotline/node-us
  // (the test's folders are 0700), and runs a copy of the CLI it may read.
  TempDir shared;
  ASSERT_EQ(::chmod(shared.path().c_str(), 0755), 0);
  fs::path cli = shared.path() / "hotline";
  fs::copy_file(BinDir() + "/client/hotline", cli);
  fs::path socket = shared.path() / "control.sock";
  fs::create_symlink(c.NodeData("us") / "control.sock", socket);
  for (const fs::path& dir : {c.path(), c.NodeData("us")}) ASSERT_EQ(::chmod(dir.c_str(), 0711), 0);
  struct stat st {};
  ASSERT_EQ(::stat((c.NodeData("us") / "control.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u) << "the peer credentials decide, not the mode";

  int runs = 0;
  auto as_nobody = [&](const std::string& groups, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534"};
    argv.push_back(groups.empty() ? "--clear-groups" : "--groups=" + groups);
    argv.push_back(cli.string());
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--node", socket.string()});
    fs::path out = shared.path() / ("out-" + std::to_string(runs++));
    ChildProcess p(argv, out.string());
    CommandResult r;
    r.exit_code = p.WaitFor(std::chrono::seconds(60)).value_or(-1);
    r.output = fs::exists(out) ? ReadFileOrDie(out) : "";
    return r;
  };
  CommandResult stranger = as_nobody("", {"status"});
  EXPECT_EQ(stranger.exit_code, 1) << stranger.output;
  EXPECT_NE(stranger.output.find("refused: only root and members of group users may use it"),
            std::string::npos)
      << stranger.output;
  fs::path db = c.NodeData("us") / "node.db";
  EXPECT_TRUE(Audited(db, v1::AUDIT_EVENT_INPUT_REJECTED,
                      "control connection from uid 65534 (nobody) refused"));

  // A flood of refused connections is closed within a second each, and
  // audited a few times, not 200.
  fs::path flood = shared.path() / "flood.py";
  std::ofstream(flood) << R"(import socket, sys, time
deadline = time.monotonic() + 20
held = []
for _ in range(200):
    s = socket.socket(socket.AF_UNIX)
    while True:  # a full listen backlog answers EAGAIN: try again
        try:
            s.connect(sys.argv[1])
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                sys.exit("backlog never drained")
            time.sleep(0.005)
    held.append(s)
closed = 0
for s in held:
    s.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        closed += s.recv(1) == b""
    except ConnectionResetError:
        closed += 1
    except OSError:
        pass
print("closed", closed)
)";
  fs::path flood_out = shared.path() / "flood-out";
  ChildProcess flooder({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "/usr/bin/python3", flood.string(), socket.string()},
                       flood_out.string());
  EXPECT_EQ(flooder.WaitFor(std::chrono::seconds(60)).value_or(-1), 0);
  EXPECT_NE(ReadFileOrDie(flood_out).find("closed 200"), std::string::npos)
      << ReadFileOrDie(flood_out);
  int refusal_records = CountAuditWhere(db, [](const v1::AuditRecord& r) {
    return r.event() == v1::AUDIT_EVENT_INPUT_REJECTED &&
           r.detail().find("control connection from uid 65534") != std::string::npos;
  });
  EXPECT_LE(refusal_records, 1 + 10 + 25) << "a burst of 10, then one a second";

  CommandResult op = as_nobody("100", {"keys", "rotate"});
  EXPECT_EQ(op.exit_code, 0) << op.output;
  EXPECT_TRUE(WaitUntil([&] {
    return CountAuditWhere(db, [](const v1::AuditRecord& r) {
             return r.event() == v1::AUDIT_EVENT_EPOCH_KEY && r.operator_name() == "cli:nobody";
           }) == 1;
  })) << "recorded under the account the kernel names";
  c.StopAll();
}

}  // namespace
}  // namespace hotline::testing
