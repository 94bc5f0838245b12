#include "server/election.h"

#include <algorithm>

#include "common/logging.h"
#include "common/rpc/metadata_codec.h"

namespace dkv::server {

Election::Election(coord::Coordinator* coord, const coord::ClusterPaths& paths, MemberInfo self,
                   Listener* listener)
    : coord_(coord), paths_(paths), self_(std::move(self)), listener_(listener) {}

Status Election::Start() {
  {
    MutexLock l(&check_mu_);
    DKV_RETURN_NOT_OK(coord_->CreateAll(paths_.servers()));
    DKV_RETURN_NOT_OK(Register());
  }
  Check();
  return Status::OK();
}

Status Election::Register() {
  std::string created;
  DKV_RETURN_NOT_OK_PREPEND(coord_->Create(paths_.server_prefix(), rpc::EncodeMember(self_),
                                           coord::NodeMode::kEphemeralSequential, &created),
                            "registering in " + paths_.servers());
  id_ = created.substr(created.rfind('/') + 1);
  DKV_LOG(INFO) << "registered as " << id_ << " (" << self_.address << ")";
  return Status::OK();
}

void Election::Rejoin() {
  {
    MutexLock l(&check_mu_);
    if (left_) return;
    Demote("its ZooKeeper session expired", false);
    watched_.clear();  // the old session's watches are gone
  }
  Check();  // registers again: our node went with the session
}

void Election::Leave() {
  MutexLock l(&check_mu_);
  if (left_) return;
  left_ = true;
  Demote("it is shutting down", true);
  if (!id_.empty()) {
    Status s = coord_->Delete(paths_.servers() + "/" + id_);
    if (!s.ok() && !s.IsNotFound()) DKV_LOG(WARNING) << "leaving servers/: " << s.ToString();
  }
}

std::string Election::id() const {
  MutexLock l(&check_mu_);
  return id_;
}

void Election::Check() {
  MutexLock l(&check_mu_);
  if (left_) return;
  Status s = CheckLocked();
  // A failure here means ZooKeeper is unreachable; the session listener re-runs the election
  // when the connection or a new session comes back.
  if (!s.ok()) DKV_LOG(WARNING) << "election check failed: " << s.ToString();
}

Status Election::CheckLocked() {
  // Loops only when the predecessor vanished between listing and watching it.
  for (;;) {
    DKV_ASSIGN_OR_RETURN(std::vector<std::string> children, coord_->GetChildren(paths_.servers()));
    children.erase(std::remove_if(children.begin(), children.end(),
                                  [](const std::string& c) { return c.rfind("srv-", 0) != 0; }),
                   children.end());
    // Names are srv-<10-digit sequence>: lexical order is sequence order.
    std::sort(children.begin(), children.end());
    auto me = std::find(children.begin(), children.end(), id_);
    if (me == children.end()) {
      // Our node went with an expired session, or registering failed before (ZooKeeper was
      // away): register (again) and look once more. The only place that registers after Start,
      // so a server never holds two members.
      Demote("its member node is gone", false);
      DKV_RETURN_NOT_OK(Register());
      continue;
    }
    if (me == children.begin()) {
      if (!is_master_.exchange(true)) {
        DKV_LOG(INFO) << id_ << " is the lowest member: taking over as master";
        listener_->OnElected(id_);
      }
      return Status::OK();
    }
    const std::string predecessor = paths_.servers() + "/" + *(me - 1);
    // One watch per predecessor: a re-check (after a reconnect) must not stack more of them.
    coord::Watch watch;
    if (watched_ != predecessor) {
      watch = [this, predecessor] {
        {
          MutexLock l(&check_mu_);
          if (watched_ == predecessor) watched_.clear();
        }
        Check();
      };
    }
    const bool arming = static_cast<bool>(watch);
    DKV_ASSIGN_OR_RETURN(bool exists, coord_->Exists(predecessor, std::move(watch)));
    if (exists) {
      if (arming) {
        watched_ = predecessor;
        DKV_LOG(INFO) << id_ << " stands by, watching " << *(me - 1);
      }
      return Status::OK();
    }
    // Gone between listing and watching; the watch fires on a later creation only (sequence
    // numbers are never reused), so it is harmless. Look again.
    if (arming) watched_ = predecessor;
  }
}

void Election::Demote(const char* why, bool planned) {
  if (is_master_.exchange(false)) {
    if (planned) {
      DKV_LOG(INFO) << id_ << " steps down as master: " << why;
    } else {
      DKV_LOG(WARNING) << id_ << " is master no more: " << why;
    }
    listener_->OnDemoted();
  }
}

}  // namespace dkv::server
