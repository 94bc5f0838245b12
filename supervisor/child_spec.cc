#include "supervisor/child_spec.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace dkv::supervisor {
namespace {

constexpr std::string_view kChildPrefix = "child.";
constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

std::string_view Trim(std::string_view s) {
  const char* blanks = " \t\r\f\v";
  size_t b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(blanks);
  return s.substr(b, e - b + 1);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ValidEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string CurrentDir() {
  char buf[4096];
  if (getcwd(buf, sizeof(buf)) == nullptr) return "/";
  return buf;
}

std::string Absolute(const std::string& path, const std::string& base) {
  if (!path.empty() && path[0] == '/') return path;
  return (base.empty() ? CurrentDir() : base) + "/" + path;
}

// One [child.NAME] section while it is being parsed.
struct PendingChild {
  ChildSpec spec;
  std::map<std::string, int> seen;  // scalar key -> line it was given on
  bool has_command = false;
};

class Parser {
 public:
  Parser(std::string_view file_name, std::vector<std::string>* errors)
      : file_name_(file_name), errors_(errors) {}

  SupervisorConfig Parse(std::string_view text) {
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      ++line_no;
      ParseLine(text.substr(pos, end - pos), line_no);
      pos = end + 1;
    }
    SupervisorConfig config;
    for (PendingChild& child : children_) {
      Finish(&child);
      config.children.push_back(std::move(child.spec));
    }
    // Report in line order, whichever pass found them.
    std::stable_sort(found_.begin(), found_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [line, text] : found_) errors_->push_back(std::move(text));
    return config;
  }

 private:
  void Error(int line, const std::string& child, const std::string& what) {
    std::ostringstream out;
    out << file_name_ << ':' << line << ": ";
    if (!child.empty()) out << "child '" << child << "': ";
    out << what;
    found_.emplace_back(line, out.str());
  }

  void ParseLine(std::string_view raw, int line) {
    // As Boost.Program_options: '#' starts a comment anywhere on the line.
    size_t hash = raw.find('#');
    std::string_view s = Trim(hash == std::string_view::npos ? raw : raw.substr(0, hash));
    if (s.empty()) return;
    if (s.front() == '[') {
      ParseSection(s, line);
      return;
    }
    size_t eq = s.find('=');
    if (eq == std::string_view::npos) {
      Error(line, CurrentName(), "expected 'key = value', got '" + std::string(s) + "'");
      return;
    }
    std::string key(Trim(s.substr(0, eq)));
    std::string value(Trim(s.substr(eq + 1)));
    if (in_bad_section_) return;  // already reported at its header
    if (current_ == nullptr) {
      Error(line, "", "key '" + key + "' outside a [child.NAME] section");
      return;
    }
    ParseKey(current_, key, value, line);
  }

  void ParseSection(std::string_view s, int line) {
    current_ = nullptr;
    in_bad_section_ = true;
    if (s.back() != ']') {
      Error(line, "", "malformed section header '" + std::string(s) + "'");
      return;
    }
    std::string_view section = Trim(s.substr(1, s.size() - 2));
    if (section.substr(0, kChildPrefix.size()) != kChildPrefix) {
      Error(line, "", "unknown section [" + std::string(section) + "]; expected [child.NAME]");
      return;
    }
    std::string name(section.substr(kChildPrefix.size()));
    if (!ValidName(name)) {
      Error(line, "", "invalid child name '" + name + "': use 1-64 letters, digits, '_' or '-'");
      return;
    }
    for (const PendingChild& other : children_) {
      if (other.spec.name == name) {
        Error(line, name, "defined twice (first at line " + std::to_string(other.spec.line) + ")");
        return;
      }
    }
    children_.emplace_back();
    current_ = &children_.back();
    current_->spec.name = name;
    current_->spec.line = line;
    in_bad_section_ = false;
  }

  std::string CurrentName() const { return current_ ? current_->spec.name : std::string(); }

  // Parses an integer in [lo, hi] into *out, reporting a bad one.
  void ParseInt(PendingChild* c, const std::string& key, const std::string& value, int line,
                long lo, long hi, int* out) {
    long v = 0;
    const char* first = value.data();
    const char* last = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(first, last, v);
    if (value.empty() || ec == std::errc::invalid_argument || ptr != last) {
      Error(line, c->spec.name, key + " = '" + value + "' is not an integer");
      return;
    }
    if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
      std::string why =
          (ec != std::errc::result_out_of_range && v < 0)
              ? " must not be negative"
              : " must be between " + std::to_string(lo) + " and " + std::to_string(hi);
      Error(line, c->spec.name, key + " = " + value + ":" + why);
      return;
    }
    *out = static_cast<int>(v);
  }

  void ParseKey(PendingChild* c, const std::string& key, const std::string& value, int line) {
    ChildSpec& spec = c->spec;
    bool repeatable = key == "args" || key == "arg" || key == "env";
    if (!repeatable) {
      auto [it, inserted] = c->seen.emplace(key, line);
      if (!inserted) {
        Error(line, spec.name,
              "key '" + key + "' given twice (first at line " + std::to_string(it->second) + ")");
        return;
      }
    }
    if (key == "command") {
      if (value.empty()) {
        Error(line, spec.name, "command is empty");
        return;
      }
      spec.command = value;
      c->has_command = true;
    } else if (key == "args") {
      auto words = SplitShellWords(value);
      if (!words.ok()) {
        Error(line, spec.name, "args: " + words.status().message());
        return;
      }
      spec.args.insert(spec.args.end(), words->begin(), words->end());
    } else if (key == "arg") {
      spec.args.push_back(value);
    } else if (key == "restart") {
      if (value == "permanent") {
        spec.restart = RestartType::kPermanent;
      } else if (value == "transient") {
        spec.restart = RestartType::kTransient;
      } else if (value == "temporary") {
        spec.restart = RestartType::kTemporary;
      } else {
        Error(line, spec.name,
              "restart = '" + value + "': expected permanent, transient or temporary");
      }
    } else if (key == "max_restarts") {
      ParseInt(c, key, value, line, 0, 10000, &spec.max_restarts);
    } else if (key == "max_seconds") {
      ParseInt(c, key, value, line, 1, 86400, &spec.max_seconds);
    } else if (key == "backoff_initial_ms") {
      ParseInt(c, key, value, line, 0, 3600000, &spec.backoff_initial_ms);
    } else if (key == "backoff_max_ms") {
      ParseInt(c, key, value, line, 0, 3600000, &spec.backoff_max_ms);
    } else if (key == "stop_grace_ms") {
      ParseInt(c, key, value, line, 0, 600000, &spec.stop_grace_ms);
    } else if (key == "env") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || !ValidEnvName(std::string_view(value).substr(0, eq))) {
        Error(line, spec.name, "env = '" + value + "': expected NAME=VALUE");
        return;
      }
      spec.env.push_back(value);
    } else if (key == "working_dir") {
      if (value.empty()) {
        Error(line, spec.name, "working_dir is empty");
        return;
      }
      spec.working_dir = Absolute(value, "");
      struct stat st;
      if (stat(spec.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        Error(line, spec.name, "working_dir '" + value + "' is not a directory");
      }
    } else if (key == "log_file") {
      if (value.empty()) {
        Error(line, spec.name, "log_file is empty (use '-' for the supervisor's output)");
        return;
      }
      spec.log_file = value;
    } else {
      Error(line, spec.name, "unknown key '" + key + "'");
    }
  }

  // Checks what needs the whole section: the command exists, the backoff bounds agree.
  void Finish(PendingChild* c) {
    ChildSpec& spec = c->spec;
    if (!c->has_command) {
      if (c->seen.count("command") == 0) Error(spec.line, spec.name, "missing 'command'");
    } else {
      std::string path_env = std::getenv("PATH") ? std::getenv("PATH") : kDefaultPath;
      for (const std::string& e : spec.env) {
        if (e.compare(0, 5, "PATH=") == 0) path_env = e.substr(5);
      }
      auto exe = ResolveExecutable(spec.command, path_env, spec.working_dir);
      if (exe.ok()) {
        spec.executable = *exe;
      } else {
        Error(c->seen["command"], spec.name, exe.status().message());
      }
    }
    if (spec.backoff_max_ms < spec.backoff_initial_ms) {
      auto it = c->seen.find("backoff_max_ms");
      Error(it != c->seen.end() ? it->second : spec.line, spec.name,
            "backoff_max_ms (" + std::to_string(spec.backoff_max_ms) +
                ") is below backoff_initial_ms (" + std::to_string(spec.backoff_initial_ms) + ")");
    }
  }

  std::string file_name_;
  std::vector<std::string>* errors_;
  std::vector<std::pair<int, std::string>> found_;  // (line, message) in the order found
  std::vector<PendingChild> children_;
  PendingChild* current_ = nullptr;  // points into children_; reset before children_ grows
  bool in_bad_section_ = false;
};

}  // namespace

const char* RestartTypeName(RestartType type) {
  switch (type) {
    case RestartType::kPermanent:
      return "permanent";
    case RestartType::kTransient:
      return "transient";
    case RestartType::kTemporary:
      return "temporary";
  }
  return "?";
}

bool ChildSpec::SameAs(const ChildSpec& o) const {
  return name == o.name && command == o.command && executable == o.executable && args == o.args &&
         restart == o.restart && max_restarts == o.max_restarts && max_seconds == o.max_seconds &&
         backoff_initial_ms == o.backoff_initial_ms && backoff_max_ms == o.backoff_max_ms &&
         stop_grace_ms == o.stop_grace_ms && env == o.env && working_dir == o.working_dir &&
         log_file == o.log_file;
}

RestartLimits ChildSpec::limits() const {
  RestartLimits l;
  l.max_restarts = max_restarts;
  l.window = std::chrono::milliseconds(int64_t{max_seconds} * 1000);
  l.backoff_initial = std::chrono::milliseconds(backoff_initial_ms);
  l.backoff_max = std::chrono::milliseconds(backoff_max_ms);
  return l;
}

SupervisorConfig ParseSupervisorConfig(std::string_view text, std::string_view file_name,
                                       std::vector<std::string>* errors) {
  return Parser(file_name, errors).Parse(text);
}

Result<SupervisorConfig> LoadSupervisorConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read config " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> errors;
  SupervisorConfig config = ParseSupervisorConfig(text.str(), path, &errors);
  if (!errors.empty()) {
    std::string message = std::to_string(errors.size()) + " error(s) in " + path + ":";
    for (const std::string& e : errors) message += "\n" + e;
    return Status::InvalidArgument(message);
  }
  return config;
}

Result<std::vector<std::string>> SplitShellWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return Status::InvalidArgument("unterminated ' quote");
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < text.size() &&
            (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' ||
             text[i + 1] == '`')) {
          word.push_back(text[i + 1]);
          i += 2;
        } else {
          word.push_back(d);
          ++i;
        }
      }
      if (!closed) return Status::InvalidArgument("unterminated \" quote");
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return Status::InvalidArgument("trailing backslash");
      word.push_back(text[i + 1]);
      in_word = true;
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<std::string> ResolveExecutable(const std::string& command, const std::string& path_env,
                                      const std::string& base_dir) {
  auto check = [](const std::string& path) -> Status {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      return Status::InvalidArgument("command '" + path + "' does not exist");
    }
    if (S_ISDIR(st.st_mode))
      return Status::InvalidArgument("command '" + path + "' is a directory");
    if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) {
      return Status::InvalidArgument("command '" + path + "' is not executable");
    }
    return Status::OK();
  };
  if (command.find('/') != std::string::npos) {
    std::string path = Absolute(command, base_dir);
    DKV_RETURN_NOT_OK(check(path));
    return path;
  }
  size_t pos = 0;
  while (pos <= path_env.size()) {
    size_t end = path_env.find(':', pos);
    if (end == std::string::npos) end = path_env.size();
    std::string dir = path_env.substr(pos, end - pos);
    std::string candidate = Absolute((dir.empty() ? "." : dir) + "/" + command, "");
    if (check(candidate).ok()) return candidate;
    pos = end + 1;
  }
  return Status::InvalidArgument("command '" + command + "' not found on PATH");
}

}  // namespace dkv::supervisor
