#include "supervisor/child_set.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "common/logging.h"

namespace dkv::supervisor {
namespace {

double SecondsBetween(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

ChildSet::ChildSet(ProcessLauncher* launcher, std::string run_dir)
    : launcher_(launcher), run_dir_(std::move(run_dir)) {}

std::string ChildSet::LogPath(const ChildSpec& spec) const {
  if (spec.log_file == "-") return "";
  if (spec.log_file.empty()) return run_dir_ + "/" + spec.name + ".log";
  if (spec.log_file[0] == '/') return spec.log_file;
  return run_dir_ + "/" + spec.log_file;
}

ChildSet::Child* ChildSet::Find(const std::string& name) {
  for (Child& c : children_) {
    if (c.spec.name == name) return &c;
  }
  return nullptr;
}

void ChildSet::Launch(Child* child, SteadyTime now) {
  Result<pid_t> pid = launcher_->Launch(child->spec, LogPath(child->spec));
  if (!pid.ok()) {
    child->last_exit = pid.status().message();
    GiveUp(child, "cannot start " + child->spec.executable + ": " + pid.status().message());
    return;
  }
  child->state = ChildState::kRunning;
  child->pid = *pid;
  child->started = now;
  child->killed = false;
  child->after_stop = AfterStop::kStay;
  child->next_spec.reset();
  DKV_LOG(INFO) << "started child '" << child->spec.name << "' pid " << child->pid << " ("
                << child->spec.executable << ", restart #" << child->restarts << ")";
}

void ChildSet::GiveUp(Child* child, const std::string& why) {
  child->state = ChildState::kGivenUp;
  child->pid = 0;
  DKV_LOG(ERROR) << "GIVING UP on child '" << child->spec.name << "' after " << child->restarts
                 << " restart(s): " << why
                 << "; it stays down until the config is reloaded (SIGHUP)";
  if (on_give_up_) on_give_up_(child->spec.name);
}

void ChildSet::Start(std::vector<ChildSpec> specs, SteadyTime now) {
  DKV_CHECK(children_.empty()) << "ChildSet::Start called twice";
  for (ChildSpec& spec : specs) children_.emplace_back(std::move(spec));
  for (Child& c : children_) Launch(&c, now);
}

void ChildSet::Stop(Child* child, AfterStop after, SteadyTime now) {
  child->after_stop = after;
  if (child->state == ChildState::kStopping) return;  // already on its way down
  DKV_CHECK(child->state == ChildState::kRunning) << ChildStateName(child->state);
  DKV_LOG(INFO) << "stopping child '" << child->spec.name << "' pid " << child->pid
                << " (SIGTERM, SIGKILL after " << child->spec.stop_grace_ms << " ms)";
  launcher_->SignalGroup(child->pid, SIGTERM);
  child->state = ChildState::kStopping;
  child->kill_at = now + std::chrono::milliseconds(child->spec.stop_grace_ms);
  child->killed = false;
}

void ChildSet::Reload(std::vector<ChildSpec> specs, SteadyTime now) {
  if (shutting_down_) return;
  enum class Action { kNone, kLaunch, kStopAndRestart, kStopAndRemove };
  std::vector<Child> old = std::move(children_);
  children_.clear();
  std::vector<bool> taken(old.size(), false);
  std::map<std::string, Action> actions;
  for (ChildSpec& spec : specs) {
    auto it = std::find_if(old.begin(), old.end(),
                           [&](const Child& c) { return c.spec.name == spec.name; });
    if (it == old.end()) {
      DKV_LOG(INFO) << "reload: new child '" << spec.name << "'";
      actions[spec.name] = Action::kLaunch;
      children_.emplace_back(std::move(spec));
      continue;
    }
    taken[it - old.begin()] = true;
    Child c = std::move(*it);
    if (c.state == ChildState::kStopping) {
      // Being stopped (for removal or a change): bring it back with this spec once it is down.
      c.after_stop = AfterStop::kRestart;
      c.next_spec = std::move(spec);
    } else if (spec.SameAs(c.spec)) {
      if (c.state == ChildState::kGivenUp) {
        DKV_LOG(INFO) << "reload: fresh start for given-up child '" << spec.name << "'";
        c.policy.Reset();
        c.restarts = 0;
        actions[c.spec.name] = Action::kLaunch;
      }
    } else {
      DKV_LOG(INFO) << "reload: child '" << spec.name << "' changed";
      if (c.state == ChildState::kRunning) {
        c.next_spec = std::move(spec);
        actions[c.spec.name] = Action::kStopAndRestart;
      } else {
        c.spec = std::move(spec);
        c.policy = RestartPolicy(c.spec.limits());
        c.restarts = 0;
        actions[c.spec.name] = Action::kLaunch;
      }
    }
    children_.push_back(std::move(c));
  }
  for (size_t i = 0; i < old.size(); ++i) {
    if (taken[i]) continue;
    Child& c = old[i];
    DKV_LOG(INFO) << "reload: child '" << c.spec.name << "' removed";
    if (c.state == ChildState::kRunning || c.state == ChildState::kStopping) {
      if (c.state == ChildState::kRunning) actions[c.spec.name] = Action::kStopAndRemove;
      c.after_stop = AfterStop::kRemove;
      c.next_spec.reset();
      children_.push_back(std::move(c));
    }
  }
  // Stops first, so a removed child frees what a new one may need as early as possible.
  for (Child& c : children_) {
    auto it = actions.find(c.spec.name);
    if (it == actions.end()) continue;
    if (it->second == Action::kStopAndRestart) Stop(&c, AfterStop::kRestart, now);
    if (it->second == Action::kStopAndRemove) Stop(&c, AfterStop::kRemove, now);
  }
  for (Child& c : children_) {
    auto it = actions.find(c.spec.name);
    if (it != actions.end() && it->second == Action::kLaunch) Launch(&c, now);
  }
}

void ChildSet::OnExit(pid_t pid, int wait_status, SteadyTime now) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const Child& c) { return c.pid == pid && pid > 0; });
  if (it == children_.end()) return;
  Child& c = *it;
  c.last_exit = DescribeWaitStatus(wait_status);
  double uptime = SecondsBetween(c.started, now);
  c.pid = 0;
  if (c.state == ChildState::kStopping) {
    DKV_LOG(INFO) << "child '" << c.spec.name << "' pid " << pid << " stopped: " << c.last_exit;
    AfterExit(it - children_.begin(), now);
    if (shutting_down_) StopNextForShutdown(now);
    return;
  }
  char uptime_text[32];
  std::snprintf(uptime_text, sizeof(uptime_text), "%.3f", uptime);
  DKV_LOG(WARNING) << "child '" << c.spec.name << "' pid " << pid << " " << c.last_exit << " after "
                   << uptime_text << " s (restarts so far: " << c.restarts << ")";
  if (shutting_down_) {
    c.state = ChildState::kStopped;
    StopNextForShutdown(now);
    return;
  }
  bool wanted = c.spec.restart == RestartType::kPermanent ||
                (c.spec.restart == RestartType::kTransient && !IsNormalExit(wait_status));
  if (!wanted) {
    c.state = ChildState::kStopped;
    DKV_LOG(INFO) << "child '" << c.spec.name
                  << "' not restarted (restart = " << RestartTypeName(c.spec.restart) << ")";
    return;
  }
  RestartPolicy::Decision d = c.policy.OnFailure(c.started, now);
  if (d.give_up) {
    GiveUp(&c, "more than " + std::to_string(c.spec.max_restarts) + " restart(s) within " +
                   std::to_string(c.spec.max_seconds) + " s; last exit: " + c.last_exit);
    return;
  }
  c.state = ChildState::kBackingOff;
  c.restart_at = now + d.delay;
  DKV_LOG(INFO) << "restarting child '" << c.spec.name << "' in " << d.delay.count() << " ms";
}

void ChildSet::AfterExit(size_t index, SteadyTime now) {
  Child& c = children_[index];
  switch (c.after_stop) {
    case AfterStop::kStay:
      c.state = ChildState::kStopped;
      break;
    case AfterStop::kRemove:
      DKV_LOG(INFO) << "child '" << c.spec.name << "' removed";
      children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
      break;
    case AfterStop::kRestart:
      c.spec = std::move(*c.next_spec);
      c.policy = RestartPolicy(c.spec.limits());
      c.restarts = 0;
      Launch(&c, now);
      break;
  }
}

void ChildSet::Tick(SteadyTime now) {
  for (Child& c : children_) {
    if (c.state == ChildState::kBackingOff && now >= c.restart_at && !shutting_down_) {
      ++c.restarts;
      Launch(&c, now);
    } else if (c.state == ChildState::kStopping && !c.killed && now >= c.kill_at) {
      DKV_LOG(WARNING) << "child '" << c.spec.name << "' pid " << c.pid << " did not stop within "
                       << c.spec.stop_grace_ms << " ms; sending SIGKILL";
      launcher_->SignalGroup(c.pid, SIGKILL);
      c.killed = true;
    }
  }
  if (shutting_down_) StopNextForShutdown(now);
}

std::optional<SteadyTime> ChildSet::NextDeadline() const {
  std::optional<SteadyTime> next;
  auto consider = [&](SteadyTime t) {
    if (!next || t < *next) next = t;
  };
  for (const Child& c : children_) {
    if (c.state == ChildState::kBackingOff) consider(c.restart_at);
    if (c.state == ChildState::kStopping && !c.killed) consider(c.kill_at);
  }
  return next;
}

void ChildSet::BeginShutdown(SteadyTime now) {
  if (shutting_down_) return;
  shutting_down_ = true;
  DKV_LOG(INFO) << "shutting down: stopping children in reverse order";
  for (Child& c : children_) {
    if (c.state == ChildState::kBackingOff) c.state = ChildState::kStopped;
    if (c.state == ChildState::kStopping && c.after_stop == AfterStop::kRestart) {
      c.after_stop = AfterStop::kStay;
    }
  }
  StopNextForShutdown(now);
}

void ChildSet::StopNextForShutdown(SteadyTime now) {
  // One at a time: wait for the child being stopped before signalling the one before it.
  for (const Child& c : children_) {
    if (c.state == ChildState::kStopping) return;
  }
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (it->state == ChildState::kRunning) {
      Stop(&*it, AfterStop::kStay, now);
      return;
    }
  }
}

bool ChildSet::ShutdownComplete() const {
  if (!shutting_down_) return false;
  for (const Child& c : children_) {
    if (c.pid > 0) return false;
  }
  return true;
}

std::vector<ChildStatus> ChildSet::Snapshot(SteadyTime now) const {
  std::vector<ChildStatus> out;
  for (const Child& c : children_) {
    ChildStatus s;
    s.name = c.spec.name;
    s.pid = c.pid;
    s.state = c.state;
    s.restarts = c.restarts;
    if (c.pid > 0) s.uptime_s = SecondsBetween(c.started, now);
    if (c.state == ChildState::kBackingOff) {
      s.restart_in_s = std::max(0.0, SecondsBetween(now, c.restart_at));
    }
    s.last_exit = c.last_exit;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace dkv::supervisor
