#include "supervisor/child_status.h"

#include <cstdio>
#include <sstream>

namespace dkv::supervisor {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

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
    out << "{\"name\":" << JsonString(c.name) << ",\"pid\":" << c.pid
        << ",\"state\":" << JsonString(ChildStateName(c.state)) << ",\"restarts\":" << c.restarts
        << ",\"uptime_s\":" << Seconds(c.uptime_s)
        << ",\"restart_in_s\":" << Seconds(c.restart_in_s)
        << ",\"last_exit\":" << JsonString(c.last_exit) << '}';
  }
  out << "]}\n";
  return out.str();
}

}  // namespace dkv::supervisor
