#include "client/retrying_caller.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "common/deadline.h"

namespace dkv::client {
namespace {

// Following a hint costs no wait; more than this many in a row (standbys pointing at each other
// during an election) and we back off like any other failure.
constexpr int kMaxImmediateRedirects = 3;

}  // namespace

RetryingCaller::RetryingCaller(MasterFinder* finder, MasterStubFactory factory, std::string cluster,
                               std::string zookeeper, RetryBackoff backoff)
    : finder_(finder),
      factory_(std::move(factory)),
      cluster_(std::move(cluster)),
      zookeeper_(std::move(zookeeper)),
      backoff_(backoff) {}

std::shared_ptr<MasterStub> RetryingCaller::StubFor(const HostPort& address) {
  MutexLock l(&mu_);
  if (!stub_ || !(stub_->address() == address)) {
    // Callers still running on the old stub keep it alive until they return.
    stub_ = std::shared_ptr<MasterStub>(factory_(address));
  }
  return stub_;
}

Status RetryingCaller::Run(const char* op, std::chrono::milliseconds timeout,
                           const Attempt& attempt) {
  const Deadline deadline = Deadline::After(timeout);
  std::chrono::milliseconds backoff = backoff_.initial;
  int redirects = 0;
  Status last;
  while (true) {
    bool retry_now = false;
    Result<HostPort> address = finder_->Find();
    if (!address.ok()) {
      last = address.status();
    } else {
      std::shared_ptr<MasterStub> stub = StubFor(*address);
      std::string hint;
      // An attempt always gets at least 1 ms: a zero timeout would mean "the pool's default".
      const auto left = std::max(deadline.Remaining(), std::chrono::milliseconds(1));
      Status s = attempt(*stub, left, &hint);
      if (s.ok()) return s;
      if (s.IsNotMaster()) {
        last = s.CloneAndPrepend("server " + address->ToString());
        finder_->Redirect(*address, hint);
        retry_now =
            !hint.empty() && hint != address->ToString() && ++redirects <= kMaxImmediateRedirects;
      } else if (s.IsUnavailable()) {
        last = s;
        finder_->Forget(*address);
      } else {
        return s;
      }
    }
    if (deadline.Expired()) break;
    if (!retry_now) {
      std::this_thread::sleep_for(std::min(backoff, deadline.Remaining()));
      backoff = std::min(backoff * 2, backoff_.max);
      redirects = 0;
      if (deadline.Expired()) break;
    }
  }
  return Status::Unavailable("no master for cluster '" + cluster_ + "' at ZooKeeper " + zookeeper_ +
                             " answered " + op + " within " + std::to_string(timeout.count()) +
                             " ms; last error: " + last.ToString());
}

Status RetryingCaller::RunOnce(std::chrono::milliseconds timeout, const Attempt& attempt) {
  DKV_ASSIGN_OR_RETURN(HostPort address, finder_->Find());
  std::shared_ptr<MasterStub> stub = StubFor(address);
  std::string hint;
  Status s = attempt(*stub, timeout, &hint);
  if (s.IsUnavailable()) finder_->Forget(address);
  return s;
}

}  // namespace dkv::client
