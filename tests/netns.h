// VirtualNetwork: hosts made of Linux network namespaces on one virtual switch, so an integration
// test can run each dkv role "on its own host" with its own address (tests/netns_itest.cc).
//
// The switch is a bridge in a namespace of its own; every host is a namespace with `lo` up and an
// `eth0` (one end of a veth pair; the other end is a port of the bridge) holding one address of
// 10.213.0.0/24. Nothing is configured in the root namespace and nothing routes outside, so the
// traffic of a test never leaves the namespaces it created. Namespace names are
// `dkvnt-<pid>-<host>`, so parallel runs never clash; RemoveStale() deletes those of runs whose
// process is gone (a crashed test).
//
// The test process itself stays in the root namespace: it runs programs in a host with
// `ip netns exec` (Exec()), and opens sockets there from a thread that has joined the host's
// namespace (RunInNamespace()).
//
// Lifecycle: Create() makes the switch, AddHost() the hosts; Destroy() (or the destructor, on every
// exit path of a test) kills whatever still runs in them and deletes every namespace it made, which
// also deletes the veth pairs and the bridge. Not thread-safe: one owner (a test fixture) drives
// it. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2; UnavailableReason() says why not.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dkv/result.h"
#include "dkv/status.h"

namespace dkv::test {

class VirtualNetwork {
 public:
  // Empty when namespaces can be made here; otherwise why not (not root, no `ip`, `ip netns add`
  // refused), for GTEST_SKIP.
  static std::string UnavailableReason();

  // Deletes the namespaces of earlier runs whose process no longer exists. Best effort.
  static void RemoveStale();

  // Creates the switch namespace and its bridge. IO_ERROR with ip's message.
  static Result<std::unique_ptr<VirtualNetwork>> Create();

  ~VirtualNetwork();  // Destroy()
  VirtualNetwork(const VirtualNetwork&) = delete;
  VirtualNetwork& operator=(const VirtualNetwork&) = delete;

  // Adds host `name` (a few letters: it is part of interface and namespace names) with `address`
  // (an IPv4 address of 10.213.0.0/24) on its eth0, cabled to the switch. IO_ERROR.
  Status AddHost(const std::string& name, const std::string& address);

  // The namespace name of host `name` (as under /var/run/netns). Aborts for an unknown host.
  std::string Namespace(const std::string& name) const;
  const std::string& Address(const std::string& name) const;

  // `argv` prefixed to run in host `name`: {ip, netns, exec, <namespace>, argv...}. `ip netns exec`
  // execs the program, so the pid of the started child is the program's.
  std::vector<std::string> Exec(const std::string& name,
                                const std::vector<std::string>& argv) const;

  // Runs `ip -n <namespace of name> args...`; IO_ERROR with its output when it fails.
  Status Ip(const std::string& name, const std::vector<std::string>& args);

  // Kills what still runs in the namespaces (they are this test's own), then deletes them all.
  // Idempotent; OK or the first failure.
  Status Destroy();

 private:
  VirtualNetwork(std::string ip, std::string prefix);
  Status IpIn(const std::string& ns, const std::vector<std::string>& args);
  Status AddNamespace(const std::string& ns);

  const std::string ip_;      // path of the ip binary
  const std::string prefix_;  // "dkvnt-<pid>-"
  std::string switch_ns_;
  std::map<std::string, std::string> addresses_;  // host -> address
  std::vector<std::string> namespaces_;           // created, in order (switch first)
};

// Runs `fn` on a new thread that first joins network namespace `ns` (setns(2) on
// /var/run/netns/<ns>); every socket `fn` opens, and every thread it starts, lives in that
// namespace. Returns when `fn` has returned; IO_ERROR if the namespace cannot be entered (then
// `fn` does not run). gtest EXPECT_* may be used in `fn`; ASSERT_* only returns from `fn`.
Status RunInNamespace(const std::string& ns, const std::function<void()>& fn);

}  // namespace dkv::test
