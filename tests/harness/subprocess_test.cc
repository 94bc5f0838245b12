// Unit tests of the harness itself: Subprocess lifecycle, WaitFor, TempDir.
#include "tests/harness/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/harness/test_util.h"

namespace dkv::test {
namespace {

using std::chrono::milliseconds;

TEST(SubprocessTest, ReportsExitCodeAndCapturesOutput) {
  auto dir = TempDir::Create("subprocess");
  DKV_ASSERT_OK(dir);
  auto child = Subprocess::Start(
      {{"sh", "-c", "echo hello; echo oops >&2; exit 3"}, {}, dir->Sub("out.log"), ""});
  DKV_ASSERT_OK(child);
  auto status = (*child)->Wait(Deadline::After(milliseconds(5000)));
  DKV_ASSERT_OK(status);
  EXPECT_TRUE(status->exited);
  EXPECT_EQ(3, status->code);
  EXPECT_EQ("hello\noops\n", ReadFileTail(dir->Sub("out.log")));
  EXPECT_FALSE((*child)->IsRunning());
}

TEST(SubprocessTest, PassesEnvironmentAdditions) {
  auto dir = TempDir::Create("subprocess");
  DKV_ASSERT_OK(dir);
  auto child = Subprocess::Start(
      {{"sh", "-c", "echo $DKV_TEST_VAR"}, {{"DKV_TEST_VAR", "42"}}, dir->Sub("out.log"), ""});
  DKV_ASSERT_OK(child);
  DKV_ASSERT_OK((*child)->Wait(Deadline::After(milliseconds(5000))));
  EXPECT_EQ("42\n", ReadFileTail(dir->Sub("out.log")));
}

TEST(SubprocessTest, RunsInItsOwnProcessGroup) {
  auto child = Subprocess::Start({{"sleep", "30"}, {}, "", ""});
  DKV_ASSERT_OK(child);
  EXPECT_EQ((*child)->pid(), getpgid((*child)->pid()));
  EXPECT_EQ(getsid(0), getsid((*child)->pid()));  // same session: never setsid
}

TEST(SubprocessTest, StopEscalatesToSigkillAfterGrace) {
  // The shell ignores SIGTERM, so Stop must fall back to SIGKILL.
  auto dir = TempDir::Create("subprocess");
  DKV_ASSERT_OK(dir);
  std::string ready = dir->Sub("ready");
  auto child = Subprocess::Start(
      {{"sh", "-c", "trap '' TERM; touch " + ready + "; while :; do sleep 1; done"}, {}, "", ""});
  DKV_ASSERT_OK(child);
  DKV_ASSERT_OK(WaitFor([&] { return std::filesystem::exists(ready); }, milliseconds(5000)));
  auto status = (*child)->Stop(milliseconds(200));
  DKV_ASSERT_OK(status);
  EXPECT_FALSE(status->exited);
  EXPECT_EQ(SIGKILL, status->signal);
}

TEST(SubprocessTest, StopEndsAWellBehavedChildWithSigterm) {
  auto child = Subprocess::Start({{"sleep", "30"}, {}, "", ""});
  DKV_ASSERT_OK(child);
  auto status = (*child)->Stop(milliseconds(5000));
  DKV_ASSERT_OK(status);
  EXPECT_EQ(SIGTERM, status->signal);
}

TEST(SubprocessTest, KillTakesDownGrandchildren) {
  auto dir = TempDir::Create("subprocess");
  DKV_ASSERT_OK(dir);
  std::string pid_file = dir->Sub("grandchild.pid");
  auto child = Subprocess::Start({{"sh", "-c",
                                   "sleep 30 & echo $! > " + pid_file + ".tmp; mv " + pid_file +
                                       ".tmp " + pid_file + "; wait"},
                                  {},
                                  "",
                                  ""});
  DKV_ASSERT_OK(child);
  DKV_ASSERT_OK(WaitFor([&] { return std::filesystem::exists(pid_file); }, milliseconds(5000)));
  pid_t grandchild = std::stoi(ReadFileTail(pid_file));
  DKV_ASSERT_OK((*child)->Kill());
  // The grandchild is reparented (to init or a subreaper) and reaped there; it must be gone.
  DKV_EXPECT_OK(WaitFor([&] { return kill(grandchild, 0) != 0; }, milliseconds(5000)));
}

TEST(SubprocessTest, WaitTimesOutWhileRunning) {
  auto child = Subprocess::Start({{"sleep", "30"}, {}, "", ""});
  DKV_ASSERT_OK(child);
  auto status = (*child)->Wait(Deadline::After(milliseconds(50)));
  EXPECT_TRUE(status.status().IsTimedOut()) << status.status().ToString();
  EXPECT_TRUE((*child)->IsRunning());
}

TEST(SubprocessTest, StartFailsForMissingProgram) {
  auto child = Subprocess::Start({{"/nonexistent/dkv-program"}, {}, "", ""});
  ASSERT_FALSE(child.ok());
  EXPECT_NE(std::string::npos, child.status().message().find("/nonexistent/dkv-program"));
}

TEST(TestUtilTest, WaitForTimesOutNamingTheCondition) {
  Status s = WaitFor([] { return false; }, milliseconds(30), milliseconds(5), "the moon");
  EXPECT_TRUE(s.IsTimedOut());
  EXPECT_NE(std::string::npos, s.message().find("the moon"));
}

TEST(TestUtilTest, TempDirIsRemovedWithItsContents) {
  std::string path;
  {
    auto dir = TempDir::Create("tempdir");
    DKV_ASSERT_OK(dir);
    path = dir->path();
    std::ofstream(dir->Sub("file")) << "x";
    ASSERT_TRUE(std::filesystem::exists(dir->Sub("file")));
  }
  if (getenv("DKV_KEEP_TEST_DIRS") == nullptr) {
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

TEST(TestUtilTest, PickFreePortReturnsBindablePort) {
  int port = PickFreePort();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace dkv::test
