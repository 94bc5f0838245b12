#include "server/resp_commands.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "common/command_catalog.h"
#include "common/logging.h"
#include "common/redis_number.h"
#include "server/resp/reply_writer.h"

namespace dkv::server {
namespace {

using Args = std::vector<std::string>;
using Finish = PlannedCommand::Finish;

// What Redis 7.0.15 says; redis-cli and client libraries read these.
constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kSyntaxError = "ERR syntax error";
constexpr const char* kNotFloat = "ERR value is not a valid float";
// The version dkv answers with where Redis's is expected (HELLO, INFO): the Redis release whose
// commands and replies it follows.
constexpr const char* kRedisVersion = "7.0.15";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Is(std::string_view arg, std::string_view upper) {
  if (arg.size() != upper.size()) return false;
  for (size_t i = 0; i < arg.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(arg[i])) != upper[i]) return false;
  }
  return true;
}

// What the front end takes as INCRBYFLOAT's increment: a number as Redis parses it, and finite
// (the data node refuses the rest again, with Redis's errors).
bool IsFloat(std::string_view s) {
  long double value = 0;
  return ParseRedisLongDouble(s, &value) && std::isfinite(value);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A unit of a relative or absolute expire time, and its conversion to absolute Unix ms.
enum class TimeUnit { kSeconds, kMillis, kUnixSeconds, kUnixMillis };

// The absolute time `value` `unit` means now; false when it overflows (Redis: "invalid expire
// time").
bool ToAbsoluteMs(int64_t value, TimeUnit unit, int64_t* at_ms) {
  int64_t ms = value;
  if (unit == TimeUnit::kSeconds || unit == TimeUnit::kUnixSeconds) {
    if (value > INT64_MAX / 1000 || value < INT64_MIN / 1000) return false;
    ms = value * 1000;
  }
  if (unit == TimeUnit::kSeconds || unit == TimeUnit::kMillis) {
    const int64_t now = NowMs();
    if ((ms > 0 && now > INT64_MAX - ms) || (ms < 0 && now < INT64_MIN - ms)) return false;
    ms += now;
  }
  *at_ms = ms;
  return true;
}

// The state one command's handler works with.
struct Ctx {
  Args& args;
  RespSession* session;
  std::vector<Op>* batch;
  PlannedCommand* command;
  RespBackend* backend;
  const RespStats* stats;
  int port;
  std::chrono::steady_clock::time_point started;
  std::string name;  // lower case, for error texts

  // The reply, rendered now: the command has no ops (a handler checks before it adds any).
  resp::ReplyWriter Local() {
    DKV_CHECK(command->op_count == 0);
    command->finish = Finish::kLocal;
    return resp::ReplyWriter(&command->text);
  }
  void Error(std::string_view text) { Local().Error(text); }
  void WrongArity() { Error("ERR wrong number of arguments for '" + name + "' command"); }
  void InvalidExpire() { Error("ERR invalid expire time in '" + name + "' command"); }
  // Appends an op on `key` in the session's database.
  Op& AddOp(OpCode code, std::string key = {}) {
    if (command->op_count == 0) command->first_op = batch->size();
    ++command->op_count;
    Op& op = batch->emplace_back();
    op.code = code;
    op.db = session->db;
    op.key = std::move(key);
    return op;
  }
  // An integer argument; false (with the error reply) when it is not one.
  bool Int(size_t i, int64_t* out) {
    if (ParseRedisInt64(args[i], out)) return true;
    Error(kNotInteger);
    return false;
  }
};

// ---- connection and server commands ----

void Ping(Ctx& c) {
  if (c.args.size() > 2) return c.WrongArity();
  if (c.args.size() == 2) return c.Local().Bulk(c.args[1]);
  c.Local().SimpleString("PONG");
}

void Echo(Ctx& c) { c.Local().Bulk(c.args[1]); }

void Quit(Ctx& c) {
  c.session->closing = true;
  c.Local().SimpleString("OK");
}

void Select(Ctx& c) {
  int64_t db = 0;
  if (!c.Int(1, &db)) return;
  if (db < 0 || db >= kDatabases) return c.Error("ERR DB index is out of range");
  c.session->db = static_cast<int32_t>(db);
  c.Local().SimpleString("OK");
}

// Redis's validity rule for client names: printable ASCII without spaces.
bool ValidClientName(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char ch) { return ch > ' ' && ch <= '~'; });
}

void Hello(Ctx& c) {
  size_t next = 1;
  if (c.args.size() >= 2) {
    int64_t version = 0;
    if (!ParseRedisInt64(c.args[1], &version)) {
      return c.Error("ERR Protocol version is not an integer or out of range");
    }
    // dkv speaks RESP2 only: RESP3's answer is the one Redis gives a version it does not know.
    if (version != 2) return c.Error("NOPROTO unsupported protocol version");
    next = 2;
  }
  for (; next < c.args.size(); ++next) {
    const bool more = next + 1 < c.args.size();
    if (Is(c.args[next], "SETNAME") && more) {
      if (!ValidClientName(c.args[next + 1])) {
        return c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
      c.session->name = c.args[++next];
    } else if (Is(c.args[next], "AUTH") && next + 2 < c.args.size()) {
      // dkv has no users: as a Redis without a password, the default user gets in with any
      // password, and every other user name is refused.
      if (c.args[next + 1] != "default") {
        return c.Error("WRONGPASS invalid username-password pair or user is disabled.");
      }
      next += 2;
    } else {
      return c.Error("ERR Syntax error in HELLO option '" + c.args[next] + "'");
    }
  }
  resp::ReplyWriter out = c.Local();
  out.ArrayHeader(14);
  out.Bulk("server");
  out.Bulk("redis");
  out.Bulk("version");
  out.Bulk(kRedisVersion);
  out.Bulk("proto");
  out.Integer(2);
  out.Bulk("id");
  out.Integer(c.session->id);
  out.Bulk("mode");
  out.Bulk("standalone");
  // Redis's replication role: a standby is not the master, though it forwards to it; "replica"
  // is what Redis says of every server that is not one. As INFO's dkv_role, a master that is not
  // serving (taking over, cut off from ZooKeeper) does not count as one either.
  out.Bulk("role");
  out.Bulk(c.backend->IsServingMaster() ? "master" : "replica");
  out.Bulk("modules");
  out.ArrayHeader(0);
}

void Client(Ctx& c) {
  const std::string& sub = c.args[1];
  auto arity = [&](size_t n) {
    if (c.args.size() == n) return true;
    c.Error("ERR wrong number of arguments for 'client|" + Lower(sub) + "' command");
    return false;
  };
  if (Is(sub, "SETNAME")) {
    if (!arity(3)) return;
    if (!ValidClientName(c.args[2])) {
      return c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    c.session->name = c.args[2];
    return c.Local().SimpleString("OK");
  }
  if (Is(sub, "GETNAME")) {
    if (!arity(2)) return;
    if (c.session->name.empty()) return c.Local().Nil();
    return c.Local().Bulk(c.session->name);
  }
  if (Is(sub, "ID")) {
    if (!arity(2)) return;
    return c.Local().Integer(c.session->id);
  }
  c.Error("ERR unknown subcommand '" + sub + "'. Try CLIENT HELP.");
}

// The flags and categories of COMMAND INFO and DOCS, as simple strings: Redis writes them so, and
// redis-cli asserts on it.
void SimpleStrings(const std::vector<std::string_view>& items, resp::ReplyWriter* out) {
  out->ArrayHeader(items.size());
  for (std::string_view item : items) out->SimpleString(item);
}

// COMMAND INFO's entry for `spec`, as Redis 7 gives it (without key specs and tips).
void WriteCommandInfo(const dkv::CommandSpec& spec, resp::ReplyWriter* out) {
  out->ArrayHeader(10);
  out->Bulk(spec.name);
  out->Integer(spec.arity);
  SimpleStrings(spec.flags, out);
  out->Integer(spec.first_key);
  out->Integer(spec.last_key);
  out->Integer(spec.key_step);
  SimpleStrings(spec.acl_categories, out);
  out->ArrayHeader(0);  // tips
  out->ArrayHeader(0);  // key specs
  const std::vector<const dkv::CommandSpec*> subcommands = Subcommands(spec.name);
  out->ArrayHeader(subcommands.size());
  for (const dkv::CommandSpec* sub : subcommands) WriteCommandInfo(*sub, out);
}

// The fields of COMMAND DOCS's maps: Redis leaves out those it has no value for, so the map's
// header counts the present ones first (2 elements each).
void Field(std::string_view name, std::string_view value, resp::ReplyWriter* out) {
  out->Bulk(name);
  out->Bulk(value);
}
void OptionalField(std::string_view name, std::string_view value, resp::ReplyWriter* out) {
  if (!value.empty()) Field(name, value, out);
}
void OptionalField(std::string_view name, const std::vector<std::string_view>& flags,
                   resp::ReplyWriter* out) {
  if (flags.empty()) return;
  out->Bulk(name);
  SimpleStrings(flags, out);
}

// COMMAND DOCS's maps of `arguments`, as Redis 7.0's addReplyCommandArgList writes them.
void WriteArguments(const std::vector<dkv::CommandArg>& arguments, resp::ReplyWriter* out) {
  out->ArrayHeader(arguments.size());
  for (const dkv::CommandArg& arg : arguments) {
    const bool key = arg.key_spec_index >= 0;
    out->ArrayHeader(2 * (2 + key + !arg.token.empty() + !arg.since.empty() + !arg.flags.empty() +
                          !arg.arguments.empty()));
    Field("name", arg.name, out);
    Field("type", arg.type, out);
    if (key) {
      out->Bulk("key_spec_index");
      out->Integer(arg.key_spec_index);
    }
    OptionalField("token", arg.token, out);
    OptionalField("since", arg.since, out);
    OptionalField("flags", arg.flags, out);
    if (!arg.arguments.empty()) {
      out->Bulk("arguments");
      WriteArguments(arg.arguments, out);
    }
  }
}

// COMMAND DOCS's map for `spec` (and its subcommands'), as Redis 7.0's addReplyCommandDocs
// writes it: its fields in Redis's order, the optional ones only when present.
void WriteCommandDocs(const dkv::CommandSpec& spec, resp::ReplyWriter* out) {
  const std::vector<const dkv::CommandSpec*> subcommands = Subcommands(spec.name);
  out->ArrayHeader(2 * (4 + !spec.doc_flags.empty() + !spec.deprecated_since.empty() +
                        !spec.replaced_by.empty() + !spec.history.empty() +
                        !spec.arguments.empty() + !subcommands.empty()));
  Field("summary", spec.summary, out);
  Field("since", spec.since, out);
  Field("group", spec.group, out);
  Field("complexity", spec.complexity, out);
  OptionalField("doc_flags", spec.doc_flags, out);
  OptionalField("deprecated_since", spec.deprecated_since, out);
  OptionalField("replaced_by", spec.replaced_by, out);
  if (!spec.history.empty()) {
    out->Bulk("history");
    out->ArrayHeader(spec.history.size());
    for (const auto& [version, change] : spec.history) {
      out->ArrayHeader(2);
      out->Bulk(version);
      out->Bulk(change);
    }
  }
  if (!spec.arguments.empty()) {
    out->Bulk("arguments");
    WriteArguments(spec.arguments, out);
  }
  if (subcommands.empty()) return;
  out->Bulk("subcommands");
  out->ArrayHeader(2 * subcommands.size());
  for (const dkv::CommandSpec* sub : subcommands) {
    out->Bulk(sub->name);
    WriteCommandDocs(*sub, out);
  }
}

bool IsTopLevel(const dkv::CommandSpec& spec) {
  return spec.name.find('|') == std::string_view::npos;
}

void Command(Ctx& c) {
  resp::ReplyWriter out = c.Local();
  const auto& catalog = CommandCatalog();
  const size_t top_level =
      static_cast<size_t>(std::count_if(catalog.begin(), catalog.end(), IsTopLevel));
  if (c.args.size() == 1) {
    out.ArrayHeader(top_level);
    for (const dkv::CommandSpec& spec : catalog) {
      if (IsTopLevel(spec)) WriteCommandInfo(spec, &out);
    }
    return;
  }
  const std::string& sub = c.args[1];
  if (Is(sub, "COUNT")) {
    if (c.args.size() != 2)
      return c.Error("ERR wrong number of arguments for 'command|count' command");
    return out.Integer(static_cast<int64_t>(top_level));
  }
  if (Is(sub, "INFO")) {
    if (c.args.size() == 2) {
      c.args.resize(1);
      return Command(c);
    }
    out.ArrayHeader(c.args.size() - 2);
    for (size_t i = 2; i < c.args.size(); ++i) {
      const dkv::CommandSpec* spec = FindCommand(c.args[i]);
      if (spec == nullptr) {
        out.Nil();
      } else {
        WriteCommandInfo(*spec, &out);
      }
    }
    return;
  }
  if (Is(sub, "DOCS")) {
    std::vector<const dkv::CommandSpec*> wanted;
    for (size_t i = 2; i < c.args.size(); ++i) {
      const dkv::CommandSpec* spec = FindCommand(c.args[i]);
      if (spec != nullptr) wanted.push_back(spec);
    }
    if (c.args.size() == 2) {
      for (const dkv::CommandSpec& spec : catalog) {
        if (IsTopLevel(spec)) wanted.push_back(&spec);
      }
    }
    out.ArrayHeader(2 * wanted.size());
    for (const dkv::CommandSpec* spec : wanted) {
      out.Bulk(spec->name);
      WriteCommandDocs(*spec, &out);
    }
    return;
  }
  c.Error("ERR unknown subcommand '" + sub + "'. Try COMMAND HELP.");
}

void Time(Ctx& c) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  resp::ReplyWriter out = c.Local();
  out.ArrayHeader(2);
  out.Bulk(std::to_string(us / 1000000));
  out.Bulk(std::to_string(us % 1000000));
}

// CONFIG GET answers what redis-benchmark asks before it starts ("save", "appendonly": dkv keeps
// nothing on disk); dkv has no other configuration parameter to show or change.
void Config(Ctx& c) {
  if (!Is(c.args[1], "GET")) {
    return c.Error("ERR unknown subcommand '" + c.args[1] + "'. Try CONFIG HELP.");
  }
  if (c.args.size() < 3) return c.Error("ERR wrong number of arguments for 'config|get' command");
  std::vector<std::string> pairs;
  for (size_t i = 2; i < c.args.size(); ++i) {
    const std::string param = Lower(c.args[i]);
    if (param == "save") pairs.insert(pairs.end(), {"save", ""});
    if (param == "appendonly") pairs.insert(pairs.end(), {"appendonly", "no"});
  }
  c.Local().BulkArray(pairs);
}

void DbSize(Ctx& c) {
  c.AddOp(OpCode::kDbSize);
  c.command->finish = Finish::kReply;
}

void Flush(Ctx& c, OpCode code) {
  if (c.args.size() > 2 ||
      (c.args.size() == 2 && !Is(c.args[1], "ASYNC") && !Is(c.args[1], "SYNC"))) {
    return c.Error(kSyntaxError);
  }
  c.AddOp(code);
  c.command->finish = Finish::kReply;
}

void FlushDb(Ctx& c) { Flush(c, OpCode::kFlushDb); }
void FlushAll(Ctx& c) { Flush(c, OpCode::kFlushAll); }

void RandomKey(Ctx& c) {
  c.AddOp(OpCode::kRandomKey);
  c.command->finish = Finish::kReply;
}

void Info(Ctx& c) {
  bool all = c.args.size() == 1;
  auto wants = [&](std::string_view section) {
    if (all) return true;
    for (size_t i = 1; i < c.args.size(); ++i) {
      if (Is(c.args[i], "ALL") || Is(c.args[i], "DEFAULT") || Is(c.args[i], "EVERYTHING") ||
          Lower(c.args[i]) == section) {
        return true;
      }
    }
    return false;
  };
  std::string text;
  auto line = [&](const std::string& name, const std::string& value) {
    text += name + ":" + value + "\r\n";
  };
  if (wants("server")) {
    utsname uts{};
    uname(&uts);
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - c.started)
                            .count();
    text += "# Server\r\n";
    line("redis_version", kRedisVersion);
    line("redis_mode", "standalone");
    line("dkv_mode", "cluster");
    line("os", std::string(uts.sysname) + " " + uts.release + " " + uts.machine);
    line("arch_bits", std::to_string(sizeof(void*) * 8));
    line("process_id", std::to_string(getpid()));
    line("tcp_port", std::to_string(c.port));
    line("uptime_in_seconds", std::to_string(uptime));
    line("uptime_in_days", std::to_string(uptime / 86400));
    text += "\r\n";
  }
  if (wants("clients")) {
    text += "# Clients\r\n";
    line("connected_clients", std::to_string(c.stats->connected_clients.load()));
    text += "\r\n";
  }
  if (wants("stats")) {
    text += "# Stats\r\n";
    line("total_connections_received", std::to_string(c.stats->total_connections.load()));
    line("total_commands_processed", std::to_string(c.stats->total_commands.load()));
    text += "\r\n";
  }
  if (wants("cluster")) {
    text += "# Cluster\r\n";
    // Redis Cluster's protocol (CLUSTER, MOVED) is not spoken: clients see one big server.
    line("cluster_enabled", "0");
    for (const auto& [name, value] : c.backend->ClusterInfo()) line(name, value);
    text += "\r\n";
  }
  if (!wants("keyspace")) {
    if (text.size() >= 2) text.resize(text.size() - 2);  // no blank line after the last section
    return c.Local().Bulk(text);
  }
  c.command->finish = Finish::kInfo;
  c.command->text = std::move(text);
  for (int32_t db = 0; db < kDatabases; ++db) c.AddOp(OpCode::kDbSize).db = db;
}

// ---- strings ----

void Get(Ctx& c) {
  c.AddOp(OpCode::kGet, std::move(c.args[1]));
  c.command->finish = Finish::kReply;
}

// SET's and GETEX's expire option: EX/PX/EXAT/PXAT <n>. As in Redis 7.0, the option may be
// repeated with the same unit (the last one counts) and its time is checked once every option has
// been read.
struct ExpireOption {
  bool given = false;
  TimeUnit unit = TimeUnit::kSeconds;
  size_t value_arg = 0;  // the index of <n> in args
};

// Reads the expire option at args[*i] into *expire; false after an error reply. *i is left on the
// last argument read.
bool ParseExpireOption(Ctx& c, size_t* i, ExpireOption* expire) {
  const std::string& opt = c.args[*i];
  TimeUnit unit;
  if (Is(opt, "EX")) {
    unit = TimeUnit::kSeconds;
  } else if (Is(opt, "PX")) {
    unit = TimeUnit::kMillis;
  } else if (Is(opt, "EXAT")) {
    unit = TimeUnit::kUnixSeconds;
  } else if (Is(opt, "PXAT")) {
    unit = TimeUnit::kUnixMillis;
  } else {
    c.Error(kSyntaxError);
    return false;
  }
  if ((expire->given && expire->unit != unit) || *i + 1 >= c.args.size()) {
    c.Error(kSyntaxError);
    return false;
  }
  *expire = ExpireOption{true, unit, ++*i};
  return true;
}

// The absolute time `expire` means (0 when none was given); false after an error reply.
bool ExpireAtMs(Ctx& c, const ExpireOption& expire, int64_t* expire_at_ms) {
  *expire_at_ms = 0;
  if (!expire.given) return true;
  int64_t value = 0;
  if (!c.Int(expire.value_arg, &value)) return false;
  if (value <= 0 || !ToAbsoluteMs(value, expire.unit, expire_at_ms)) {
    c.InvalidExpire();
    return false;
  }
  return true;
}

void Set(Ctx& c) {
  int32_t flags = 0;
  ExpireOption expire;
  for (size_t i = 3; i < c.args.size(); ++i) {
    const std::string& opt = c.args[i];
    if (Is(opt, "NX") && !(flags & kXx)) {
      flags |= kNx;
    } else if (Is(opt, "XX") && !(flags & kNx)) {
      flags |= kXx;
    } else if (Is(opt, "GET")) {
      flags |= kGetOld;
    } else if (Is(opt, "KEEPTTL") && !expire.given) {
      flags |= kKeepTtl;
    } else if ((flags & kKeepTtl) || Is(opt, "NX") || Is(opt, "XX") || Is(opt, "KEEPTTL")) {
      return c.Error(kSyntaxError);
    } else if (!ParseExpireOption(c, &i, &expire)) {
      return;
    }
  }
  int64_t expire_at_ms = 0;
  if (!ExpireAtMs(c, expire, &expire_at_ms)) return;
  Op& op = c.AddOp(OpCode::kSet, std::move(c.args[1]));
  op.value = std::move(c.args[2]);
  op.flags = flags;
  op.expire_at_ms = expire_at_ms;
  c.command->finish = Finish::kReply;
}

void SetNx(Ctx& c) {
  Op& op = c.AddOp(OpCode::kSet, std::move(c.args[1]));
  op.value = std::move(c.args[2]);
  op.flags = kNx;
  c.command->finish = Finish::kSetNx;
}

void SetWithExpire(Ctx& c, TimeUnit unit) {
  int64_t value = 0;
  if (!c.Int(2, &value)) return;
  int64_t at_ms = 0;
  if (value <= 0 || !ToAbsoluteMs(value, unit, &at_ms)) return c.InvalidExpire();
  Op& op = c.AddOp(OpCode::kSet, std::move(c.args[1]));
  op.value = std::move(c.args[3]);
  op.expire_at_ms = at_ms;
  c.command->finish = Finish::kReply;
}

void SetEx(Ctx& c) { SetWithExpire(c, TimeUnit::kSeconds); }
void PSetEx(Ctx& c) { SetWithExpire(c, TimeUnit::kMillis); }

void GetSet(Ctx& c) {
  Op& op = c.AddOp(OpCode::kSet, std::move(c.args[1]));
  op.value = std::move(c.args[2]);
  op.flags = kGetOld;
  c.command->finish = Finish::kReply;
}

void GetDel(Ctx& c) {
  c.AddOp(OpCode::kGetDel, std::move(c.args[1]));
  c.command->finish = Finish::kReply;
}

void GetEx(Ctx& c) {
  int32_t flags = 0;
  ExpireOption expire;
  for (size_t i = 2; i < c.args.size(); ++i) {
    if (Is(c.args[i], "PERSIST") && !expire.given) {
      flags |= kPersist;
    } else if ((flags & kPersist) || Is(c.args[i], "PERSIST")) {
      return c.Error(kSyntaxError);
    } else if (!ParseExpireOption(c, &i, &expire)) {
      return;
    }
  }
  int64_t expire_at_ms = 0;
  if (!ExpireAtMs(c, expire, &expire_at_ms)) return;
  Op& op = c.AddOp(OpCode::kGetEx, std::move(c.args[1]));
  op.flags = flags;
  op.expire_at_ms = expire_at_ms;
  c.command->finish = Finish::kReply;
}

void MGet(Ctx& c) {
  for (size_t i = 1; i < c.args.size(); ++i) c.AddOp(OpCode::kGet, std::move(c.args[i]));
  c.command->finish = Finish::kArray;
}

void MSet(Ctx& c) {
  if (c.args.size() % 2 == 0) return c.WrongArity();
  for (size_t i = 1; i < c.args.size(); i += 2) {
    c.AddOp(OpCode::kSet, std::move(c.args[i])).value = std::move(c.args[i + 1]);
  }
  c.command->finish = Finish::kOk;
}

void MSetNx(Ctx& c) {
  if (c.args.size() % 2 == 0) return c.WrongArity();
  Op& op = c.AddOp(OpCode::kMSetNx, c.args[1]);
  op.args.assign(std::make_move_iterator(c.args.begin() + 1),
                 std::make_move_iterator(c.args.end()));
  c.command->finish = Finish::kReply;
}

void Append(Ctx& c) {
  c.AddOp(OpCode::kAppend, std::move(c.args[1])).value = std::move(c.args[2]);
  c.command->finish = Finish::kReply;
}

void Strlen(Ctx& c) {
  c.AddOp(OpCode::kStrlen, std::move(c.args[1]));
  c.command->finish = Finish::kReply;
}

void IncrBy(Ctx& c, int64_t delta) {
  c.AddOp(OpCode::kIncrBy, std::move(c.args[1])).arg1 = delta;
  c.command->finish = Finish::kReply;
}

void Incr(Ctx& c) { IncrBy(c, 1); }
void Decr(Ctx& c) { IncrBy(c, -1); }

void IncrByCommand(Ctx& c) {
  int64_t delta = 0;
  if (!c.Int(2, &delta)) return;
  IncrBy(c, delta);
}

void DecrByCommand(Ctx& c) {
  int64_t delta = 0;
  if (!c.Int(2, &delta)) return;
  if (delta == INT64_MIN) return c.Error("ERR decrement would overflow");
  IncrBy(c, -delta);
}

void IncrByFloat(Ctx& c) {
  if (!IsFloat(c.args[2])) return c.Error(kNotFloat);
  c.AddOp(OpCode::kIncrByFloat, std::move(c.args[1])).value = std::move(c.args[2]);
  c.command->finish = Finish::kReply;
}

void GetRange(Ctx& c) {
  int64_t start = 0;
  int64_t end = 0;
  if (!c.Int(2, &start) || !c.Int(3, &end)) return;
  Op& op = c.AddOp(OpCode::kGetRange, std::move(c.args[1]));
  op.arg1 = start;
  op.arg2 = end;
  c.command->finish = Finish::kReply;
}

void SetRange(Ctx& c) {
  int64_t offset = 0;
  if (!c.Int(2, &offset)) return;
  if (offset < 0) return c.Error("ERR offset is out of range");
  Op& op = c.AddOp(OpCode::kSetRange, std::move(c.args[1]));
  op.arg1 = offset;
  op.value = std::move(c.args[3]);
  c.command->finish = Finish::kReply;
}

// ---- keys ----

void EachKey(Ctx& c, OpCode code) {
  for (size_t i = 1; i < c.args.size(); ++i) c.AddOp(code, std::move(c.args[i]));
  c.command->finish = Finish::kSum;
}

void Del(Ctx& c) { EachKey(c, OpCode::kDel); }
void Exists(Ctx& c) { EachKey(c, OpCode::kExists); }

void Type(Ctx& c) {
  c.AddOp(OpCode::kType, std::move(c.args[1]));
  c.command->finish = Finish::kReply;
}

void ExpireGeneric(Ctx& c, TimeUnit unit) {
  int32_t flags = 0;
  for (size_t i = 3; i < c.args.size(); ++i) {
    const std::string& opt = c.args[i];
    if (Is(opt, "NX")) {
      flags |= kNx;
    } else if (Is(opt, "XX")) {
      flags |= kXx;
    } else if (Is(opt, "GT")) {
      flags |= kGt;
    } else if (Is(opt, "LT")) {
      flags |= kLt;
    } else {
      return c.Error("ERR Unsupported option " + opt);
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) {
    return c.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & kGt) && (flags & kLt)) {
    return c.Error("ERR GT and LT options at the same time are not compatible");
  }
  // As Redis 7.0: the options are checked before the time.
  int64_t value = 0;
  if (!c.Int(2, &value)) return;
  int64_t at_ms = 0;
  if (!ToAbsoluteMs(value, unit, &at_ms)) return c.InvalidExpire();
  Op& op = c.AddOp(OpCode::kExpire, std::move(c.args[1]));
  // 0 means "no expiry" on the wire; any time not after the epoch is simply in the past.
  op.expire_at_ms = std::max<int64_t>(at_ms, 1);
  op.flags = flags;
  c.command->finish = Finish::kReply;
}

void Expire(Ctx& c) { ExpireGeneric(c, TimeUnit::kSeconds); }
void PExpire(Ctx& c) { ExpireGeneric(c, TimeUnit::kMillis); }
void ExpireAt(Ctx& c) { ExpireGeneric(c, TimeUnit::kUnixSeconds); }
void PExpireAt(Ctx& c) { ExpireGeneric(c, TimeUnit::kUnixMillis); }

void Ttl(Ctx& c) {
  c.AddOp(OpCode::kPTtl, std::move(c.args[1]));
  c.command->finish = Finish::kSeconds;
}

void PTtl(Ctx& c) {
  c.AddOp(OpCode::kPTtl, std::move(c.args[1]));
  c.command->finish = Finish::kReply;
}

void Persist(Ctx& c) {
  c.AddOp(OpCode::kPersist, std::move(c.args[1]));
  c.command->finish = Finish::kReply;
}

// The slot count SCAN and KEYS walk; 0 (after an error reply) when the cluster has no slot map.
int32_t SlotsToWalk(Ctx& c) {
  const int32_t slots = c.backend->SlotCount();
  if (slots == 0) c.Error("ERR the cluster has no slot map yet: no data node has joined");
  return slots;
}

// SCAN's cursor is a slot number: each call returns every key of the next COUNT slots (at least
// one), so a full iteration visits each slot once, and a key present throughout is returned once.
void Scan(Ctx& c) {
  int64_t cursor = 0;
  if (!ParseRedisInt64(c.args[1], &cursor) || cursor < 0) return c.Error("ERR invalid cursor");
  int64_t count = 10;
  std::string pattern;
  bool strings = true;  // TYPE: every dkv key is a string
  for (size_t i = 2; i < c.args.size(); ++i) {
    const bool more = i + 1 < c.args.size();
    if (Is(c.args[i], "COUNT") && more) {
      if (!c.Int(++i, &count)) return;
      if (count < 1) return c.Error(kSyntaxError);
    } else if (Is(c.args[i], "MATCH") && more) {
      pattern = c.args[++i];
    } else if (Is(c.args[i], "TYPE") && more) {
      strings = Is(c.args[++i], "STRING");
    } else {
      return c.Error(kSyntaxError);
    }
  }
  const int32_t slots = SlotsToWalk(c);
  if (slots == 0) return;
  // Compared before adding: cursor + count may overflow.
  const int64_t end = cursor >= slots - count ? slots : cursor + count;
  c.command->finish = Finish::kScan;
  c.command->text = end >= slots ? "0" : std::to_string(end);
  for (int64_t slot = cursor; strings && slot < end; ++slot) {
    Op& op = c.AddOp(OpCode::kScan);
    op.arg1 = slot;
    op.value = pattern;
  }
}

void Keys(Ctx& c) {
  const int32_t slots = SlotsToWalk(c);
  if (slots == 0) return;
  c.command->finish = Finish::kKeys;
  for (int32_t slot = 0; slot < slots; ++slot) {
    Op& op = c.AddOp(OpCode::kScan);
    op.arg1 = slot;
    op.value = c.args[1];
  }
}

// ---- the table ----

// Each command's handler, by lower-case name. Arity comes from the command catalog
// (common/command_catalog.h), except for CONFIG, which is not in it: its handler checks.
struct Handler {
  int arity;
  void (*handle)(Ctx&);
};

const std::unordered_map<std::string, Handler>& Table() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string, Handler>{
        {"ping", {0, Ping}},
        {"command", {0, Command}},
        {"echo", {0, Echo}},
        {"quit", {0, Quit}},
        {"select", {0, Select}},
        {"hello", {0, Hello}},
        {"client", {0, Client}},
        {"config", {-2, Config}},
        {"info", {0, Info}},
        {"dbsize", {0, DbSize}},
        {"time", {0, Time}},
        {"flushdb", {0, FlushDb}},
        {"flushall", {0, FlushAll}},
        {"randomkey", {0, RandomKey}},
        {"get", {0, Get}},
        {"set", {0, Set}},
        {"setnx", {0, SetNx}},
        {"setex", {0, SetEx}},
        {"psetex", {0, PSetEx}},
        {"getset", {0, GetSet}},
        {"getdel", {0, GetDel}},
        {"getex", {0, GetEx}},
        {"mget", {0, MGet}},
        {"mset", {0, MSet}},
        {"msetnx", {0, MSetNx}},
        {"append", {0, Append}},
        {"strlen", {0, Strlen}},
        {"incr", {0, Incr}},
        {"decr", {0, Decr}},
        {"incrby", {0, IncrByCommand}},
        {"decrby", {0, DecrByCommand}},
        {"incrbyfloat", {0, IncrByFloat}},
        {"getrange", {0, GetRange}},
        {"setrange", {0, SetRange}},
        {"del", {0, Del}},
        {"unlink", {0, Del}},
        {"exists", {0, Exists}},
        {"type", {0, Type}},
        {"expire", {0, Expire}},
        {"pexpire", {0, PExpire}},
        {"expireat", {0, ExpireAt}},
        {"pexpireat", {0, PExpireAt}},
        {"ttl", {0, Ttl}},
        {"pttl", {0, PTtl}},
        {"persist", {0, Persist}},
        {"scan", {0, Scan}},
        {"keys", {0, Keys}},
    };
    for (auto& [name, handler] : *t) {
      if (const dkv::CommandSpec* spec = FindCommand(name)) handler.arity = spec->arity;
    }
    return t;
  }();
  return *table;
}

std::string UnknownCommand(const Args& args) {
  // As Redis's processCommand: the name cut to 128 bytes, and arguments while they fit in 128.
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    listed += "'" + args[i].substr(0, 128 - listed.size()) + "' ";
  }
  return "ERR unknown command '" + args[0].substr(0, 128) +
         "', with args beginning with: " + listed;
}

bool IsError(const Reply& r) { return r.error.has_value() || r.type == Reply::Type::kError; }

}  // namespace

RespCommands::RespCommands(RespBackend* backend, const RespStats* stats, int port)
    : backend_(backend), stats_(stats), port_(port), started_(std::chrono::steady_clock::now()) {}

void RespCommands::Plan(std::vector<std::string>& args, RespSession* session,
                        std::vector<Op>* batch, PlannedCommand* command) const {
  *command = PlannedCommand();
  Ctx c{args, session, batch, command, backend_, stats_, port_, started_, Lower(args[0])};
  const auto& table = Table();
  auto it = table.find(c.name);
  if (it == table.end()) return c.Error(UnknownCommand(args));
  const int arity = it->second.arity;
  const auto argc = static_cast<int>(args.size());
  if ((arity > 0 && argc != arity) || (arity < 0 && argc < -arity)) return c.WrongArity();
  it->second.handle(c);
}

void RespCommands::Finish(const PlannedCommand& command, std::vector<Reply>& replies,
                          std::string* buffer) const {
  resp::ReplyWriter writer(buffer);
  resp::ReplyWriter* out = &writer;
  Reply* r = replies.data() + command.first_op;
  const size_t n = command.op_count;
  // A command's ops fail together or not at all as far as its caller can tell: the first error is
  // its reply (MGET, MSET, DEL over several nodes). A local reply has no ops (Ctx::Local).
  for (size_t i = 0; i < n; ++i) {
    if (IsError(r[i])) return out->Write(r[i]);
  }
  switch (command.finish) {
    case Finish::kLocal:
      buffer->append(command.text);
      return;
    case Finish::kReply:
      out->Write(r[0]);
      return;
    case Finish::kSum: {
      int64_t sum = 0;
      for (size_t i = 0; i < n; ++i) sum += r[i].integer;
      out->Integer(sum);
      return;
    }
    case Finish::kArray:
      out->ArrayHeader(n);
      for (size_t i = 0; i < n; ++i) out->Write(r[i]);
      return;
    case Finish::kOk:
      out->SimpleString("OK");
      return;
    case Finish::kSetNx:
      out->Integer(r[0].type == Reply::Type::kNil ? 0 : 1);
      return;
    case Finish::kSeconds:
      out->Integer(r[0].integer < 0 ? r[0].integer : (r[0].integer + 500) / 1000);
      return;
    case Finish::kScan:
    case Finish::kKeys: {
      size_t keys = 0;
      for (size_t i = 0; i < n; ++i) keys += r[i].elements.size();
      if (command.finish == Finish::kScan) {
        out->ArrayHeader(2);
        out->Bulk(command.text);
      }
      out->ArrayHeader(keys);
      for (size_t i = 0; i < n; ++i) {
        for (const std::string& key : r[i].elements) out->Bulk(key);
      }
      return;
    }
    case Finish::kInfo: {
      std::string text = command.text + "# Keyspace\r\n";
      for (size_t db = 0; db < n; ++db) {
        if (r[db].integer == 0) continue;
        // dkv does not count the keys with an expiry: expires and avg_ttl stay 0.
        text += "db" + std::to_string(db) + ":keys=" + std::to_string(r[db].integer) +
                ",expires=0,avg_ttl=0\r\n";
      }
      out->Bulk(text);
      return;
    }
  }
}

}  // namespace dkv::server
