#include "supervisor/child_status.h"

#include <cstdio>
#include <sstream>

#include "common/json.h"

namespace dkv::supervisor {
namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", s);
  return buf;
}

}  // namespace

const char* ChildStateName(ChildState state) {
  switch (state) {
    case ChildState::kRunning:
      return "running";
    case ChildState::kBackingOff:
      return "backing_off";
    case ChildState::kStopping:
      return "stopping";
    case ChildState::kStopped:
      return "stopped";
    case ChildState::kGivenUp:
      return "given_up";
  }
  return "?";
}

std::string FormatStatusText(const std::vector<ChildStatus>& children) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-16s %-8s %-12s %-8s %-10s %s\n", "NAME", "PID", "STATE",
                "RESTARTS", "UPTIME_S", "LAST_EXIT");
  out += line;
  for (const ChildStatus& c : children) {
    std::string pid = c.pid > 0 ? std::to_string(c.pid) : "-";
    std::string uptime = c.state == ChildState::kRunning || c.state == ChildState::kStopping
                             ? Seconds(c.uptime_s)
                             : "-";
    std::string last = c.last_exit.empty() ? "-" : c.last_exit;
    if (c.state == ChildState::kBackingOff)
      last += " (restart in " + Seconds(c.restart_in_s) + "s)";
    std::snprintf(line, sizeof(line), "%-16s %-8s %-12s %-8d %-10s ", c.name.c_str(), pid.c_str(),
                  ChildStateName(c.state), c.restarts, uptime.c_str());
    out += line;
    out += last + "\n";
  }
  return out;
}

std::string FormatStatusJson(pid_t supervisor_pid, const std::vector<ChildStatus>& children) {
  std::ostringstream out;
  out << "{\"supervisor_pid\":" << supervisor_pid << ",\"children\":[";
  for (size_t i = 0; i < children.size(); ++i) {
    const ChildStatus& c = children[i];
    if (i > 0) out << ',';
    out << "{\"name\":" << JsonQuote(c.name) << ",\"pid\":" << c.pid
        << ",\"state\":" << JsonQuote(ChildStateName(c.state)) << ",\"restarts\":" << c.restarts
        << ",\"uptime_s\":" << Seconds(c.uptime_s)
        << ",\"restart_in_s\":" << Seconds(c.restart_in_s)
        << ",\"last_exit\":" << JsonQuote(c.last_exit) << '}';
  }
  out << "]}\n";
  return out.str();
}

}  // namespace dkv::supervisor
