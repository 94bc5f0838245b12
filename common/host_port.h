// HostPort: a "host:port" address as given on command lines and stored in ZooKeeper.
#pragma once

#include <cstdint>
#include <string>

#include "dkv/result.h"

namespace dkv {

struct HostPort {
  std::string host;
  uint16_t port = 0;

  std::string ToString() const { return host + ":" + std::to_string(port); }
  bool operator==(const HostPort& o) const { return host == o.host && port == o.port; }
};

// Parses "host:port" (port 0..65535); INVALID_ARGUMENT naming the text otherwise.
Result<HostPort> ParseHostPort(const std::string& text);

// This machine's host name, for ids and default advertised addresses.
std::string LocalHostName();

}  // namespace dkv
