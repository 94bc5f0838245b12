#include "supervisor/child_spec.h"

#include <gtest/gtest.h>

namespace dkv::supervisor {
namespace {

std::vector<std::string> Errors(const std::string& text) {
  std::vector<std::string> errors;
  ParseSupervisorConfig(text, "t.conf", &errors);
  return errors;
}

SupervisorConfig ParseOk(const std::string& text) {
  std::vector<std::string> errors;
  SupervisorConfig c = ParseSupervisorConfig(text, "t.conf", &errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  return c;
}

TEST(ChildSpecTest, ParsesEveryKey) {
  SupervisorConfig c = ParseOk(
      "# comment\n"
      "[child.zk]\n"
      "command = /bin/sh   # trailing comment\n"
      "args = -c 'echo \"a b\"; exit 0'\n"
      "arg = literal 'quotes' kept\n"
      "restart = transient\n"
      "max_restarts = 7\n"
      "max_seconds = 9\n"
      "backoff_initial_ms = 50\n"
      "backoff_max_ms = 800\n"
      "stop_grace_ms = 1500\n"
      "env = A=1\n"
      "env = B=x=y\n"
      "working_dir = /tmp\n"
      "log_file = zk-out.log\n"
      "\n"
      "[child.second]\n"
      "command = sh\n");
  ASSERT_EQ(c.children.size(), 2u);
  const ChildSpec& zk = c.children[0];
  EXPECT_EQ(zk.name, "zk");
  EXPECT_EQ(zk.line, 2);
  EXPECT_EQ(zk.executable, "/bin/sh");
  EXPECT_EQ(zk.args,
            (std::vector<std::string>{"-c", "echo \"a b\"; exit 0", "literal 'quotes' kept"}));
  EXPECT_EQ(zk.restart, RestartType::kTransient);
  EXPECT_EQ(zk.max_restarts, 7);
  EXPECT_EQ(zk.max_seconds, 9);
  EXPECT_EQ(zk.backoff_initial_ms, 50);
  EXPECT_EQ(zk.backoff_max_ms, 800);
  EXPECT_EQ(zk.stop_grace_ms, 1500);
  EXPECT_EQ(zk.env, (std::vector<std::string>{"A=1", "B=x=y"}));
  EXPECT_EQ(zk.working_dir, "/tmp");
  EXPECT_EQ(zk.log_file, "zk-out.log");
  // Defaults, and a bare name found on PATH.
  const ChildSpec& second = c.children[1];
  EXPECT_EQ(second.restart, RestartType::kPermanent);
  EXPECT_EQ(second.max_restarts, 5);
  EXPECT_EQ(second.executable.front(), '/');
  EXPECT_NE(second.executable.find("/sh"), std::string::npos);
}

TEST(ChildSpecTest, ReportsEveryErrorWithItsLine) {
  auto errors = Errors(
      "top = 1\n"                                 // 1
      "[child.a]\n"                               // 2
      "comand = /bin/sh\n"                        // 3
      "max_restarts = -1\n"                       // 4
      "max_seconds = 0\n"                         // 5
      "backoff_initial_ms = soon\n"               // 6
      "stop_grace_ms = 99999999999\n"             // 7
      "restart = sometimes\n"                     // 8
      "env = 1BAD=x\n"                            // 9
      "just words\n"                              // 10
      "[child.a]\n"                               // 11
      "[server]\n"                                // 12
      "ignored = 1\n"                             // 13
      "[child.bad name]\n"                        // 14
      "[child.b]\n"                               // 15
      "command = /bin/sh\n"                       // 16
      "command = /bin/sh\n"                       // 17
      "backoff_initial_ms = 100\n"                // 18
      "backoff_max_ms = 10\n"                     // 19
      "args = 'open\n"                            // 20
      "[child.c]\n"                               // 21
      "command = definitely-not-a-dkv-program\n"  // 22
      "[child.d\n");                              // 23
  std::vector<std::string> want = {
      "t.conf:1: key 'top' outside a [child.NAME] section",
      "t.conf:2: child 'a': missing 'command'",
      "t.conf:3: child 'a': unknown key 'comand'",
      "t.conf:4: child 'a': max_restarts = -1: must not be negative",
      "t.conf:5: child 'a': max_seconds = 0: must be between 1 and 86400",
      "t.conf:6: child 'a': backoff_initial_ms = 'soon' is not an integer",
      "t.conf:7: child 'a': stop_grace_ms = 99999999999: must be between 0 and 600000",
      "t.conf:8: child 'a': restart = 'sometimes': expected permanent, transient or temporary",
      "t.conf:9: child 'a': env = '1BAD=x': expected NAME=VALUE",
      "t.conf:10: child 'a': expected 'key = value', got 'just words'",
      "t.conf:11: child 'a': defined twice (first at line 2)",
      "t.conf:12: unknown section [server]; expected [child.NAME]",
      "t.conf:14: invalid child name 'bad name': use 1-64 letters, digits, '_' or '-'",
      "t.conf:17: child 'b': key 'command' given twice (first at line 16)",
      "t.conf:19: child 'b': backoff_max_ms (10) is below backoff_initial_ms (100)",
      "t.conf:20: child 'b': args: unterminated ' quote",
      "t.conf:22: child 'c': command 'definitely-not-a-dkv-program' not found on PATH",
      "t.conf:23: malformed section header '[child.d'",
  };
  EXPECT_EQ(errors, want);
}

TEST(ChildSpecTest, RejectsCommandsThatCannotRun) {
  EXPECT_EQ(
      Errors("[child.x]\ncommand = /etc/passwd\n"),
      std::vector<std::string>{"t.conf:2: child 'x': command '/etc/passwd' is not executable"});
  EXPECT_EQ(Errors("[child.x]\ncommand = /tmp\n"),
            std::vector<std::string>{"t.conf:2: child 'x': command '/tmp' is a directory"});
  EXPECT_EQ(Errors("[child.x]\ncommand = /no/such/bin\n"),
            std::vector<std::string>{"t.conf:2: child 'x': command '/no/such/bin' does not exist"});
  EXPECT_EQ(Errors("[child.x]\ncommand = sh\nenv = PATH=/nonexistent\n"),
            std::vector<std::string>{"t.conf:2: child 'x': command 'sh' not found on PATH"});
  EXPECT_EQ(Errors("[child.x]\ncommand = /bin/sh\nworking_dir = /no/such/dir\n"),
            std::vector<std::string>{
                "t.conf:3: child 'x': working_dir '/no/such/dir' is not a directory"});
}

TEST(ChildSpecTest, EmptyConfigIsValid) { EXPECT_TRUE(ParseOk("# nothing\n").children.empty()); }

TEST(ChildSpecTest, SameAsIgnoresOnlyTheLine) {
  SupervisorConfig a = ParseOk("[child.x]\ncommand = /bin/sh\nargs = -c true\n");
  SupervisorConfig b = ParseOk("\n\n[child.x]\ncommand = /bin/sh\nargs = -c true\n");
  SupervisorConfig c = ParseOk("[child.x]\ncommand = /bin/sh\nargs = -c false\n");
  EXPECT_TRUE(a.children[0].SameAs(b.children[0]));
  EXPECT_FALSE(a.children[0].SameAs(c.children[0]));
}

TEST(ChildSpecTest, LoadNamesTheFileAndListsErrors) {
  auto missing = LoadSupervisorConfig("/no/such/file.conf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kIoError);
}

TEST(SplitShellWordsTest, SplitsLikeAShell) {
  auto w = SplitShellWords(R"(  a  'b c' "d \"e\" \\ $f" g\ h 'i'"j"k  )");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (std::vector<std::string>{"a", "b c", "d \"e\" \\ $f", "g h", "ijk"}));
  EXPECT_TRUE(SplitShellWords("")->empty());
  EXPECT_EQ(*SplitShellWords("''"), std::vector<std::string>{""});
  EXPECT_FALSE(SplitShellWords("\"open").ok());
  EXPECT_FALSE(SplitShellWords("trailing\\").ok());
}

}  // namespace
}  // namespace dkv::supervisor
