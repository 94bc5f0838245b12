// RespCommands: what each Redis command of the RESP front end means in dkv (docs/resp.md).
//
// A command is handled in two steps so that the commands of many connections can share one batch
// per data node. Plan() checks the arguments (arity, syntax, integers: Redis 7's error texts),
// applies what is local to the connection (SELECT, CLIENT SETNAME, QUIT) and either renders the
// reply at once (connection and server commands, errors) or appends the dkv::Ops the command needs
// to the batch. After the batch is executed, Finish() turns the ops' replies into the command's
// RESP reply (MGET's array, DEL's sum, TTL's seconds, SCAN's cursor...). Relative times (EX, PX,
// EXPIRE) become absolute expire_at_ms with this server's clock at Plan() time.
//
// Thread-safe: the I/O threads of the RespServer share one RespCommands; each RespSession is used
// by the thread that owns its connection.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/op.h"
#include "server/resp_backend.h"

namespace dkv::server {

// The state of one RESP connection that commands read and change.
struct RespSession {
  int64_t id = 0;        // CLIENT ID
  int32_t db = 0;        // SELECT
  std::string name;      // CLIENT SETNAME
  bool closing = false;  // QUIT: close once the replies so far are written
};

// One command after Plan(): its ops are batch[first_op, first_op + op_count).
struct PlannedCommand {
  enum class Finish : uint8_t {
    kLocal,    // `text` is the whole reply
    kReply,    // the one op's reply as it is
    kSum,      // DEL, UNLINK, EXISTS: the sum of the ops' integers
    kArray,    // MGET: an array of the ops' bulk/nil replies
    kOk,       // MSET: +OK once every op succeeded
    kSetNx,    // SETNX: 1 if the SET NX was done, 0 if not
    kSeconds,  // TTL: PTTL's milliseconds in seconds, rounded
    kScan,     // SCAN: [`text` = next cursor, the ops' keys]
    kKeys,     // KEYS: the ops' keys
    kInfo,     // INFO: `text`, then the keyspace section from one DBSIZE per database
  };
  Finish finish = Finish::kLocal;
  size_t first_op = 0;
  size_t op_count = 0;
  std::string text;
};

// Counters shown by INFO; kept up to date by the RespServer.
struct RespStats {
  std::atomic<int64_t> connected_clients{0};
  std::atomic<int64_t> total_connections{0};
  std::atomic<int64_t> total_commands{0};
};

class RespCommands {
 public:
  // `backend` and `stats` must outlive it; `port` is shown by INFO.
  RespCommands(RespBackend* backend, const RespStats* stats, int port);
  RespCommands(const RespCommands&) = delete;
  RespCommands& operator=(const RespCommands&) = delete;

  // Plans `args` (a command, at least one argument) of `session`: appends its ops to `batch`
  // (possibly none) and fills *command.
  void Plan(std::vector<std::string>& args, RespSession* session, std::vector<Op>* batch,
            PlannedCommand* command) const;

  // Appends the reply of `command` to `out`; `replies` answers the batch Plan() appended to.
  void Finish(const PlannedCommand& command, std::vector<Reply>& replies, std::string* out) const;

  // Next connection id (CLIENT ID), from 1.
  int64_t NewClientId() { return next_client_id_.fetch_add(1) + 1; }

 private:
  RespBackend* const backend_;
  const RespStats* const stats_;
  const int port_;
  const std::chrono::steady_clock::time_point started_;
  std::atomic<int64_t> next_client_id_{0};
};

}  // namespace dkv::server
