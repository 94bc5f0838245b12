// The command-line and config-file handling every dkv binary shares, on Boost.Program_options.
// Only the *_main.cc files use it; daemons and libraries receive plain option structs.
//
// Config files use Boost's INI-like format: `name = value` per line, `#` comments, the same names
// as the long options (e.g. `zookeeper = zk1:2181,zk2:2181`). The command line wins over the file.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>

namespace dkv {

// The options that let any binary find its cluster: --zookeeper, --cluster, --session-timeout-ms.
struct ClusterOptions {
  std::string zookeeper = "127.0.0.1:2181";
  std::string cluster = "default";
  int session_timeout_ms = 4000;
};
void AddClusterOptions(boost::program_options::options_description* desc, ClusterOptions* options);

// Exit codes shared by the binaries: 0 success, 2 usage or runtime error.
inline constexpr int kExitUsage = 2;

// Positional arguments: `names` describes them, `options` declares them (kept out of --help).
struct Positionals {
  const boost::program_options::positional_options_description* names = nullptr;
  const boost::program_options::options_description* options = nullptr;
};

// Parses argv (and the file named by --config, when given) into *vm and runs notify(). Adds
// --help and --config to `desc`. Returns std::nullopt to go on; otherwise the exit code the
// program should return: 0 after printing help on stdout, kExitUsage after printing the error and
// the usage on stderr.
std::optional<int> ParseCommandLine(int argc, const char* const* argv,
                                    boost::program_options::options_description* desc,
                                    const Positionals& positionals, const std::string& usage,
                                    boost::program_options::variables_map* vm);

}  // namespace dkv
