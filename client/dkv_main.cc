// dkv: the command-line client. This file only parses options into CliOptions; client/cli.cc runs
// the command.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "common/command_line.h"
#include "common/logging.h"

namespace po = boost::program_options;

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
      "json", po::bool_switch(&options.json), "status: print one JSON object");
  po::options_description positional_options;
  positional_options.add_options()("command", po::value(&options.command))(
      "args", po::value(&options.args)->multitoken());
  po::positional_options_description positional;
  positional.add("command", 1).add("args", -1);

  po::variables_map vm;
  if (auto exit_code = dkv::ParseCommandLine(argc, argv, &desc, {&positional, &positional_options},
                                             dkv::client::kCliUsage, &vm)) {
    return *exit_code;
  }
  options.client.zookeeper = cluster.zookeeper;
  options.client.cluster = cluster.cluster;
  options.client.session_timeout = std::chrono::milliseconds(cluster.session_timeout_ms);
  options.client.timeout = std::chrono::milliseconds(timeout_ms);
  return dkv::client::RunCli(options, std::cin, std::cout, std::cerr);
}
