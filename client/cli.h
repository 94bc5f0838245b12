// The `dkv` command: what each command does and what it prints, over the client library.
// dkv_main.cc parses the command line into CliOptions; RunCli does the rest and returns the exit
// status. Exit codes are a promise (docs/client.md):
//   0  success (get: the key exists; remove: it existed)
//   1  get: the key does not exist; remove: it did not exist
//   2  usage error, or any error (printed on stderr as "dkv: <CODE_NAME>: message")
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
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

struct CliOptions {
  ClientOptions client;
  bool json = false;              // status --json
  std::string command;            // set, get, remove, unsafe-set, status
  std::vector<std::string> args;  // the command's arguments
};

// Opens the client; Client::Connect, or a fake in tests.
using ConnectFn = std::function<Result<std::unique_ptr<Client>>(const ClientOptions&)>;

// Checks the command and its arguments without connecting: INVALID_ARGUMENT with the problem
// (unknown command, missing or extra argument, --json on a command other than status).
Status CheckCommand(const CliOptions& options);

// Runs the command: reads VALUE '-' from `in` (every byte), writes results to `out` and errors to
// `err`. Returns the exit code. Usage errors are reported before connecting.
int RunCli(const CliOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
           const ConnectFn& connect = Client::Connect);

}  // namespace dkv::client
