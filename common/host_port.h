// HostPort: a "host:port" address as given on command lines and stored in ZooKeeper.
#pragma once

#include <cstdint>
#include <string>

#include "dkv/result.h"

namespace dkv {

struct HostPort {
  std::string host;
  uint16_t port = 0;

  // "host:port", with an IPv6 host in brackets ("[::1]:7400").
  std::string ToString() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  bool operator==(const HostPort& o) const { return host == o.host && port == o.port; }
};

// Parses "host:port" or "[ipv6]:port" (port 0..65535; the brackets are not part of the host);
// INVALID_ARGUMENT naming the text otherwise.
Result<HostPort> ParseHostPort(const std::string& text);

// The address a service bound to `listen_host`:`bound_port` publishes in ZooKeeper. `advertise`
// is "", "HOST" or "HOST:PORT" (--advertise). Without a host, the listen host is used unless it is
// a wildcard (0.0.0.0, ::), then this machine's host name; without a port, the bound port.
// INVALID_ARGUMENT for a malformed `advertise`.
Result<HostPort> AdvertisedAddress(const std::string& advertise, const std::string& listen_host,
                                   uint16_t bound_port);

// This machine's host name, for ids and default advertised addresses.
std::string LocalHostName();

}  // namespace dkv
