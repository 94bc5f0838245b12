// The plain C++ forms of what dkv keeps in ZooKeeper (layout: docs/architecture.md). The bytes are
// Thrift structs from common/rpc/dkv.thrift; common/rpc/metadata_codec.h converts.
#pragma once

#include <cstdint>
#include <string>

#include "common/limits.h"

namespace dkv {

// A live member of servers/ or data/.
struct MemberInfo {
  std::string id;       // servers: the znode name (srv-<seq>); data nodes: the stable --id
  std::string address;  // advertised Thrift host:port
  int32_t pid = 0;
  std::string host;               // host name of the machine it runs on
  std::string resp_address = {};  // servers: advertised RESP host:port; empty when RESP is off
};

// A connected client, in clients/.
struct ClientInfo {
  std::string host;
  int32_t pid = 0;
};

// The master znode.
struct MasterInfo {
  std::string server_id;
  std::string address;
  int64_t epoch = 0;
  Limits limits;                  // the key and value limits the master enforces
  std::string resp_address = {};  // the master's advertised RESP host:port; empty when RESP is off
};

// draining/<node-id>: a request that the data node's slots move away (docs/migration.md).
struct DrainInfo {
  int64_t requested_at_ms = 0;  // Unix time in ms
  bool leave_when_done = true;  // the master tells the node to leave once it owns no slot
};

}  // namespace dkv
