// The command catalog: the facts about every Redis command dkv's RESP front end serves, as
// Redis 7.0 reports them (COMMAND INFO, COMMAND DOCS), so that the front end can answer COMMAND
// COUNT/INFO/DOCS as redis-server does and check arity before executing. redis-cli builds its
// `help CMD` output and inline hints from COMMAND DOCS (summary, since, group and the argument
// tree: 7.2 and later for every command; 7.0 only for commands missing from its compiled-in
// table), so it shows the same help for dkv as for Redis.
//
// The table (command_catalog.cc) was taken from redis-server 7.0.15 by scripts/command-catalog,
// which makes it again from a running Redis (`--write`); a command added to the front end gets
// its entry from there. Immutable static data: thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace dkv {

// One argument of a command as COMMAND DOCS describes it (Redis's redisCommandArg), e.g. SET's
// `[EX seconds|PX milliseconds|...]` is a "oneof" named "expiration", flagged "optional", whose
// arguments are "seconds" (an "integer" with the token "EX"), ...
struct CommandArg {
  std::string_view name;
  // "key", "string", "integer", "double", "pattern", "unix-time", "pure-token" (the token alone),
  // "oneof" (one of `arguments`) or "block" (all of `arguments`, in order).
  std::string_view type;
  int key_spec_index;                   // of a "key" argument; -1 for the others
  std::string_view token;               // the keyword before the value ("EX"); "" when none
  std::string_view since;               // the Redis version that added it; "" when as the command
  std::vector<std::string_view> flags;  // "optional", "multiple", "multiple_token"
  std::vector<CommandArg> arguments;    // a oneof's or block's; empty for the others
};

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
  std::string_view summary;                      // one line
  std::string_view since;                        // the Redis version that introduced it, "1.0.0"
  std::string_view complexity;                   // as COMMAND DOCS gives it
  std::vector<std::string_view> doc_flags;       // "deprecated"
  std::string_view deprecated_since;             // "" unless deprecated
  std::string_view replaced_by;                  // what to use instead; "" unless deprecated
  // (version, what changed), oldest first.
  std::vector<std::pair<std::string_view, std::string_view>> history;
  std::vector<CommandArg> arguments;  // after the name (and a subcommand's container)
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
