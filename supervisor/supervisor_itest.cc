// Black-box tests of the dkv-supervisor binary with real child processes (/bin/sh, sleep):
// restarts, give-up, clean stop, no orphans after SIGTERM or SIGKILL, SIGHUP reload, config errors.
//
// Tests poll conditions with deadlines (WaitFor), never sleep blindly. Each test has its own temp
// directory (short, for the unix socket path) and kills whatever it started.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "common/deadline.h"
#include "supervisor/status_socket.h"

namespace dkv::supervisor {
namespace {

using std::chrono::milliseconds;

bool WaitFor(const std::function<bool()>& condition, milliseconds timeout) {
  Deadline deadline = Deadline::After(timeout);
  while (!deadline.Expired()) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

// Gone or a zombie: a process that no longer runs. (An orphan reparented to a pid 1 that does not
// reap would stay a zombie forever, which is still not running.)
bool ProcessGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z';
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Row {
  pid_t pid = 0;
  std::string state;
  int restarts = 0;
  std::string last_exit;
};

class SupervisorItest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dkv-sup-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    config_ = dir_ + "/sup.conf";
    run_dir_ = dir_ + "/run";
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    // Children die with the supervisor (PDEATHSIG); make sure before removing their files.
    for (pid_t p : seen_pids_) {
      EXPECT_TRUE(WaitFor([&] { return ProcessGone(p); }, milliseconds(2000))) << "orphan " << p;
    }
    if (HasFailure()) {
      std::cerr << "supervisor output:\n" << ReadFile(dir_ + "/supervisor.out");
    }
    std::filesystem::remove_all(dir_);
  }

  void WriteConfig(const std::string& text) { std::ofstream(config_) << text; }

  // Runs argv to completion with stdout+stderr into `out_file`; returns the exit code.
  int RunToExit(std::vector<std::string> argv, const std::string& out_file) {
    pid_t pid = Spawn(argv, out_file);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  pid_t Spawn(std::vector<std::string> argv, const std::string& out_file) {
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execv(args[0], args.data());
      _exit(127);
    }
    return pid;
  }

  // Starts the supervisor on config_ and waits until its status socket answers.
  void StartSupervisor(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {DKV_SUPERVISOR_BIN, "--config", config_, "--run-dir",
                                     run_dir_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = Spawn(argv, dir_ + "/supervisor.out");
    ASSERT_TRUE(WaitFor([&] { return QueryStatus(run_dir_ + "/supervisor.sock", false).ok(); },
                        milliseconds(5000)))
        << "supervisor did not come up";
  }

  // Waits for the supervisor to exit; returns its exit code, or -1 on timeout.
  int WaitSupervisorExit(milliseconds timeout) {
    int status = 0;
    bool done = WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!done) return -1;
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::map<std::string, Row> Status() {
    std::map<std::string, Row> rows;
    auto answer = QueryStatus(run_dir_ + "/supervisor.sock", false);
    if (!answer.ok()) return rows;
    std::istringstream in(*answer);
    std::string line;
    bool table = false;
    while (std::getline(in, line)) {
      if (line.rfind("NAME ", 0) == 0) {
        table = true;
        continue;
      }
      if (!table) continue;
      std::istringstream fields(line);
      std::string name, pid, uptime;
      Row row;
      fields >> name >> pid >> row.state >> row.restarts >> uptime;
      std::getline(fields, row.last_exit);
      row.pid = pid == "-" ? 0 : std::stoi(pid);
      if (row.pid > 0) seen_pids_.push_back(row.pid);
      rows[name] = row;
    }
    return rows;
  }

  // Waits until `name` is running and returns its pid (0 on timeout).
  pid_t RunningPid(const std::string& name) {
    pid_t pid = 0;
    WaitFor(
        [&] {
          auto rows = Status();
          if (rows.count(name) == 0 || rows[name].state != "running") return false;
          pid = rows[name].pid;
          return true;
        },
        milliseconds(3000));
    return pid;
  }

  static std::string Sleeper(const std::string& name, const std::string& extra = "") {
    return "[child." + name + "]\ncommand = sleep\nargs = 1000\nbackoff_initial_ms = 50\n" + extra;
  }

  std::string dir_, config_, run_dir_;
  pid_t pid_ = 0;
  std::vector<pid_t> seen_pids_;  // every child pid a status showed: all must be gone at the end
};

TEST_F(SupervisorItest, SigkilledChildIsRestartedWithinBackoffWithNewPid) {
  WriteConfig(Sleeper("a") + Sleeper("b"));
  StartSupervisor();
  pid_t a = RunningPid("a"), b = RunningPid("b");
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  auto killed_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(a, SIGKILL), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto rows = Status();
        return rows["a"].state == "running" && rows["a"].pid != a && rows["a"].restarts == 1;
      },
      milliseconds(2000)));
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, milliseconds(1000));
  auto rows = Status();
  EXPECT_NE(rows["a"].last_exit.find("killed by signal 9"), std::string::npos)
      << rows["a"].last_exit;
  EXPECT_EQ(rows["b"].pid, b);
  EXPECT_TRUE(ProcessGone(a));
}

TEST_F(SupervisorItest, CrashLoopIsGivenUpAndOthersKeepRunning) {
  WriteConfig(Sleeper("steady") +
              "[child.crasher]\ncommand = /bin/sh\nargs = -c 'echo crashing; exit 3'\n"
              "max_restarts = 3\nmax_seconds = 10\nbackoff_initial_ms = 10\nbackoff_max_ms = 40\n" +
              Sleeper("other"));
  StartSupervisor();
  pid_t steady = RunningPid("steady"), other = RunningPid("other");
  ASSERT_TRUE(WaitFor([&] { return Status()["crasher"].state == "given_up"; }, milliseconds(3000)));
  auto rows = Status();
  EXPECT_EQ(rows["crasher"].restarts, 3);
  EXPECT_NE(rows["crasher"].last_exit.find("exited with code 3"), std::string::npos);
  EXPECT_EQ(rows["steady"].pid, steady);
  EXPECT_EQ(rows["other"].pid, other);
  EXPECT_EQ(rows["steady"].state, "running");
  EXPECT_NE(ReadFile(dir_ + "/supervisor.out").find("GIVING UP on child 'crasher'"),
            std::string::npos);
  EXPECT_EQ(ReadFile(run_dir_ + "/crasher.log"), "crashing\ncrashing\ncrashing\ncrashing\n");
  EXPECT_EQ(waitpid(pid_, nullptr, WNOHANG), 0) << "the supervisor must keep running";
}

TEST_F(SupervisorItest, ExitOnGiveUpStopsEverythingAndExits3) {
  WriteConfig(Sleeper("steady") +
              "[child.crasher]\ncommand = /bin/sh\nargs = -c 'exit 1'\nmax_restarts = 1\n"
              "backoff_initial_ms = 10\n");
  // The supervisor may be gone before the first status answer; learn the sleeper's pid from the
  // log.
  std::vector<std::string> argv = {DKV_SUPERVISOR_BIN, "--config", config_,
                                   "--run-dir",        run_dir_,   "--exit-on-give-up"};
  pid_ = Spawn(argv, dir_ + "/supervisor.out");
  EXPECT_EQ(WaitSupervisorExit(milliseconds(5000)), 3);
  std::string out = ReadFile(dir_ + "/supervisor.out");
  EXPECT_NE(out.find("--exit-on-give-up"), std::string::npos);
  size_t at = out.find("started child 'steady' pid ");
  ASSERT_NE(at, std::string::npos);
  pid_t steady = std::atoi(out.c_str() + at + std::string("started child 'steady' pid ").size());
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(steady); }, milliseconds(2000)));
}

TEST_F(SupervisorItest, SigtermStopsChildrenInReverseOrderLeavingNoOrphan) {
  std::string order = dir_ + "/order";
  auto recorder = [&](const std::string& name) {
    return "[child." + name + "]\ncommand = /bin/sh\nargs = -c 'trap \"echo " + name + " >> " +
           order + "; exit 0\" TERM; echo ready; sleep 1000 & wait'\n";
  };
  WriteConfig(recorder("first") + recorder("second") +
              // Ignores SIGTERM (and so does its sleep): needs the SIGKILL after the grace period.
              "[child.stubborn]\ncommand = /bin/sh\nargs = -c 'trap \"\" TERM; echo ready; sleep "
              "1000 & wait'\n"
              "stop_grace_ms = 200\n" +
              recorder("third"));
  StartSupervisor();
  std::vector<pid_t> pids;
  for (const char* name : {"first", "second", "stubborn", "third"}) {
    pids.push_back(RunningPid(name));
    ASSERT_GT(pids.back(), 0);
    // Running means exec'd, not that the shell has set its trap yet: wait for it to say so.
    ASSERT_TRUE(WaitFor([&] { return ReadFile(run_dir_ + "/" + name + ".log") == "ready\n"; },
                        milliseconds(3000)))
        << name;
  }
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  EXPECT_EQ(WaitSupervisorExit(milliseconds(5000)), 0);
  for (pid_t p : pids) EXPECT_TRUE(ProcessGone(p)) << p;  // gone before the supervisor exited
  EXPECT_EQ(ReadFile(order), "third\nsecond\nfirst\n");
  EXPECT_NE(ReadFile(dir_ + "/supervisor.out").find("'stubborn'"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(run_dir_ + "/supervisor.sock"));
  EXPECT_FALSE(std::filesystem::exists(run_dir_ + "/supervisor.pid"));
}

TEST_F(SupervisorItest, SigkilledSupervisorLeavesNoOrphan) {
  WriteConfig(Sleeper("a") + Sleeper("b") +
              "[child.c]\ncommand = /bin/sh\nargs = -c 'trap \"\" TERM; exec sleep 1000'\n");
  StartSupervisor();
  std::vector<pid_t> pids = {RunningPid("a"), RunningPid("b"), RunningPid("c")};
  for (pid_t p : pids) ASSERT_GT(p, 0);
  ASSERT_EQ(kill(pid_, SIGKILL), 0);
  EXPECT_EQ(WaitSupervisorExit(milliseconds(2000)), 128 + SIGKILL);
  for (pid_t p : pids) {
    EXPECT_TRUE(WaitFor([&] { return ProcessGone(p); }, milliseconds(2000))) << "orphan " << p;
  }
}

TEST_F(SupervisorItest, SighupAddsAndRemovesExactlyThoseChildren) {
  WriteConfig(Sleeper("keep1") + Sleeper("server1") + Sleeper("data1") + Sleeper("keep2"));
  StartSupervisor();
  pid_t keep1 = RunningPid("keep1"), data1 = RunningPid("data1"), keep2 = RunningPid("keep2");
  pid_t server1 = RunningPid("server1");
  ASSERT_GT(data1, 0);
  // data1 removed, server2 added, server1 changed (new args), the rest identical.
  WriteConfig(Sleeper("keep1") + "[child.server1]\ncommand = sleep\nargs = 999\n" +
              Sleeper("server2") + Sleeper("keep2"));
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto rows = Status();
        return rows.count("data1") == 0 && rows["server2"].state == "running" &&
               rows["server1"].state == "running" && rows["server1"].pid != server1;
      },
      milliseconds(3000)));
  auto rows = Status();
  EXPECT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows["keep1"].pid, keep1);
  EXPECT_EQ(rows["keep2"].pid, keep2);
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(data1); }, milliseconds(2000)));
  EXPECT_TRUE(ProcessGone(server1));
}

TEST_F(SupervisorItest, SighupWithBadConfigKeepsTheRunningSet) {
  WriteConfig(Sleeper("a"));
  StartSupervisor();
  pid_t a = RunningPid("a");
  WriteConfig(Sleeper("a") + "[child.b]\ncomand = sleep\n");
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        return ReadFile(dir_ + "/supervisor.out").find("reload rejected") != std::string::npos;
      },
      milliseconds(3000)));
  std::string out = ReadFile(dir_ + "/supervisor.out");
  EXPECT_NE(out.find("sup.conf:6: child 'b': unknown key 'comand'"), std::string::npos) << out;
  auto rows = Status();
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows["a"].pid, a);
}

TEST_F(SupervisorItest, CheckNamesEveryErrorAndSupervisorRefusesToStart) {
  WriteConfig(
      "[child.a]\n"                   // 1
      "command = /no/such/program\n"  // 2
      "max_restarts = -4\n"           // 3
      "[child.b]\n"                   // 4
      "args = x\n"                    // 5
      "colour = blue\n");             // 6
  std::string out = dir_ + "/check.out";
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "--check", "--config", config_}, out), 2);
  std::string text = ReadFile(out);
  for (const char* want : {"sup.conf:2: child 'a': command '/no/such/program' does not exist",
                           "sup.conf:3: child 'a': max_restarts = -4: must not be negative",
                           "sup.conf:4: child 'b': missing 'command'",
                           "sup.conf:6: child 'b': unknown key 'colour'"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin:\n" << text;
  }
  std::string run_out = dir_ + "/run.out";
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "--config", config_, "--run-dir", run_dir_}, run_out),
            2);
  EXPECT_NE(ReadFile(run_out).find("refuses to start"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(run_dir_ + "/supervisor.sock"));

  WriteConfig(Sleeper("fine"));
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "--check", "--config", config_}, out), 0);
}

TEST_F(SupervisorItest, CommandThatFailsToExecIsReportedNotLooped) {
  // Executable, so the config is valid; but its interpreter does not exist, so exec fails.
  std::string script = dir_ + "/broken.sh";
  std::ofstream(script) << "#!/no/such/interpreter\n";
  chmod(script.c_str(), 0755);
  WriteConfig("[child.broken]\ncommand = " + script + "\nbackoff_initial_ms = 0\n" + Sleeper("ok"));
  StartSupervisor();
  ASSERT_GT(RunningPid("ok"), 0);
  auto rows = Status();
  EXPECT_EQ(rows["broken"].state, "given_up");
  EXPECT_EQ(rows["broken"].restarts, 0);
  EXPECT_NE(rows["broken"].last_exit.find("No such file or directory"), std::string::npos)
      << rows["broken"].last_exit;
  std::string out = ReadFile(dir_ + "/supervisor.out");
  EXPECT_NE(out.find("GIVING UP on child 'broken'"), std::string::npos);
}

TEST_F(SupervisorItest, SecondSupervisorOnSameRunDirIsRefused) {
  WriteConfig(Sleeper("a"));
  StartSupervisor();
  std::string out = dir_ + "/second.out";
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "--config", config_, "--run-dir", run_dir_}, out), 1);
  EXPECT_NE(ReadFile(out).find("another dkv-supervisor (pid " + std::to_string(pid_) + ")"),
            std::string::npos)
      << ReadFile(out);
  // `status --json` and `stop` work through the run dir.
  std::string json = dir_ + "/status.json";
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "status", "--json", "--run-dir", run_dir_}, json), 0);
  EXPECT_NE(ReadFile(json).find("\"name\":\"a\""), std::string::npos) << ReadFile(json);
  RunningPid("a");  // record its pid for the orphan check
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "stop", "--run-dir", run_dir_}, out), 0);
  EXPECT_EQ(WaitSupervisorExit(milliseconds(2000)), 0);
  EXPECT_EQ(RunToExit({DKV_SUPERVISOR_BIN, "status", "--run-dir", run_dir_}, out), 1);
}

}  // namespace
}  // namespace dkv::supervisor
