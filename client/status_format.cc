#include "client/status_format.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "common/json.h"
#include "common/slot.h"

namespace dkv::client {
namespace {

// Left-aligned columns, two spaces apart; numbers right-aligned.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& right_aligned) {
  std::vector<size_t> width(right_aligned.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string pad(width[i] - row[i].size(), ' ');
      const bool last = i + 1 == row.size();
      line += right_aligned[i] ? pad + row[i] : (last ? row[i] : row[i] + pad);
    }
    out += line + "\n";
  }
  return out;
}

std::string JsonInts(const std::vector<int32_t>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + std::to_string(items[i]);
  return out + "]";
}

}  // namespace

std::string FormatStatusJson(const ClusterStatus& status) {
  std::ostringstream out;
  out << "{\"cluster\":" << JsonQuote(status.cluster) << ",\"master\":";
  if (status.master) {
    out << "{\"id\":" << JsonQuote(status.master->id)
        << ",\"address\":" << JsonQuote(status.master->address)
        << ",\"epoch\":" << status.master->epoch
        << ",\"resp_address\":" << JsonQuote(status.master->resp_address) << "}";
  } else {
    out << "null";
  }
  out << ",\"standbys\":[";
  for (size_t i = 0; i < status.standbys.size(); ++i) {
    const auto& s = status.standbys[i];
    out << (i ? "," : "") << "{\"id\":" << JsonQuote(s.id)
        << ",\"address\":" << JsonQuote(s.address)
        << ",\"resp_address\":" << JsonQuote(s.resp_address) << "}";
  }
  out << "],\"data_nodes\":[";
  for (size_t i = 0; i < status.data_nodes.size(); ++i) {
    const auto& d = status.data_nodes[i];
    out << (i ? "," : "") << "{\"id\":" << JsonQuote(d.id)
        << ",\"address\":" << JsonQuote(d.address) << ",\"slots\":" << d.slots
        << ",\"keys\":" << d.keys << ",\"head_slots\":" << d.head_slots << "}";
  }
  out << "],\"clients\":" << status.clients << ",\"slot_count\":" << status.slot_count
      << ",\"slot_map_version\":" << status.slot_map_version
      << ",\"lost_slots\":" << status.lost_slots
      << ",\"departed_data_nodes\":" << JsonStrings(status.departed_data_nodes) << ",\"moves\":[";
  for (size_t i = 0; i < status.moves.size(); ++i) {
    const auto& m = status.moves[i];
    out << (i ? "," : "") << "{\"id\":" << m.id << ",\"from\":" << JsonQuote(m.from)
        << ",\"to\":" << JsonQuote(m.to) << ",\"slots\":" << JsonInts(m.slots)
        << ",\"phase\":" << JsonQuote(m.phase) << ",\"keys_copied\":" << m.keys_copied
        << ",\"keys_total\":" << m.keys_total << ",\"bytes_copied\":" << m.bytes_copied
        << ",\"kind\":" << JsonQuote(m.kind) << ",\"keys_per_second\":" << m.keys_per_second << "}";
  }
  out << "],\"draining_data_nodes\":" << JsonStrings(status.draining_data_nodes)
      << ",\"moved_slots\":" << status.moved_slots
      << ",\"lost_slot_ids\":" << JsonInts(status.lost_slot_ids)
      << ",\"replication_factor\":" << status.replication_factor
      << ",\"under_replicated_slots\":" << status.under_replicated_slots
      << ",\"under_replicated_slot_ids\":" << JsonInts(status.under_replicated_slot_ids)
      << ",\"warnings\":" << JsonStrings(status.warnings) << "}";
  return out.str();
}

std::string FormatStatusTable(const ClusterStatus& status) {
  std::string master = "(none)";
  if (status.master) {
    master = status.master->id + "  " + status.master->address + "  epoch " +
             std::to_string(status.master->epoch);
  }
  std::vector<std::vector<std::string>> head = {
      {"cluster", status.cluster},
      {"master", master},
  };
  if (status.standbys.empty()) head.push_back({"standbys", "(none)"});
  for (size_t i = 0; i < status.standbys.size(); ++i) {
    head.push_back(
        {i == 0 ? "standbys" : "", status.standbys[i].id + "  " + status.standbys[i].address});
  }
  head.push_back({"clients", std::to_string(status.clients)});
  head.push_back({"slots", std::to_string(status.slot_count) + " (slot map version " +
                               std::to_string(status.slot_map_version) + ")"});
  std::string replication = "R = " + std::to_string(status.replication_factor);
  if (status.under_replicated_slots > 0) {
    replication += ", " + std::to_string(status.under_replicated_slots) +
                   " slots under-replicated: " + SlotRanges(status.under_replicated_slot_ids);
  }
  head.push_back({"replicas", replication});
  for (size_t i = 0; i < status.warnings.size(); ++i) {
    head.push_back({i == 0 ? "warning" : "", status.warnings[i]});
  }
  if (status.lost_slots > 0) {
    head.push_back({"lost", std::to_string(status.lost_slots) +
                                " slots lost their keys (a data node died or restarted): " +
                                SlotRanges(status.lost_slot_ids)});
  }
  for (size_t i = 0; i < status.departed_data_nodes.size(); ++i) {
    head.push_back({i == 0 ? "departed" : "",
                    status.departed_data_nodes[i] + "  (gone; its slots wait for it)"});
  }
  for (size_t i = 0; i < status.draining_data_nodes.size(); ++i) {
    head.push_back({i == 0 ? "draining" : "",
                    status.draining_data_nodes[i] + "  (its slots move to the others)"});
  }
  if (status.moved_slots > 0) {
    head.push_back({"moved", std::to_string(status.moved_slots) + " slots moved with their keys"});
  }
  std::string out = FormatTable(head, {false, false});

  out += "\n";
  if (status.data_nodes.empty()) return out + "data nodes: none\n";
  // HEADS: chains it heads (their writes go to it first); SLOTS: chains it is a member of.
  std::vector<std::vector<std::string>> nodes = {
      {"DATA NODE", "ADDRESS", "HEADS", "SLOTS", "KEYS"}};
  for (const auto& d : status.data_nodes) {
    nodes.push_back({d.id, d.address, std::to_string(d.head_slots), std::to_string(d.slots),
                     d.keys < 0 ? "?" : std::to_string(d.keys)});
  }
  out += FormatTable(nodes, {false, false, true, true, true});
  if (status.moves.empty()) return out;

  std::vector<std::vector<std::string>> moves = {
      {"MOVE", "KIND", "FROM", "TO", "SLOTS", "PHASE", "KEYS COPIED", "KEYS/S", "BYTES"}};
  for (const auto& m : status.moves) {
    moves.push_back({std::to_string(m.id), m.kind, m.from, m.to, std::to_string(m.slots.size()),
                     m.phase, std::to_string(m.keys_copied) + "/" + std::to_string(m.keys_total),
                     std::to_string(m.keys_per_second), std::to_string(m.bytes_copied)});
  }
  return out + "\n" +
         FormatTable(moves, {true, false, false, false, true, false, true, true, true});
}

}  // namespace dkv::client
