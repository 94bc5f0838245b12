#include "client/cli.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "client/status_format.h"
#include "common/json.h"

namespace dkv::client {

const char kCliUsage[] =
    "Usage: dkv [options] COMMAND [ARGS]     (no COMMAND: the interactive shell)\n"
    "\n"
    "Commands:\n"
    "  set KEY VALUE [--ttl-ms MS] [--nx|--xx]  store VALUE under KEY (expiring after MS; only\n"
    "                                           if KEY is absent / present)\n"
    "  get KEY                       print the value of KEY and a newline\n"
    "  remove KEY                    remove KEY\n"
    "  unsafe-set KEY VALUE          store without waiting for an acknowledgement (may be lost)\n"
    "  ttl KEY                       print the milliseconds before KEY expires (-1: never)\n"
    "  expire KEY MS                 make KEY expire MS milliseconds from now\n"
    "  persist KEY                   remove the expiry of KEY\n"
    "  incr KEY                      add 1 to the integer at KEY, print the result\n"
    "  incrby KEY DELTA              add DELTA to the integer at KEY, print the result\n"
    "  append KEY VALUE              append VALUE to the value at KEY, print the new length\n"
    "  mget KEY [KEY ...]            print the value of each KEY on a line (empty if absent)\n"
    "  mset KEY VALUE [KEY VALUE ...]  store every pair\n"
    "  scan [--match PATTERN] [--count N]  print every key (matching the glob PATTERN)\n"
    "  status [--json]               the master, standbys, data nodes (heads, slots, keys),\n"
    "                                clients, replication and slot moves in progress\n"
    "  node drain ID [--no-wait] [--json]  move every slot of data node ID (with its keys) to\n"
    "                                the others, then have it leave; waits, showing progress,\n"
    "                                unless --no-wait\n"
    "  rebalance [--json]            start the slot moves that balance the data nodes\n"
    "  replicas [N] [--json]         set the replication factor (data nodes per slot) to N;\n"
    "                                without N, print it\n"
    "  shell                         the interactive shell: one command per line, help, quit\n"
    "VALUE '-' reads the value from stdin (all of it, byte for byte). Put '--' before a KEY,\n"
    "VALUE or number that starts with '-'. --db N (0..15) selects the keyspace.\n"
    "\n"
    "Exit status:\n"
    "  0  success (get, ttl, mget: the keys exist; remove, expire: the key existed; persist: an\n"
    "     expiry was removed; set --nx/--xx: stored)\n"
    "  1  the same commands' \"no\": no such key (nothing printed), expiry absent, set refused\n"
    "  2  usage error or failure (stderr: \"dkv: <CODE_NAME>: message\")";

namespace {

constexpr size_t kAny = SIZE_MAX;

const std::vector<CliCommand> kCommands = {
    {"set", 2, 2, "ttl-ms nx xx", "set KEY VALUE [--ttl-ms MS] [--nx|--xx]",
     "store VALUE under KEY; --ttl-ms: expire after MS ms; --nx/--xx: only if KEY is "
     "absent/present"},
    {"get", 1, 1, "", "get KEY", "print the value of KEY and a newline (exit 1 if absent)"},
    {"remove", 1, 1, "", "remove KEY", "remove KEY (exit 1 if it did not exist)"},
    {"unsafe-set", 2, 2, "", "unsafe-set KEY VALUE",
     "store without waiting for an acknowledgement (may be lost)"},
    {"ttl", 1, 1, "", "ttl KEY",
     "print the milliseconds before KEY expires, -1 if never (exit 1 if absent)"},
    {"expire", 2, 2, "", "expire KEY MS",
     "make KEY expire MS milliseconds from now (exit 1 if absent)"},
    {"persist", 1, 1, "", "persist KEY", "remove the expiry of KEY (exit 1 if it had none)"},
    {"incr", 1, 1, "", "incr KEY", "add 1 to the integer at KEY and print the result"},
    {"incrby", 2, 2, "", "incrby KEY DELTA",
     "add DELTA to the integer at KEY and print the result"},
    {"append", 2, 2, "", "append KEY VALUE",
     "append VALUE to the value at KEY and print the new length"},
    {"mget", 1, kAny, "", "mget KEY [KEY ...]",
     "print the value of each KEY on a line of its own, empty if absent (exit 1 if any is)"},
    {"mset", 2, kAny, "", "mset KEY VALUE [KEY VALUE ...]", "store every KEY VALUE pair"},
    {"scan", 0, 0, "match count", "scan [--match PATTERN] [--count N]",
     "print every key, one per line (matching the glob PATTERN; N keys per call)"},
    {"status", 0, 0, "json", "status [--json]",
     "the master, standbys, data nodes (heads, slots, keys), clients and replication"},
    {"node", 2, 2, "no-wait json", "node drain ID [--no-wait] [--json]",
     "move data node ID's slots, with their keys, to the others, then have it leave"},
    {"rebalance", 0, 0, "json", "rebalance [--json]",
     "start the slot moves that balance the data nodes"},
    {"replicas", 0, 1, "json", "replicas [N] [--json]",
     "set the replication factor (data nodes per slot) to N; without N, print it"},
    {"shell", 0, 0, "", "shell", "the interactive shell (also: dkv with no command)"},
};

// The value argument, or all of *in for '-'.
Result<std::string> ValueArg(const std::string& arg, std::istream* in) {
  if (arg != "-") return arg;
  if (in == nullptr) {
    return Status::InvalidArgument("VALUE '-' (stdin) cannot be used in the shell");
  }
  std::string value((std::istreambuf_iterator<char>(*in)), std::istreambuf_iterator<char>());
  if (in->bad()) return Status::IoError("reading the value from stdin failed");
  return value;
}

Result<int64_t> ParseInt64(const std::string& text, const char* what) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return Status::InvalidArgument(std::string(what) + " '" + text +
                                   "' is not a 64-bit decimal integer");
  }
  return value;
}

int Fail(std::ostream& err, const Status& s) {
  err << "dkv: " << s.ToString() << "\n";
  return kExitError;
}

// Writes `bytes` and a newline.
void PrintLine(std::ostream& out, const std::string& bytes) {
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out << "\n";
}

int Flushed(std::ostream& out, std::ostream& err, int code) {
  out.flush();
  return out ? code : Fail(err, Status::IoError("writing to stdout failed"));
}

// Prints the integer and a newline, or the error.
int PrintInteger(const Result<int64_t>& n, std::ostream& out, std::ostream& err) {
  if (!n.ok()) return Fail(err, n.status());
  out << *n << "\n";
  return Flushed(out, err, kExitOk);
}

// What a drain looks like in one status: how many slots the node still owns (-1: it is gone from
// the data nodes) and what is moving off it.
struct DrainView {
  int32_t slots_left = -1;
  bool draining = false;
  bool others = false;  // some other data node, not draining, can take its slots
  int64_t keys_copied = 0;
  int64_t keys_total = 0;
  size_t moves = 0;
};

DrainView ViewDrain(const ClusterStatus& status, const std::string& id) {
  DrainView view;
  const auto& draining = status.draining_data_nodes;
  view.draining = std::find(draining.begin(), draining.end(), id) != draining.end();
  for (const auto& d : status.data_nodes) {
    if (d.id == id) {
      view.slots_left = d.slots;
    } else if (std::find(draining.begin(), draining.end(), d.id) == draining.end()) {
      view.others = true;
    }
  }
  for (const auto& m : status.moves) {
    if (m.from != id) continue;
    ++view.moves;
    view.keys_copied += m.keys_copied;
    view.keys_total += m.keys_total;
  }
  return view;
}

// `node drain ID`: asks for the drain; unless --no-wait, follows it until the node left, printing
// a line whenever its slot count changes (or one JSON object at the end).
int RunDrain(Client& client, const CliOptions& options, std::ostream& out, std::ostream& err) {
  const std::string& id = options.args[1];
  Result<int32_t> slots = client.DrainDataNode(id);
  if (!slots.ok()) return Fail(err, slots.status());
  auto json = [&](bool left) {
    out << "{\"node\":" << JsonQuote(id) << ",\"slots_to_move\":" << *slots
        << ",\"left\":" << (left ? "true" : "false") << "}\n";
  };
  if (!options.json) out << id << ": draining, " << *slots << " slots to move\n" << std::flush;
  if (options.no_wait) {
    if (options.json) json(false);
    return Flushed(out, err, kExitOk);
  }
  int32_t shown = *slots;
  for (;;) {
    Result<ClusterStatus> status = client.GetStatus();
    if (!status.ok()) return Fail(err, status.status());
    const DrainView view = ViewDrain(*status, id);
    if (view.slots_left < 0 && !view.draining) break;  // it left, and the master saw it go
    if (view.slots_left > 0 && !view.others) {
      return Fail(err, Status::Unavailable("data node " + id + " still owns " +
                                           std::to_string(view.slots_left) +
                                           " slots and no other data node can take them"));
    }
    if (!options.json && view.slots_left >= 0 && view.slots_left != shown) {
      shown = view.slots_left;
      out << id << ": " << shown << " slots left";
      if (view.moves > 0) {
        out << ", " << view.moves << " moves running (" << view.keys_copied << "/"
            << view.keys_total << " keys copied)";
      }
      out << "\n" << std::flush;
    }
    std::this_thread::sleep_for(options.drain_poll);
  }
  if (options.json) {
    json(true);
  } else {
    out << id << ": drained, it left the cluster\n";
  }
  return Flushed(out, err, kExitOk);
}

// `replicas N`'s N: a positive 32-bit integer.
Result<int32_t> ReplicationFactorArg(const std::string& text) {
  Result<int64_t> n = ParseInt64(text, "N");
  if (!n.ok()) return n.status();
  if (*n < 1 || *n > INT32_MAX) {
    return Status::InvalidArgument("replicas N '" + text + "' must be a positive 32-bit integer");
  }
  return static_cast<int32_t>(*n);
}

// `replicas`: prints R from the status. `replicas N`: sets it, warning on stderr (and in the JSON)
// when the data nodes are too few for chains of N.
int RunReplicas(Client& client, const CliOptions& options, std::ostream& out, std::ostream& err) {
  if (options.args.empty()) {
    Result<ClusterStatus> status = client.GetStatus();
    if (!status.ok()) return Fail(err, status.status());
    if (options.json) {
      out << "{\"replication_factor\":" << status->replication_factor
          << ",\"under_replicated_slots\":" << status->under_replicated_slots << "}\n";
    } else {
      out << "replication factor " << status->replication_factor << " ("
          << status->under_replicated_slots << " slots under-replicated)\n";
    }
    return Flushed(out, err, kExitOk);
  }
  Result<ReplicationFactorChange> change =
      client.SetReplicationFactor(ReplicationFactorArg(options.args[0]).value());
  if (!change.ok()) return Fail(err, change.status());
  std::vector<std::string> warnings;
  if (change->data_nodes < change->replication_factor) {
    const std::string k = std::to_string(change->data_nodes);
    warnings.push_back("only " + k + " live data nodes (not draining): chains will have only " + k +
                       " members until more data nodes join");
  }
  for (const std::string& w : warnings) err << "dkv: warning: " << w << "\n";
  if (options.json) {
    out << "{\"replication_factor\":" << change->replication_factor
        << ",\"data_nodes\":" << change->data_nodes << ",\"warnings\":" << JsonStrings(warnings)
        << "}\n";
  } else {
    out << "replication factor " << change->replication_factor << " (" << change->data_nodes
        << " live data nodes); chains change in the background\n";
  }
  return Flushed(out, err, kExitOk);
}

bool Takes(const CliCommand& command, const std::string& flag) {
  std::istringstream flags(command.flags);
  std::string f;
  while (flags >> f) {
    if (f == flag) return true;
  }
  return false;
}

}  // namespace

const std::vector<CliCommand>& CliCommands() { return kCommands; }

const CliCommand* FindCliCommand(const std::string& name) {
  for (const CliCommand& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

Status CheckCommand(const CliOptions& options) {
  if (options.command.empty()) return Status::InvalidArgument("no command given");
  const CliCommand* spec = FindCliCommand(options.command);
  if (spec == nullptr) return Status::InvalidArgument("unknown command '" + options.command + "'");
  const size_t n = options.args.size();
  if (n < spec->min_args || n > spec->max_args) {
    return Status::InvalidArgument(std::string(n < spec->min_args ? "missing" : "extra") +
                                   " argument: usage: dkv " + spec->syntax);
  }
  const std::pair<bool, const char*> given[] = {
      {options.json, "json"},
      {options.no_wait, "no-wait"},
      {options.ttl_ms.has_value(), "ttl-ms"},
      {options.nx, "nx"},
      {options.xx, "xx"},
      {options.match.has_value(), "match"},
      {options.count.has_value(), "count"},
  };
  for (const auto& [set, flag] : given) {
    if (set && !Takes(*spec, flag)) {
      return Status::InvalidArgument("--" + std::string(flag) + " does not apply to " +
                                     options.command + ": usage: dkv " + spec->syntax);
    }
  }
  if (options.nx && options.xx) return Status::InvalidArgument("--nx and --xx exclude each other");
  if (options.ttl_ms && *options.ttl_ms <= 0) {
    return Status::InvalidArgument("--ttl-ms must be positive");
  }
  if (options.count && *options.count < 1) {
    return Status::InvalidArgument("--count must be at least 1");
  }
  if (options.command == "mset" && n % 2 != 0) {
    return Status::InvalidArgument("mset needs KEY VALUE pairs: usage: dkv " +
                                   std::string(spec->syntax));
  }
  if (options.command == "node" && options.args[0] != "drain") {
    return Status::InvalidArgument("unknown node command '" + options.args[0] + "': usage: dkv " +
                                   spec->syntax);
  }
  if (options.command == "replicas" && n == 1) {
    return ReplicationFactorArg(options.args[0]).status();
  }
  if (options.command == "expire") return ParseInt64(options.args[1], "MS").status();
  if (options.command == "incrby") return ParseInt64(options.args[1], "DELTA").status();
  return Status::OK();
}

int RunCommand(Client& client, const CliOptions& options, std::istream* in, std::ostream& out,
               std::ostream& err) {
  const std::string& cmd = options.command;
  const std::vector<std::string>& args = options.args;

  if (cmd == "set" || cmd == "unsafe-set") {
    Result<std::string> value = ValueArg(args[1], in);
    if (!value.ok()) return Fail(err, value.status());
    if (cmd == "unsafe-set") {
      client.UnsafeSet(args[0], *value);
      return kExitOk;
    }
    if (!options.ttl_ms && !options.nx && !options.xx) {
      Status s = client.Set(args[0], *value);
      return s.ok() ? kExitOk : Fail(err, s);
    }
    SetOptions set;
    if (options.ttl_ms) set.ttl = std::chrono::milliseconds(*options.ttl_ms);
    if (options.nx) set.condition = SetOptions::Condition::kIfAbsent;
    if (options.xx) set.condition = SetOptions::Condition::kIfPresent;
    Result<bool> stored = client.Set(args[0], *value, set);
    if (!stored.ok()) return Fail(err, stored.status());
    return *stored ? kExitOk : kExitAbsent;
  }
  if (cmd == "get") {
    Result<std::optional<std::string>> got = client.Get(args[0]);
    if (!got.ok()) return Fail(err, got.status());
    if (!got->has_value()) return kExitAbsent;
    PrintLine(out, **got);
    return Flushed(out, err, kExitOk);
  }
  if (cmd == "remove") {
    Result<bool> existed = client.Remove(args[0]);
    if (!existed.ok()) return Fail(err, existed.status());
    return *existed ? kExitOk : kExitAbsent;
  }
  if (cmd == "ttl") {
    Result<KeyTtl> ttl = client.Ttl(args[0]);
    if (!ttl.ok()) return Fail(err, ttl.status());
    if (!ttl->exists) return kExitAbsent;
    out << (ttl->remaining ? ttl->remaining->count() : -1) << "\n";
    return Flushed(out, err, kExitOk);
  }
  if (cmd == "expire") {
    Result<bool> set =
        client.Expire(args[0], std::chrono::milliseconds(ParseInt64(args[1], "MS").value()));
    if (!set.ok()) return Fail(err, set.status());
    return *set ? kExitOk : kExitAbsent;
  }
  if (cmd == "persist") {
    Result<bool> removed = client.Persist(args[0]);
    if (!removed.ok()) return Fail(err, removed.status());
    return *removed ? kExitOk : kExitAbsent;
  }
  if (cmd == "incr" || cmd == "incrby") {
    const int64_t delta = cmd == "incr" ? 1 : ParseInt64(args[1], "DELTA").value();
    return PrintInteger(client.IncrBy(args[0], delta), out, err);
  }
  if (cmd == "append") {
    Result<std::string> value = ValueArg(args[1], in);
    if (!value.ok()) return Fail(err, value.status());
    return PrintInteger(client.Append(args[0], *value), out, err);
  }
  if (cmd == "mget") {
    Result<std::vector<std::optional<std::string>>> values = client.MGet(args);
    if (!values.ok()) return Fail(err, values.status());
    bool all = true;
    for (const std::optional<std::string>& v : *values) {
      all = all && v.has_value();
      PrintLine(out, v.value_or(""));
    }
    return Flushed(out, err, all ? kExitOk : kExitAbsent);
  }
  if (cmd == "mset") {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < args.size(); i += 2) pairs.emplace_back(args[i], args[i + 1]);
    Status s = client.MSet(pairs);
    return s.ok() ? kExitOk : Fail(err, s);
  }
  if (cmd == "scan") {
    ScanOptions scan;
    scan.match = options.match.value_or("");
    if (options.count) scan.count = *options.count;
    uint64_t cursor = 0;
    do {
      Result<ScanPage> page = client.Scan(cursor, scan);
      if (!page.ok()) return Fail(err, page.status());
      for (const std::string& key : page->keys) PrintLine(out, key);
      cursor = page->cursor;
    } while (cursor != 0);
    return Flushed(out, err, kExitOk);
  }
  if (cmd == "status") {
    Result<ClusterStatus> status = client.GetStatus();
    if (!status.ok()) return Fail(err, status.status());
    out << (options.json ? FormatStatusJson(*status) + "\n" : FormatStatusTable(*status));
    return Flushed(out, err, kExitOk);
  }
  if (cmd == "node") return RunDrain(client, options, out, err);
  if (cmd == "replicas") return RunReplicas(client, options, out, err);
  if (cmd == "rebalance") {
    Result<int32_t> slots = client.Rebalance();
    if (!slots.ok()) return Fail(err, slots.status());
    if (options.json) {
      out << "{\"slots_to_move\":" << *slots << "}\n";
    } else {
      out << *slots << " slots to move\n";
    }
    return Flushed(out, err, kExitOk);
  }
  return Fail(err, Status::InvalidArgument("'" + cmd + "' cannot run here"));
}

int UsageError(const Status& usage, std::ostream& err) {
  err << "dkv: " << usage.message() << "\n\n"
      << kCliUsage << "\n\nRun 'dkv --help' for the options.\n";
  return kExitError;
}

int RunCli(const CliOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
           const ConnectFn& connect) {
  Status usage = CheckCommand(options);
  if (!usage.ok()) return UsageError(usage, err);
  Result<std::unique_ptr<Client>> connected = connect(options.client);
  if (!connected.ok()) return Fail(err, connected.status());
  return RunCommand(**connected, options, &in, out, err);
}

}  // namespace dkv::client
