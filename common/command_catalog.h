// The command catalog: the facts about every Redis command dkv's RESP front end serves, as
// Redis 7.0 reports them (COMMAND INFO, COMMAND DOCS, redis-cli's help), so that the front end can
// answer COMMAND COUNT/INFO/DOCS as redis-server does, check arity before executing, and redis-cli
// shows the same hints and help.
//
// The table (command_catalog.cc) was taken from redis-server 7.0.15 by scripts/command-catalog,
// which prints it again from a running Redis; a command added to the front end gets its entry
// from there. Immutable static data: thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace dkv {

struct CommandSpec {
  // Lower case. A subcommand is named "<container>|<subcommand>" as in Redis 7 ("client|setname");
  // its container ("client") has an entry of its own.
  std::string_view name;
  // Redis's arity, counting the command name (and a subcommand's container): n means exactly n
  // arguments, -n at least n.
  int arity;
  std::vector<std::string_view> flags;  // "write", "readonly", "denyoom", "fast", ...
  // Key positions in the arguments (0 = the name): first, last (-1 = the last argument, ...) and
  // step; all 0 for a command without key arguments.
  int first_key;
  int last_key;
  int key_step;
  std::vector<std::string_view> acl_categories;  // "@write", "@string", ...
  std::string_view group;                        // "string", "generic", "connection", "server"
  // The arguments after the name as redis-cli's help prints them, e.g. for SET:
  // "key value [NX|XX] [GET] [EX seconds|PX milliseconds|...|KEEPTTL]"; "" when there are none.
  std::string_view syntax;
  std::string_view summary;     // one line
  std::string_view since;       // the Redis version that introduced it, "1.0.0"
  std::string_view complexity;  // as COMMAND DOCS gives it
};

// Every entry, sorted by name.
const std::vector<CommandSpec>& CommandCatalog();

// The entry named `name` (any case; "client|setname" for a subcommand), or nullptr.
const CommandSpec* FindCommand(std::string_view name);

// The subcommands of a container ("client" -> client|getname, client|id, client|setname), sorted.
std::vector<const CommandSpec*> Subcommands(std::string_view container);

// Whether `spec` accepts `argc` arguments (the name included) by its arity.
bool ArityAccepts(const CommandSpec& spec, size_t argc);

}  // namespace dkv
