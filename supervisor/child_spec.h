// ChildSpec: one supervised program as the config file describes it, and the config parser.
//
// The config is in the Boost.Program_options config-file syntax the roles use (`key = value` lines,
// `[section]` headers, `#` comments), one `[child.NAME]` section per child in start order. The
// parser is our own so that every error carries its line and all of them are reported at once
// (--check); docs/supervisor.md lists every key. Loading also resolves each command to an
// executable file, so a missing program is a config error, not a restart loop.
//
// Plain functions and value types; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dkv/result.h"
#include "supervisor/restart_policy.h"

namespace dkv::supervisor {

// What an exit leads to: permanent restarts always, transient only after an abnormal exit (non-zero
// code or a signal), temporary never.
enum class RestartType { kPermanent, kTransient, kTemporary };
const char* RestartTypeName(RestartType type);

struct ChildSpec {
  std::string name;        // [A-Za-z0-9_-]+, unique; also names its log file
  std::string command;     // as written: a path, or a name looked up on PATH
  std::string executable;  // absolute path the command resolved to when the config was loaded
  std::vector<std::string> args;
  RestartType restart = RestartType::kPermanent;
  int max_restarts = 5;
  int max_seconds = 30;
  int backoff_initial_ms = 100;
  int backoff_max_ms = 5000;
  int stop_grace_ms = 5000;
  std::vector<std::string> env;  // NAME=VALUE, over the supervisor's own environment
  std::string working_dir;       // absolute; empty: the supervisor's working directory
  std::string log_file;          // empty: <run-dir>/<name>.log; "-": the supervisor's stdout/stderr
  int line = 0;                  // line of the [child.NAME] header; not part of the identity

  // True if both describe the same program run the same way (everything but `line`): a reload keeps
  // such a child running.
  bool SameAs(const ChildSpec& other) const;
  RestartLimits limits() const;
};

struct SupervisorConfig {
  std::vector<ChildSpec> children;  // in config order: start order
};

// Parses config text. Every problem is appended to *errors as "FILE:LINE: child 'NAME': what", and
// parsing goes on to find the rest; the returned config is meaningful only if no error was added.
// Commands and working directories are checked against the file system (relative ones against the
// current directory).
SupervisorConfig ParseSupervisorConfig(std::string_view text, std::string_view file_name,
                                       std::vector<std::string>* errors);

// Reads and parses `path`. IoError if it cannot be read; InvalidArgument whose message lists every
// error, one per line, if it is not valid.
Result<SupervisorConfig> LoadSupervisorConfig(const std::string& path);

// Splits `text` into words as a POSIX shell would, without expanding anything: blanks separate
// words,
// '...' quotes literally, "..." quotes with \" \\ \$ \` escapes, a backslash outside quotes escapes
// the next character. InvalidArgument on an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> SplitShellWords(std::string_view text);

// Resolves a command to an executable regular file: a command containing '/' is taken as a path
// (relative to `base_dir`), anything else is searched in the ':'-separated `path_env`. Returns an
// absolute path, or InvalidArgument saying "not found on PATH", "is not executable" or "is a
// directory".
Result<std::string> ResolveExecutable(const std::string& command, const std::string& path_env,
                                      const std::string& base_dir);

}  // namespace dkv::supervisor
