#include "common/command_line.h"

#include <fstream>
#include <iostream>

namespace po = boost::program_options;

namespace dkv {

void AddClusterOptions(po::options_description* desc, ClusterOptions* options) {
  desc->add_options()("zookeeper",
                      po::value(&options->zookeeper)->default_value(options->zookeeper),
                      "ZooKeeper connect string, host:port[,host:port...]")(
      "cluster", po::value(&options->cluster)->default_value(options->cluster),
      "cluster name: the cluster's znodes live under /dkv/<cluster>")(
      "session-timeout-ms",
      po::value(&options->session_timeout_ms)->default_value(options->session_timeout_ms),
      "ZooKeeper session timeout (the server clamps it to 2..20 ticks)");
}

std::optional<int> ParseCommandLine(int argc, const char* const* argv,
                                    po::options_description* desc, const Positionals& positionals,
                                    const std::string& usage, po::variables_map* vm) {
  std::string config;
  desc->add_options()("help,h", "print this help and exit")(
      "config", po::value(&config), "read options from this file (command line wins)");
  auto print_usage = [&](std::ostream& out) { out << usage << "\n\n" << *desc << "\n"; };
  try {
    po::options_description all;
    all.add(*desc);
    if (positionals.options != nullptr) all.add(*positionals.options);
    po::command_line_parser parser(argc, argv);
    parser.options(all);
    if (positionals.names != nullptr) parser.positional(*positionals.names);
    po::store(parser.run(), *vm);
    if (vm->count("help")) {
      print_usage(std::cout);
      return 0;
    }
    if (vm->count("config")) {
      const std::string path = (*vm)["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) {
        std::cerr << "error: cannot read config file '" << path << "'\n";
        return kExitUsage;
      }
      po::store(po::parse_config_file(file, *desc), *vm);
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    std::cerr << "error: " << e.what() << "\n\n";
    print_usage(std::cerr);
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace dkv
