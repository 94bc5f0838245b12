#include "server/resp_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace dkv::server {
namespace {

constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

RespConnection::RespConnection(int fd, int64_t id, const resp::RequestLimits& limits)
    : fd_(fd), parser_(limits) {
  session_.id = id;
}

RespConnection::~RespConnection() { ::close(fd_); }

bool RespConnection::done() const {
  return failed_ || ((peer_closed_ || session_.closing) && !has_output() && planned_count_ == 0);
}

size_t RespConnection::ReadAndPlan(const RespCommands& commands, std::vector<Op>* batch,
                                   size_t budget) {
  size_t read_bytes = 0;
  // Read into a scratch buffer and append what came: a request is usually tens of bytes, and
  // growing the parser's string by a whole chunk before each read(2) would zero-fill 16 KiB per
  // request (4% of the master's CPU under redis-benchmark -c 50). A big bulk argument is reserved
  // whole by the parser, so its appends do not reallocate.
  char chunk[kReadChunk];
  while (!session_.closing && read_bytes < budget) {
    const ssize_t n = ::read(fd_, chunk, kReadChunk);
    if (n > 0) {
      parser_.Append(std::string_view(chunk, static_cast<size_t>(n)));
      read_bytes += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < kReadChunk) break;  // drained for now
      continue;
    }
    if (n == 0) {
      peer_closed_ = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      failed_ = true;
    }
    break;
  }
  size_t planned = 0;
  while (!session_.closing && !failed_) {
    const auto outcome = parser_.Next(&args_);
    if (outcome == resp::RequestParser::Outcome::kNeedMore) break;
    if (planned_count_ == planned_.size()) planned_.emplace_back();
    PlannedCommand& command = planned_[planned_count_++];
    if (outcome == resp::RequestParser::Outcome::kError) {
      command = PlannedCommand();
      resp::ReplyWriter(&command.text).Error(parser_.error());
      session_.closing = true;
      break;
    }
    commands.Plan(args_, &session_, batch, &command);
    ++planned;
  }
  return planned;
}

void RespConnection::FinishCommands(const RespCommands& commands, std::vector<Reply>& replies) {
  for (size_t i = 0; i < planned_count_; ++i) commands.Finish(planned_[i], replies, &out_);
  planned_count_ = 0;
}

void RespConnection::Flush() {
  while (has_output() && !failed_) {
    const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n >= 0) {
      out_sent_ += static_cast<size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else if (errno != EINTR) {
      failed_ = true;
    }
  }
  if (!has_output()) {
    out_.clear();
    out_sent_ = 0;
  }
}

}  // namespace dkv::server
