#include "client/shell.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <ostream>

#include "common/split_args.h"

namespace dkv::client {
namespace {

void PrintHelp(std::ostream& out, const CliCommand& command) {
  out << "  " << command.syntax << "\n      " << command.summary << "\n";
}

void Help(std::ostream& out, std::ostream& err, const std::vector<std::string>& words) {
  if (words.size() == 1) {
    out << "Commands (one per line; quote arguments as in redis-cli: \"a b\", 'c', \"\\x00\"):\n";
    for (const CliCommand& command : CliCommands()) {
      if (std::string(command.name) != "shell") PrintHelp(out, command);
    }
    out << "  help [COMMAND]\n      this list, or one command's syntax and description\n"
        << "  quit, exit\n      leave the shell (so does Ctrl-D)\n";
    return;
  }
  for (size_t i = 1; i < words.size(); ++i) {
    const CliCommand* command = FindCliCommand(words[i]);
    if (command == nullptr) {
      err << "dkv: no command '" << words[i] << "' (try help)\n";
    } else {
      PrintHelp(out, *command);
    }
  }
}

}  // namespace

int RunShell(const ClientOptions& client_options, LineReader& reader, const ParseWordsFn& parse,
             std::ostream& out, std::ostream& err, const ConnectFn& connect) {
  std::unique_ptr<Client> client;
  while (std::optional<std::string> line = reader.ReadLine()) {
    std::optional<std::vector<std::string>> words = SplitArgs(*line);
    if (!words) {
      err << "dkv: unbalanced quotes in '" << *line << "'\n";
      continue;
    }
    if (words->empty()) continue;
    std::string& name = words->front();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "quit" || name == "exit") break;
    if (name == "help") {
      Help(out, err, *words);
      out.flush();
      continue;
    }
    if (name == "shell") {
      err << "dkv: already in the shell\n";
      continue;
    }
    Result<CliOptions> options = parse(*words);
    Status usage = options.ok() ? CheckCommand(*options) : options.status();
    if (!usage.ok()) {
      err << "dkv: " << usage.message() << " (try help " << name << ")\n";
      continue;
    }
    if (client == nullptr) {
      Result<std::unique_ptr<Client>> connected = connect(client_options);
      if (!connected.ok()) {
        err << "dkv: " << connected.status().ToString() << "\n";
        continue;  // the next command tries again
      }
      client = std::move(connected).value();
    }
    if (RunCommand(*client, *options, nullptr, out, err) == kExitAbsent) out << "(exit 1)\n";
    out.flush();
  }
  return kExitOk;
}

}  // namespace dkv::client
