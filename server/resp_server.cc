#include "server/resp_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "common/logging.h"
#include "server/resp_connection.h"

namespace dkv::server {
namespace {

// How much one connection may have read in one round before the others get their turn.
constexpr size_t kReadBudget = 256 * 1024;
constexpr int kMaxEvents = 256;
// Once a round's batch holds this many ops, the connections still ready wait for the next round
// (epoll reports them again), so a batch stays under RpcServer's list bound: at most this, plus
// what one connection plans from one read (kReadBudget, and one command of up to
// RequestLimits::max_array_elements arguments completed by it).
constexpr size_t kMaxRoundOps = 64 * 1024;
// How long the listener rests when the process is out of file descriptors.
constexpr std::chrono::milliseconds kAcceptPause{100};

// epoll tags that are not connections.
char kListenTag;
char kWakeTag;

}  // namespace

struct RespServer::IoThread {
  int epoll_fd = -1;
  int wake_fd = -1;  // eventfd: a new connection in `inbox`, or Stop()
  std::thread thread;
  Mutex mu;
  std::vector<int> inbox GUARDED_BY(mu);  // accepted sockets dealt to this thread
  // Used by the thread only.
  std::unordered_map<RespConnection*, std::unique_ptr<RespConnection>> connections;
  std::unordered_map<RespConnection*, uint32_t> interest;  // the epoll events registered
  // The accepting thread: when it watches the listener again after running out of descriptors.
  std::optional<std::chrono::steady_clock::time_point> accept_resumes;

  ~IoThread() {
    connections.clear();
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }
};

Result<std::unique_ptr<RespServer>> RespServer::Start(const RespServerOptions& options,
                                                      RespBackend* backend) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.listen.port);
  const int rc = ::getaddrinfo(options.listen.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return Status::IoError("RESP listen address " + options.listen.ToString() + ": " +
                           ::gai_strerror(rc));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 511) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return Status::IoError("cannot listen for RESP on " + options.listen.ToString() + ": " + error);
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  const int bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  std::unique_ptr<RespServer> server(new RespServer(options, backend, fd, bound_port));
  for (auto& io : server->io_threads_) {
    IoThread* raw = io.get();
    io->thread = std::thread([s = server.get(), raw] { s->Run(raw); });
  }
  return server;
}

RespServer::RespServer(const RespServerOptions& options, RespBackend* backend, int listen_fd,
                       int port)
    : options_(options),
      backend_(backend),
      listen_fd_(listen_fd),
      port_(port),
      commands_(backend, &stats_, port) {
  const int threads = std::max(1, options.io_threads);
  for (int i = 0; i < threads; ++i) {
    auto io = std::make_unique<IoThread>();
    io->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    io->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    DKV_CHECK(io->epoll_fd >= 0 && io->wake_fd >= 0) << std::strerror(errno);
    epoll_event wake{EPOLLIN, {&kWakeTag}};
    DKV_CHECK(::epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, io->wake_fd, &wake) == 0);
    if (i == 0) {
      epoll_event accept{EPOLLIN, {&kListenTag}};
      DKV_CHECK(::epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, listen_fd_, &accept) == 0);
    }
    io_threads_.push_back(std::move(io));
  }
}

RespServer::~RespServer() { Stop(); }

void RespServer::Stop() {
  if (stopping_.exchange(true)) return;
  for (auto& io : io_threads_) {
    const uint64_t one = 1;
    (void)!::write(io->wake_fd, &one, sizeof(one));
  }
  for (auto& io : io_threads_) {
    if (io->thread.joinable()) io->thread.join();
  }
  io_threads_.clear();
  ::close(listen_fd_);
}

void RespServer::AcceptAll(IoThread* io) {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: the pending connection would keep the listener readable and this
        // loop spinning. Stop watching the listener for a while; new clients wait in the
        // backlog until descriptors are free again.
        DKV_LOG(WARNING) << "RESP accept: " << std::strerror(errno) << "; not accepting for "
                         << kAcceptPause.count() << " ms";
        epoll_event paused{0, {&kListenTag}};
        ::epoll_ctl(io->epoll_fd, EPOLL_CTL_MOD, listen_fd_, &paused);
        io->accept_resumes = std::chrono::steady_clock::now() + kAcceptPause;
        return;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        DKV_LOG(WARNING) << "RESP accept: " << std::strerror(errno);
      }
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    stats_.total_connections.fetch_add(1, std::memory_order_relaxed);
    IoThread* target = io_threads_[next_io_.fetch_add(1) % io_threads_.size()].get();
    if (target == io) {
      Adopt(io, fd);
      continue;
    }
    {
      MutexLock l(&target->mu);
      target->inbox.push_back(fd);
    }
    const uint64_t one_event = 1;
    (void)!::write(target->wake_fd, &one_event, sizeof(one_event));
  }
}

void RespServer::Adopt(IoThread* io, int fd) {
  auto conn = std::make_unique<RespConnection>(fd, commands_.NewClientId(), options_.limits);
  RespConnection* raw = conn.get();
  epoll_event event{EPOLLIN, {raw}};
  if (::epoll_ctl(io->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    DKV_LOG(WARNING) << "RESP connection: epoll: " << std::strerror(errno);
    return;  // the connection closes
  }
  io->connections.emplace(raw, std::move(conn));
  io->interest.emplace(raw, EPOLLIN);
  stats_.connected_clients.fetch_add(1, std::memory_order_relaxed);
}

void RespServer::Run(IoThread* io) {
  epoll_event events[kMaxEvents];
  std::vector<Op> batch;
  std::vector<RespConnection*> active;
  while (!stopping_.load(std::memory_order_acquire)) {
    int timeout_ms = -1;
    if (io->accept_resumes) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= *io->accept_resumes) {
        epoll_event accept{EPOLLIN, {&kListenTag}};
        ::epoll_ctl(io->epoll_fd, EPOLL_CTL_MOD, listen_fd_, &accept);
        io->accept_resumes.reset();
      } else {
        timeout_ms = static_cast<int>(
            std::chrono::ceil<std::chrono::milliseconds>(*io->accept_resumes - now).count());
      }
    }
    const int n = ::epoll_wait(io->epoll_fd, events, kMaxEvents, timeout_ms);
    if (n < 0) {
      DKV_CHECK(errno == EINTR) << "epoll_wait: " << std::strerror(errno);
      continue;
    }
    active.clear();
    size_t commands = 0;
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &kListenTag) {
        AcceptAll(io);
      } else if (tag == &kWakeTag) {
        uint64_t count = 0;
        (void)!::read(io->wake_fd, &count, sizeof(count));
        std::vector<int> inbox;
        {
          MutexLock l(&io->mu);
          inbox.swap(io->inbox);
        }
        for (int fd : inbox) Adopt(io, fd);
      } else {
        auto* conn = static_cast<RespConnection*>(tag);
        if (events[i].events & EPOLLOUT) conn->Flush();
        if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && batch.size() < kMaxRoundOps) {
          commands += conn->ReadAndPlan(commands_, &batch, kReadBudget);
        }
        active.push_back(conn);
      }
    }
    if (stopping_.load(std::memory_order_acquire)) break;
    stats_.total_commands.fetch_add(static_cast<int64_t>(commands), std::memory_order_relaxed);
    // The round's one batch: the commands of every ready connection, one call per data node.
    std::vector<Reply> replies;
    if (!batch.empty()) {
      replies = backend_->Execute(std::move(batch));
      batch.clear();
    }
    for (RespConnection* conn : active) {
      conn->FinishCommands(commands_, replies);
      conn->Flush();
      if (conn->done()) {
        ::epoll_ctl(io->epoll_fd, EPOLL_CTL_DEL, conn->fd(), nullptr);
        io->interest.erase(conn);
        io->connections.erase(conn);
        stats_.connected_clients.fetch_sub(1, std::memory_order_relaxed);
        continue;
      }
      // Replies the socket did not take: wait until it can, and read nothing more meanwhile.
      const uint32_t wanted = conn->has_output() ? EPOLLOUT : EPOLLIN;
      uint32_t& registered = io->interest[conn];
      if (registered != wanted) {
        epoll_event event{wanted, {conn}};
        ::epoll_ctl(io->epoll_fd, EPOLL_CTL_MOD, conn->fd(), &event);
        registered = wanted;
      }
    }
  }
  stats_.connected_clients.fetch_sub(static_cast<int64_t>(io->connections.size()),
                                     std::memory_order_relaxed);
  io->connections.clear();
}

}  // namespace dkv::server
