// RespConnection: one client connection of the RESP front end: its nonblocking socket, request
// parser, session (db, name, id) and the replies it still has to send.
//
// Each round of its I/O thread: ReadAndPlan() reads what the socket has and plans every complete
// command (RespCommands::Plan) into the round's shared batch; once the batch is executed,
// FinishCommands() writes their replies in the order the commands came, then Flush() sends what
// the socket takes. A protocol error is answered with its error reply, after the replies of the
// commands before it, and the connection closes once that is sent (as Redis does).
//
// Not thread-safe: owned and used by one I/O thread of the RespServer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/op.h"
#include "server/resp/reply_writer.h"
#include "server/resp/request_parser.h"
#include "server/resp_commands.h"

namespace dkv::server {

class RespConnection {
 public:
  // Takes ownership of `fd` (a connected, nonblocking socket).
  RespConnection(int fd, int64_t id, const resp::RequestLimits& limits);
  ~RespConnection();  // closes the socket
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;

  int fd() const { return fd_; }

  // Reads up to about `budget` bytes and plans the complete commands among what was read,
  // appending their ops to `batch`. Returns how many commands it planned.
  size_t ReadAndPlan(const RespCommands& commands, std::vector<Op>* batch, size_t budget);
  // Appends the replies of the commands planned since the last call; `replies` answers the batch.
  void FinishCommands(const RespCommands& commands, std::vector<Reply>& replies);
  // Sends as much of the pending replies as the socket takes without blocking.
  void Flush();

  // Replies wait to be sent (the socket was full).
  bool has_output() const { return out_sent_ < out_.size(); }
  // Finished: the peer left or the socket failed, or it is closing (QUIT, protocol error) and
  // everything is sent. The owner then destroys it.
  bool done() const;

 private:
  const int fd_;
  RespSession session_;
  resp::RequestParser parser_;
  std::vector<std::string> args_;        // the command being planned (reused)
  std::vector<PlannedCommand> planned_;  // planned, not finished yet
  size_t planned_count_ = 0;             // in use of planned_ (its elements are reused)
  std::string out_;
  size_t out_sent_ = 0;
  bool peer_closed_ = false;
  bool failed_ = false;
};

}  // namespace dkv::server
