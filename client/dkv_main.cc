// dkv: the command-line client. This file only parses options into CliOptions (the command line,
// and each line of the shell with the same option table); client/cli.cc runs a command,
// client/shell.cc the shell.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "client/line_reader.h"
#include "client/shell.h"
#include "common/command_line.h"
#include "common/logging.h"

namespace po = boost::program_options;

namespace {

// The commands' own options (CheckCommand says which command takes which), into *o.
void AddCommandOptions(po::options_description* desc, dkv::client::CliOptions* o) {
  desc->add_options()("json", po::bool_switch(&o->json),
                      "status, node drain, rebalance, replicas: print one JSON object")(
      "no-wait", po::bool_switch(&o->no_wait),
      "node drain: return once the drain is asked for, without waiting for it")(
      "ttl-ms", po::value<int64_t>()->notifier([o](int64_t v) { o->ttl_ms = v; }),
      "set: expire the key after this many ms")("nx", po::bool_switch(&o->nx),
                                                "set: only if the key does not exist")(
      "xx", po::bool_switch(&o->xx), "set: only if the key exists")(
      "match", po::value<std::string>()->notifier([o](const std::string& v) { o->match = v; }),
      "scan: only keys matching this glob pattern")(
      "count", po::value<int32_t>()->notifier([o](int32_t v) { o->count = v; }),
      "scan: keys to ask for per call (a hint)");
}

// The command and its arguments, as positionals.
void AddCommandPositionals(po::options_description* desc,
                           po::positional_options_description* positional,
                           dkv::client::CliOptions* o) {
  desc->add_options()("command", po::value(&o->command))("args", po::value(&o->args)->multitoken());
  positional->add("command", 1).add("args", -1);
}

// One shell line's words, parsed as a command line would be.
dkv::Result<dkv::client::CliOptions> ParseWords(const std::vector<std::string>& words) {
  dkv::client::CliOptions options;
  po::options_description desc;
  AddCommandOptions(&desc, &options);
  po::positional_options_description positional;
  AddCommandPositionals(&desc, &positional, &options);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(words).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return dkv::Status::InvalidArgument(e.what());
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  // A command's stderr is for its errors ("dkv: CODE: message"); the library's progress lines
  // (sessions opened, ...) appear only when DKV_LOG_LEVEL asks for them.
  if (std::getenv("DKV_LOG_LEVEL") == nullptr) dkv::SetMinLogLevel(dkv::LogLevel::kWarning);
  dkv::ClusterOptions cluster;
  dkv::client::CliOptions options;
  int timeout_ms = 5000;

  po::options_description desc("Options");
  dkv::AddClusterOptions(&desc, &cluster);
  desc.add_options()("timeout-ms", po::value(&timeout_ms)->default_value(timeout_ms),
                     "deadline of the command, retries included (ms)")(
      "db", po::value(&options.client.db)->default_value(0), "keyspace, 0..15 (Redis SELECT)");
  AddCommandOptions(&desc, &options);
  po::options_description positional_options;
  po::positional_options_description positional;
  AddCommandPositionals(&positional_options, &positional, &options);

  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {&positional, &positional_options},
                                             dkv::client::kCliUsage, &vm)) {
    return *exit_code;
  }
  options.client.zookeeper = cluster.zookeeper;
  options.client.cluster = cluster.cluster;
  options.client.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.client.timeout = std::chrono::milliseconds(timeout_ms);
  if (!options.command.empty() && options.command != "shell") {
    return dkv::client::RunCli(options, std::cin, std::cout, std::cerr);
  }

  options.command = "shell";
  if (dkv::Status usage = dkv::client::CheckCommand(options); !usage.ok()) {
    return dkv::client::UsageError(usage, std::cerr);
  }
  std::unique_ptr<dkv::client::LineReader> reader;
  if (isatty(STDIN_FILENO)) {
    const char* home = std::getenv("HOME");
    reader = dkv::client::NewEditLineReader(
        "dkv> ", home != nullptr && *home != '\0' ? std::string(home) + "/.dkv_history" : "");
  } else {
    reader = dkv::client::NewStreamLineReader(std::cin);
  }
  return dkv::client::RunShell(options.client, *reader, ParseWords, std::cout, std::cerr);
}
