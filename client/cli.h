// The `dkv` command: what each command does and what it prints, over the client library.
// dkv_main.cc parses the command line into CliOptions; RunCli does the rest and returns the exit
// status. The interactive shell (client/shell.h) runs the same commands, one per line, through
// RunCommand on one connected client. Exit codes are a promise (docs/client.md):
//   0  success (get/ttl: the key exists; remove/expire: it existed; persist: an expiry was removed;
//      set --nx/--xx: stored; mget: every key exists)
//   1  the same commands' "no": the key does not exist, the condition refused the set, ...
//   2  usage error, or any error (printed on stderr as "dkv: <CODE_NAME>: message")
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dkv/client.h"
#include "dkv/result.h"

namespace dkv::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitAbsent = 1;
inline constexpr int kExitError = 2;

// The usage summary: commands, VALUE '-', exit codes. Printed by --help (before the options) and
// after a usage error.
extern const char kCliUsage[];

// One command of the CLI and the shell, for checking and for the shell's help.
struct CliCommand {
  const char* name;
  size_t min_args;
  size_t max_args;      // SIZE_MAX: any number
  const char* flags;    // the command's own options, space-separated names ("ttl-ms nx xx")
  const char* syntax;   // "set KEY VALUE [--ttl-ms MS] [--nx|--xx]"
  const char* summary;  // one line
};
// Every command, in the order the usage lists them.
const std::vector<CliCommand>& CliCommands();
// The command named `name`, or nullptr.
const CliCommand* FindCliCommand(const std::string& name);

struct CliOptions {
  ClientOptions client;
  std::string command;            // one of CliCommands(), or empty for the shell
  std::vector<std::string> args;  // the command's arguments
  // The commands' own options. Each is accepted only by the commands that list it.
  bool json = false;     // status, node drain, rebalance, replicas --json
  bool no_wait = false;  // node drain --no-wait
  // How often `node drain` (without --no-wait) polls the status while it waits.
  std::chrono::milliseconds drain_poll{200};
  std::optional<int64_t> ttl_ms;     // set --ttl-ms
  bool nx = false;                   // set --nx
  bool xx = false;                   // set --xx
  std::optional<std::string> match;  // scan --match
  std::optional<int32_t> count;      // scan --count
};

// Opens the client; Client::Connect, or a fake in tests.
using ConnectFn = std::function<Result<std::unique_ptr<Client>>(const ClientOptions&)>;

// Checks the command, its arguments and options without connecting: INVALID_ARGUMENT with the
// problem (unknown command, missing or extra argument, an option the command does not take, a bad
// number).
Status CheckCommand(const CliOptions& options);

// Prints a usage error (CheckCommand's) and the usage to `err`; returns kExitError.
int UsageError(const Status& usage, std::ostream& err);

// Runs one checked command on `client`: reads VALUE '-' from *in (every byte; a usage error when
// in is null, as in the shell), writes results to `out` and errors to `err`. Returns the exit code.
int RunCommand(Client& client, const CliOptions& options, std::istream* in, std::ostream& out,
               std::ostream& err);

// Checks the command, connects and runs it: the whole `dkv COMMAND ...`. Usage errors are reported
// (with the usage) before connecting. Not for the shell command (see client/shell.h).
int RunCli(const CliOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
           const ConnectFn& connect = Client::Connect);

}  // namespace dkv::client
