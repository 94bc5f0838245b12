#include "client/cli.h"

#include <iostream>
#include <iterator>

#include "client/status_format.h"

namespace dkv::client {

const char kCliUsage[] =
    "Usage: dkv [options] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  set KEY VALUE         store VALUE under KEY\n"
    "  get KEY               print the value of KEY and a newline\n"
    "  remove KEY            remove KEY\n"
    "  unsafe-set KEY VALUE  store without waiting for an acknowledgement (may be lost)\n"
    "  status [--json]       the master, standbys, data nodes (slots, keys) and clients\n"
    "VALUE '-' reads the value from stdin (all of it, byte for byte). Put '--' before a KEY or\n"
    "VALUE that starts with '-'.\n"
    "\n"
    "Exit status:\n"
    "  0  success (get: the key exists; remove: it existed)\n"
    "  1  get: no such key (nothing printed); remove: no such key\n"
    "  2  usage error or failure (stderr: \"dkv: <CODE_NAME>: message\")";

namespace {

struct CommandSpec {
  const char* name;
  size_t args;
  const char* synopsis;
};

constexpr CommandSpec kCommands[] = {
    {"set", 2, "set KEY VALUE"},      {"get", 1, "get KEY"},
    {"remove", 1, "remove KEY"},      {"unsafe-set", 2, "unsafe-set KEY VALUE"},
    {"status", 0, "status [--json]"},
};

// The value argument, or all of stdin for '-'.
std::string ValueArg(const std::string& arg, std::istream& in) {
  if (arg != "-") return arg;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int Fail(std::ostream& err, const Status& s) {
  err << "dkv: " << s.ToString() << "\n";
  return kExitError;
}

}  // namespace

Status CheckCommand(const CliOptions& options) {
  if (options.command.empty()) return Status::InvalidArgument("no command given");
  for (const CommandSpec& spec : kCommands) {
    if (options.command != spec.name) continue;
    if (options.args.size() != spec.args) {
      return Status::InvalidArgument(
          std::string(options.args.size() < spec.args ? "missing" : "extra") +
          " argument: usage: dkv " + spec.synopsis);
    }
    if (options.json && options.command != "status") {
      return Status::InvalidArgument("--json applies to status only");
    }
    return Status::OK();
  }
  return Status::InvalidArgument("unknown command '" + options.command + "'");
}

int RunCli(const CliOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
           const ConnectFn& connect) {
  Status usage = CheckCommand(options);
  if (!usage.ok()) {
    err << "dkv: " << usage.message() << "\n\n"
        << kCliUsage << "\n\nRun 'dkv --help' for the options.\n";
    return kExitError;
  }
  // Read stdin before connecting, so a slow producer does not eat into a call's deadline.
  std::string value;
  if (options.command == "set" || options.command == "unsafe-set") {
    value = ValueArg(options.args[1], in);
    if (in.bad()) return Fail(err, Status::IoError("reading the value from stdin failed"));
  }

  Result<std::unique_ptr<Client>> connected = connect(options.client);
  if (!connected.ok()) return Fail(err, connected.status());
  Client& client = **connected;
  const std::string& cmd = options.command;

  if (cmd == "set") {
    Status s = client.Set(options.args[0], value);
    return s.ok() ? kExitOk : Fail(err, s);
  }
  if (cmd == "unsafe-set") {
    client.UnsafeSet(options.args[0], value);
    return kExitOk;
  }
  if (cmd == "get") {
    Result<std::optional<std::string>> got = client.Get(options.args[0]);
    if (!got.ok()) return Fail(err, got.status());
    if (!got->has_value()) return kExitAbsent;
    out.write((*got)->data(), static_cast<std::streamsize>((*got)->size()));
    out << "\n";
    out.flush();
    return out ? kExitOk : Fail(err, Status::IoError("writing the value to stdout failed"));
  }
  if (cmd == "remove") {
    Result<bool> existed = client.Remove(options.args[0]);
    if (!existed.ok()) return Fail(err, existed.status());
    return *existed ? kExitOk : kExitAbsent;
  }
  // status (CheckCommand allowed nothing else)
  Result<ClusterStatus> status = client.GetStatus();
  if (!status.ok()) return Fail(err, status.status());
  out << (options.json ? FormatStatusJson(*status) + "\n" : FormatStatusTable(*status));
  out.flush();
  return out ? kExitOk : Fail(err, Status::IoError("writing to stdout failed"));
}

}  // namespace dkv::client
