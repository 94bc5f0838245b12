#include "client/master_finder.h"

#include "common/metadata.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::client {

MasterFinder::MasterFinder(coord::Coordinator* coordinator, const std::string& cluster)
    : coordinator_(coordinator), paths_(cluster), cache_(std::make_shared<Cache>()) {}

void MasterFinder::Invalidate(Cache* cache) {
  MutexLock l(&cache->mu);
  cache->master.reset();
  ++cache->generation;
}

Result<HostPort> MasterFinder::Find() {
  uint64_t generation;
  {
    MutexLock l(&cache_->mu);
    if (cache_->master) return *cache_->master;
    generation = cache_->generation;
  }
  auto fail = [](const std::string& why) { return Status::Unavailable(why); };
  std::weak_ptr<Cache> weak = cache_;
  auto watch = [weak] {
    if (auto cache = weak.lock()) Invalidate(cache.get());
  };
  Result<coord::NodeData> node = coordinator_->Get(paths_.master(), watch);
  if (!node.ok()) {
    if (node.status().IsNotFound()) {
      // No master yet. Nothing is watched then; the caller retries after a backoff.
      return fail("no master elected (" + paths_.master() + " does not exist)");
    }
    return fail("reading " + paths_.master() + ": " + node.status().ToString());
  }
  MasterInfo info;
  Status s = rpc::DecodeMaster(node->data, &info);
  if (!s.ok()) return fail(paths_.master() + ": " + s.ToString());
  Result<HostPort> address = ParseHostPort(info.address);
  if (!address.ok()) return fail(paths_.master() + ": " + address.status().ToString());

  MutexLock l(&cache_->mu);
  cache_->limits = info.limits;
  // A watch that fired while we read means what we read may already be stale: answer it, but do
  // not cache it, so the next Find reads again.
  if (cache_->generation == generation) cache_->master = *address;
  return address;
}

void MasterFinder::Forget(const HostPort& address) {
  MutexLock l(&cache_->mu);
  if (cache_->master && *cache_->master == address) {
    cache_->master.reset();
    ++cache_->generation;
  }
}

void MasterFinder::Redirect(const HostPort& from, const std::string& to) {
  Result<HostPort> target =
      to.empty() ? Result<HostPort>(Status::InvalidArgument("no hint")) : ParseHostPort(to);
  MutexLock l(&cache_->mu);
  // Only the caller that saw the cached address fail moves it: a late NOT_MASTER from an older
  // master must not undo what a newer read found.
  if (cache_->master && !(*cache_->master == from)) return;
  ++cache_->generation;
  if (target.ok()) {
    cache_->master = *target;
  } else {
    cache_->master.reset();
  }
}

void MasterFinder::OnSessionExpired() { Invalidate(cache_.get()); }

Limits MasterFinder::CurrentLimits() {
  {
    MutexLock l(&cache_->mu);
    if (cache_->limits) return *cache_->limits;
  }
  (void)Find();  // a failure here is the call's to report, after its retries
  MutexLock l(&cache_->mu);
  return cache_->limits.value_or(Limits{});
}

}  // namespace dkv::client
