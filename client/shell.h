// The dkv shell (`dkv` with no command, or `dkv shell`): reads commands line by line and runs each
// as `dkv COMMAND ...` would (client/cli.h), on one client connected at the first command that
// needs the cluster. Lines are split with Redis's quoting rules (common/split_args.h: "a b",
// 'c', "\x00"), so any key or value can be typed. Besides the CLI's commands it knows
//   help             every command with its syntax and a one-line description
//   help COMMAND     that command's syntax and description
//   quit, exit       leave (as does the end of input)
// A command's output goes to `out` as the CLI prints it; its errors to `err` ("dkv: CODE: ...");
// a command that exits 1 (absent key, refused set, ...) prints "(exit 1)". A bad line never ends
// the shell.
//
// Runs on the calling thread; not thread-safe.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/line_reader.h"

namespace dkv::client {

// Turns a line's words (words[0] is the command) into the command and its options, as the
// command line would; INVALID_ARGUMENT for an unknown option or a bad value. dkv_main.cc gives the
// one it also parses argv with.
using ParseWordsFn = std::function<Result<CliOptions>(const std::vector<std::string>& words)>;

// Runs the shell until quit/exit or the end of `reader`'s input. Returns kExitOk.
int RunShell(const ClientOptions& client_options, LineReader& reader, const ParseWordsFn& parse,
             std::ostream& out, std::ostream& err, const ConnectFn& connect = Client::Connect);

}  // namespace dkv::client
