// dkv-supervisor: parses the command line into SupervisorOptions and runs one subcommand
// (supervisor_commands.h). Nothing else happens here.
#include <boost/program_options.hpp>
#include <iostream>

#include "supervisor/supervisor_commands.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  dkv::supervisor::SupervisorOptions options;
  std::string command;
  bool check = false;
  bool json = false;
  int timeout_ms = 60000;

  po::options_description visible(
      "Usage:\n"
      "  dkv-supervisor --config FILE [--run-dir DIR] [--exit-on-give-up]   run in the foreground\n"
      "  dkv-supervisor --check --config FILE           validate a config, report every error\n"
      "  dkv-supervisor status [--json] [--run-dir DIR] show the running supervisor's children\n"
      "  dkv-supervisor reload [--run-dir DIR]          re-read the config (same as SIGHUP)\n"
      "  dkv-supervisor stop [--run-dir DIR] [--timeout-ms N]   SIGTERM it and wait for it to "
      "exit\n"
      "Signals: SIGTERM/SIGINT stop all children (reverse order) and exit; SIGHUP reloads.\n"
      "Config format and exit codes: docs/supervisor.md.\n\nOptions");
  visible.add_options()("help,h", "print this help")("config,c", po::value(&options.config_path),
                                                     "config file listing the children")(
      "check", po::bool_switch(&check), "validate --config and exit: 0 valid, 2 invalid")(
      "run-dir", po::value(&options.run_dir)->default_value(options.run_dir),
      "directory for the pid file, status socket and child logs")(
      "exit-on-give-up", po::bool_switch(&options.exit_on_give_up),
      "when a child is given up on, stop every child and exit 3 (for an outer supervisor)")(
      "json", po::bool_switch(&json), "status: print JSON")(
      "timeout-ms", po::value(&timeout_ms)->default_value(timeout_ms),
      "stop: how long to wait for the supervisor to exit");
  po::options_description hidden;
  hidden.add_options()("command", po::value(&command));
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("command", 1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "dkv-supervisor: " << e.what() << "\n(see --help)" << std::endl;
    return dkv::supervisor::kExitBadConfig;
  }
  if (vm.count("help")) {
    std::cout << visible << std::endl;
    return 0;
  }
  if (command == "status") return dkv::supervisor::PrintStatus(options.run_dir, json);
  if (command == "stop") return dkv::supervisor::StopSupervisor(options.run_dir, timeout_ms);
  if (command == "reload") return dkv::supervisor::ReloadSupervisor(options.run_dir);
  if (!command.empty()) {
    std::cerr << "dkv-supervisor: unknown command '" << command << "' (see --help)" << std::endl;
    return dkv::supervisor::kExitBadConfig;
  }
  if (options.config_path.empty()) {
    std::cerr << "dkv-supervisor: --config FILE is required (see --help)" << std::endl;
    return dkv::supervisor::kExitBadConfig;
  }
  if (check) return dkv::supervisor::CheckConfig(options.config_path);
  return dkv::supervisor::RunSupervisor(options);
}
