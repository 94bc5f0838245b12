#include "supervisor/child_set.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <set>

namespace dkv::supervisor {
namespace {

using std::chrono::milliseconds;

// Hands out increasing pids and records what was launched and signalled.
class FakeLauncher : public ProcessLauncher {
 public:
  Result<pid_t> Launch(const ChildSpec& spec, const std::string& log_path) override {
    launches.push_back(spec.name);
    log_paths[spec.name] = log_path;
    if (fail.count(spec.name)) return Status::IoError("exec " + spec.executable + ": No such file");
    pid_t pid = next_pid++;
    pids[spec.name] = pid;
    return pid;
  }
  void SignalGroup(pid_t pid, int sig) override { signals.emplace_back(pid, sig); }
  std::optional<ExitedChild> ReapOne() override { return std::nullopt; }

  pid_t next_pid = 100;
  std::vector<std::string> launches;
  std::map<std::string, pid_t> pids;  // latest pid per child
  std::map<std::string, std::string> log_paths;
  std::vector<std::pair<pid_t, int>> signals;
  std::set<std::string> fail;
};

ChildSpec Spec(const std::string& name, RestartType restart = RestartType::kPermanent) {
  ChildSpec s;
  s.name = name;
  s.command = s.executable = "/bin/" + name;
  s.restart = restart;
  s.max_restarts = 2;
  s.max_seconds = 10;
  s.backoff_initial_ms = 100;
  s.backoff_max_ms = 1000;
  s.stop_grace_ms = 500;
  return s;
}

int Exited(int code) { return (code & 0xff) << 8; }  // a wait status for exit(code)
int Killed(int sig) { return sig; }                  // a wait status for death by sig

class ChildSetTest : public ::testing::Test {
 protected:
  FakeLauncher launcher_;
  ChildSet set_{&launcher_, "/run"};
  SteadyTime t0_{};

  ChildStatus StatusOf(const std::string& name, SteadyTime now) {
    for (const ChildStatus& s : set_.Snapshot(now)) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no child " << name;
    return {};
  }
};

TEST_F(ChildSetTest, StartsInConfigOrderWithLogsInRunDir) {
  ChildSpec b = Spec("b");
  b.log_file = "-";
  ChildSpec c = Spec("c");
  c.log_file = "/var/log/c.out";
  set_.Start({Spec("a"), b, c}, t0_);
  EXPECT_EQ(launcher_.launches, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(launcher_.log_paths["a"], "/run/a.log");
  EXPECT_EQ(launcher_.log_paths["b"], "");
  EXPECT_EQ(launcher_.log_paths["c"], "/var/log/c.out");
  EXPECT_EQ(StatusOf("a", t0_).state, ChildState::kRunning);
}

TEST_F(ChildSetTest, RestartsAfterBackoffThenGivesUp) {
  std::vector<std::string> given_up;
  set_.SetGiveUpCallback([&](const std::string& n) { given_up.push_back(n); });
  set_.Start({Spec("a"), Spec("b")}, t0_);
  pid_t b_pid = launcher_.pids["b"];
  SteadyTime t = t0_;
  for (int i = 0; i < 2; ++i) {
    set_.OnExit(launcher_.pids["a"], Killed(SIGKILL), t);
    EXPECT_EQ(StatusOf("a", t).state, ChildState::kBackingOff);
    ASSERT_TRUE(set_.NextDeadline().has_value());
    milliseconds backoff(100 << i);
    EXPECT_EQ(*set_.NextDeadline(), t + backoff);
    set_.Tick(t + backoff - milliseconds(1));  // not yet
    EXPECT_EQ(StatusOf("a", t).state, ChildState::kBackingOff);
    t += backoff;
    set_.Tick(t);
    EXPECT_EQ(StatusOf("a", t).state, ChildState::kRunning);
    EXPECT_EQ(StatusOf("a", t).restarts, i + 1);
  }
  set_.OnExit(launcher_.pids["a"], Exited(1), t);
  ChildStatus a = StatusOf("a", t);
  EXPECT_EQ(a.state, ChildState::kGivenUp);
  EXPECT_EQ(a.last_exit, "exited with code 1");
  EXPECT_EQ(given_up, std::vector<std::string>{"a"});
  EXPECT_EQ(StatusOf("b", t).pid, b_pid);
  EXPECT_EQ(StatusOf("b", t).state, ChildState::kRunning);
}

TEST_F(ChildSetTest, RestartTypesDecideAfterNormalAndAbnormalExits) {
  set_.Start({Spec("perm"), Spec("trans", RestartType::kTransient),
              Spec("trans2", RestartType::kTransient), Spec("temp", RestartType::kTemporary)},
             t0_);
  set_.OnExit(launcher_.pids["perm"], Exited(0), t0_);
  set_.OnExit(launcher_.pids["trans"], Exited(0), t0_);
  set_.OnExit(launcher_.pids["trans2"], Killed(SIGSEGV), t0_);
  set_.OnExit(launcher_.pids["temp"], Exited(7), t0_);
  EXPECT_EQ(StatusOf("perm", t0_).state, ChildState::kBackingOff);
  EXPECT_EQ(StatusOf("trans", t0_).state, ChildState::kStopped);
  EXPECT_EQ(StatusOf("trans2", t0_).state, ChildState::kBackingOff);
  EXPECT_EQ(StatusOf("temp", t0_).state, ChildState::kStopped);
  EXPECT_EQ(StatusOf("temp", t0_).last_exit, "exited with code 7");
}

TEST_F(ChildSetTest, LaunchFailureIsGivenUpNotLooped) {
  launcher_.fail.insert("bad");
  std::vector<std::string> given_up;
  set_.SetGiveUpCallback([&](const std::string& n) { given_up.push_back(n); });
  set_.Start({Spec("bad"), Spec("good")}, t0_);
  set_.Tick(t0_ + milliseconds(100000));
  EXPECT_EQ(launcher_.launches, (std::vector<std::string>{"bad", "good"}));
  ChildStatus bad = StatusOf("bad", t0_);
  EXPECT_EQ(bad.state, ChildState::kGivenUp);
  EXPECT_NE(bad.last_exit.find("No such file"), std::string::npos);
  EXPECT_EQ(given_up, std::vector<std::string>{"bad"});
  EXPECT_FALSE(set_.NextDeadline().has_value());
}

TEST_F(ChildSetTest, ShutdownStopsInReverseOrderOneAtATime) {
  set_.Start({Spec("a"), Spec("b"), Spec("c")}, t0_);
  pid_t a = launcher_.pids["a"], b = launcher_.pids["b"], c = launcher_.pids["c"];
  set_.BeginShutdown(t0_);
  EXPECT_EQ(launcher_.signals, (std::vector<std::pair<pid_t, int>>{{c, SIGTERM}}));
  set_.OnExit(c, Killed(SIGTERM), t0_);
  EXPECT_EQ(launcher_.signals.back(), std::make_pair(b, SIGTERM));
  // b ignores SIGTERM: SIGKILL after its grace period.
  EXPECT_EQ(*set_.NextDeadline(), t0_ + milliseconds(500));
  set_.Tick(t0_ + milliseconds(499));
  EXPECT_EQ(launcher_.signals.size(), 2u);
  set_.Tick(t0_ + milliseconds(500));
  EXPECT_EQ(launcher_.signals.back(), std::make_pair(b, SIGKILL));
  EXPECT_FALSE(set_.ShutdownComplete());
  set_.OnExit(b, Killed(SIGKILL), t0_ + milliseconds(501));
  EXPECT_EQ(launcher_.signals.back(), std::make_pair(a, SIGTERM));
  set_.OnExit(a, Exited(0), t0_ + milliseconds(502));
  EXPECT_TRUE(set_.ShutdownComplete());
  EXPECT_EQ(launcher_.launches.size(), 3u);  // nothing restarted
}

TEST_F(ChildSetTest, ShutdownCancelsPendingRestarts) {
  set_.Start({Spec("a"), Spec("b")}, t0_);
  set_.OnExit(launcher_.pids["a"], Killed(SIGKILL), t0_);
  set_.BeginShutdown(t0_);
  set_.OnExit(launcher_.pids["b"], Killed(SIGTERM), t0_);
  set_.Tick(t0_ + milliseconds(10000));
  EXPECT_TRUE(set_.ShutdownComplete());
  EXPECT_EQ(launcher_.launches.size(), 2u);
}

TEST_F(ChildSetTest, ReloadChangesExactlyWhatChanged) {
  set_.Start({Spec("keep"), Spec("change"), Spec("remove")}, t0_);
  pid_t keep = launcher_.pids["keep"], change = launcher_.pids["change"],
        remove = launcher_.pids["remove"];
  ChildSpec changed = Spec("change");
  changed.args = {"--new"};
  set_.Reload({Spec("add"), Spec("keep"), changed}, t0_);
  EXPECT_EQ(launcher_.signals,
            (std::vector<std::pair<pid_t, int>>{{change, SIGTERM}, {remove, SIGTERM}}));
  EXPECT_EQ(launcher_.launches.back(), "add");
  EXPECT_EQ(StatusOf("keep", t0_).pid, keep);
  set_.OnExit(remove, Killed(SIGTERM), t0_);
  set_.OnExit(change, Killed(SIGTERM), t0_);
  EXPECT_EQ(launcher_.launches.back(), "change");
  EXPECT_NE(StatusOf("change", t0_).pid, change);
  std::vector<std::string> names;
  for (const ChildStatus& s : set_.Snapshot(t0_)) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"add", "keep", "change"}));
  EXPECT_EQ(StatusOf("keep", t0_).pid, keep);
}

TEST_F(ChildSetTest, ReloadGivesGivenUpChildAFreshStart) {
  launcher_.fail.insert("a");
  set_.Start({Spec("a")}, t0_);
  EXPECT_EQ(StatusOf("a", t0_).state, ChildState::kGivenUp);
  launcher_.fail.clear();
  set_.Reload({Spec("a")}, t0_);
  EXPECT_EQ(StatusOf("a", t0_).state, ChildState::kRunning);
}

TEST_F(ChildSetTest, UnknownPidIsIgnored) {
  set_.Start({Spec("a")}, t0_);
  set_.OnExit(99999, Exited(0), t0_);
  EXPECT_EQ(StatusOf("a", t0_).state, ChildState::kRunning);
}

TEST(ChildStatusTest, RendersTextAndJson) {
  ChildStatus s;
  s.name = "zk";
  s.pid = 42;
  s.state = ChildState::kRunning;
  s.uptime_s = 1.25;
  s.last_exit = "say \"hi\"";
  std::string json = FormatStatusJson(7, {s});
  EXPECT_EQ(
      json,
      "{\"supervisor_pid\":7,\"children\":[{\"name\":\"zk\",\"pid\":42,\"state\":\"running\","
      "\"restarts\":0,\"uptime_s\":1.2,\"restart_in_s\":0.0,\"last_exit\":\"say \\\"hi\\\"\"}]}\n");
  std::string text = FormatStatusText({s});
  EXPECT_NE(text.find("zk"), std::string::npos);
  EXPECT_NE(text.find("running"), std::string::npos);
}

}  // namespace
}  // namespace dkv::supervisor
