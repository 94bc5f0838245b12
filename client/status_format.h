// How `dkv status` prints a ClusterStatus: a table for people, or one JSON object for scripts.
//
// The JSON field names are a promise (docs/client.md); fields are only ever added:
//   {"cluster": str,
//    "master": {"id": str, "address": str, "epoch": int, "resp_address": str} | null,
//    "standbys": [{"id": str, "address": str, "resp_address": str}],
//    "data_nodes": [{"id": str, "address": str, "slots": int, "keys": int, "head_slots": int}],
//    "clients": int, "slot_count": int, "slot_map_version": int, "lost_slots": int,
//    "departed_data_nodes": [str],
//    "moves": [{"id": int, "from": str, "to": str, "slots": [int], "phase": str,
//               "keys_copied": int, "keys_total": int, "bytes_copied": int,
//               "kind": "replace" | "add", "keys_per_second": int}],
//    "draining_data_nodes": [str], "moved_slots": int, "lost_slot_ids": [int],
//    "replication_factor": int, "under_replicated_slots": int,
//    "under_replicated_slot_ids": [int], "warnings": [str]}
// A data node's `slots` are those whose chain it is a member of, `head_slots` those it heads;
// `keys` is -1 for a data node that did not answer the master.
#pragma once

#include <string>
#include <string_view>

#include "dkv/client.h"

namespace dkv::client {

// Human-readable, several lines, each ending in '\n'.
std::string FormatStatusTable(const ClusterStatus& status);

// One line of JSON (no trailing newline).
std::string FormatStatusJson(const ClusterStatus& status);

}  // namespace dkv::client
