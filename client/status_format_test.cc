#include "client/status_format.h"

#include <gtest/gtest.h>

namespace dkv::client {
namespace {

ClusterStatus Sample() {
  ClusterStatus s;
  s.cluster = "default";
  s.master = ClusterStatus::Master{"srv-0000000001", "10.0.0.1:7000", 3, "10.0.0.1:6379"};
  s.standbys.push_back({"srv-0000000002", "10.0.0.2:7000", ""});
  s.data_nodes.push_back({"d1", "10.0.0.3:7100", 512, 10, 512});
  s.data_nodes.push_back({"d2", "10.0.0.4:7100", 512, -1, 512});
  s.clients = 2;
  s.slot_count = 1024;
  s.slot_map_version = 7;
  return s;
}

TEST(StatusFormatTest, JsonHasThePromisedFields) {
  EXPECT_EQ(FormatStatusJson(Sample()),
            R"({"cluster":"default","master":{"id":"srv-0000000001","address":"10.0.0.1:7000",)"
            R"("epoch":3,"resp_address":"10.0.0.1:6379"},"standbys":[{"id":"srv-0000000002",)"
            R"("address":"10.0.0.2:7000","resp_address":""}],)"
            R"("data_nodes":[{"id":"d1","address":"10.0.0.3:7100","slots":512,"keys":10,)"
            R"("head_slots":512},{"id":"d2","address":"10.0.0.4:7100","slots":512,"keys":-1,)"
            R"("head_slots":512}],)"
            R"("clients":2,"slot_count":1024,"slot_map_version":7,"lost_slots":0,)"
            R"("departed_data_nodes":[],"moves":[],"draining_data_nodes":[],"moved_slots":0,)"
            R"("lost_slot_ids":[],"replication_factor":1,"under_replicated_slots":0,)"
            R"("under_replicated_slot_ids":[],"warnings":[]})");
}

TEST(StatusFormatTest, JsonWithoutMasterSaysNull) {
  ClusterStatus s;
  s.cluster = "c";
  EXPECT_EQ(FormatStatusJson(s),
            R"({"cluster":"c","master":null,"standbys":[],"data_nodes":[],"clients":0,)"
            R"("slot_count":0,"slot_map_version":0,"lost_slots":0,"departed_data_nodes":[],)"
            R"("moves":[],"draining_data_nodes":[],"moved_slots":0,"lost_slot_ids":[],)"
            R"("replication_factor":1,"under_replicated_slots":0,"under_replicated_slot_ids":[],)"
            R"("warnings":[]})");
}

ClusterStatus Draining() {
  ClusterStatus s = Sample();
  s.moves.push_back({4294967297, "d2", "d1", {3, 9}, "copying", 150, 400, 9600, "replace", 75});
  s.draining_data_nodes = {"d2"};
  s.moved_slots = 128;
  return s;
}

TEST(StatusFormatTest, JsonShowsMovesDrainingNodesAndMovedSlots) {
  const std::string json = FormatStatusJson(Draining());
  EXPECT_NE(json.find(R"("moves":[{"id":4294967297,"from":"d2","to":"d1","slots":[3,9],)"
                      R"("phase":"copying","keys_copied":150,"keys_total":400,)"
                      R"("bytes_copied":9600,"kind":"replace","keys_per_second":75}],)"
                      R"("draining_data_nodes":["d2"],"moved_slots":128,)"),
            std::string::npos)
      << json;
}

TEST(StatusFormatTest, TableShowsMovesInProgressAndDrainingNodes) {
  const std::string table = FormatStatusTable(Draining());
  for (const char* want :
       {"draining", "d2  (its slots move to the others)", "128 slots moved", "MOVE", "KIND",
        "KEYS/S", "4294967297", "replace", "copying", "150/400", "75", "9600"}) {
    EXPECT_NE(table.find(want), std::string::npos) << want << " missing from\n" << table;
  }
}

TEST(StatusFormatTest, LostSlotsAreCountedAndListedAsRangesInTheTableAndInJson) {
  ClusterStatus s = Sample();
  s.lost_slots = 4;
  s.lost_slot_ids = {0, 1, 2, 7};
  EXPECT_NE(std::string::npos, FormatStatusTable(s).find("4 slots lost their keys"))
      << FormatStatusTable(s);
  EXPECT_NE(std::string::npos, FormatStatusTable(s).find(": 0-2,7\n")) << FormatStatusTable(s);
  const std::string json = FormatStatusJson(s);
  EXPECT_NE(std::string::npos, json.find(R"("lost_slots":4,)")) << json;
  EXPECT_NE(std::string::npos, json.find(R"("lost_slot_ids":[0,1,2,7],)")) << json;
}

TEST(StatusFormatTest, TableShowsEveryMemberWithSlotsAndKeys) {
  const std::string table = FormatStatusTable(Sample());
  for (const char* want :
       {"default", "srv-0000000001", "10.0.0.1:7000", "epoch 3", "srv-0000000002", "10.0.0.2:7000",
        "d1", "10.0.0.3:7100", "512", "d2", "1024", "version 7"}) {
    EXPECT_NE(table.find(want), std::string::npos) << want << " missing from\n" << table;
  }
  EXPECT_NE(table.find("clients   2"), std::string::npos) << table;
  // A node that did not answer shows '?' for its keys, not -1.
  EXPECT_EQ(table.find("-1"), std::string::npos) << table;
  EXPECT_EQ(table.back(), '\n');
}

// Three data nodes at R = 2, one chain short while d3 is added after d1, and R = 4 asked for.
ClusterStatus Replicated() {
  ClusterStatus s = Sample();
  s.data_nodes = {{"d1", "10.0.0.3:7100", 683, 10, 342},
                  {"d2", "10.0.0.4:7100", 682, 12, 341},
                  {"d3", "10.0.0.5:7100", 681, 11, 341}};
  s.moves.push_back({12, "d1", "d3", {5}, "copying", 30, 40, 960, "add", 1500});
  s.replication_factor = 4;
  s.under_replicated_slots = 3;
  s.under_replicated_slot_ids = {4, 5, 6};
  s.warnings = {
      "replication factor 4 but only 3 live data nodes (not draining): chains will "
      "have only 3 members until more data nodes join"};
  return s;
}

TEST(StatusFormatTest, JsonShowsReplicationHeadsAndWarnings) {
  const std::string json = FormatStatusJson(Replicated());
  for (const char* want :
       {R"({"id":"d1","address":"10.0.0.3:7100","slots":683,"keys":10,"head_slots":342})",
        R"("bytes_copied":960,"kind":"add","keys_per_second":1500})",
        R"("replication_factor":4,"under_replicated_slots":3,)"
        R"("under_replicated_slot_ids":[4,5,6],"warnings":["replication factor 4 but only 3 )"
        R"(live data nodes (not draining): chains will have only 3 members until more data )"
        R"(nodes join"]})"}) {
    EXPECT_NE(json.find(want), std::string::npos) << want << " missing from\n" << json;
  }
}

TEST(StatusFormatTest, TableShowsReplicationHeadsSlotsAndWarnings) {
  const std::string table = FormatStatusTable(Replicated());
  for (const char* want :
       {"replicas  R = 4, 3 slots under-replicated: 4-6\n",
        "warning   replication factor 4 but only 3 live data nodes (not draining): chains "
        "will have only 3 members until more data nodes join\n",
        "DATA NODE  ADDRESS        HEADS  SLOTS  KEYS\n",
        "d1         10.0.0.3:7100    342    683    10\n", "  add  ", "1500"}) {
    EXPECT_NE(table.find(want), std::string::npos) << want << " missing from\n" << table;
  }
}

TEST(StatusFormatTest, TableShowsTheReplicationFactorWhenNoSlotIsUnderReplicated) {
  const std::string table = FormatStatusTable(Sample());
  EXPECT_NE(table.find("replicas  R = 1\n"), std::string::npos) << table;
  EXPECT_EQ(table.find("warning"), std::string::npos) << table;
}

TEST(StatusFormatTest, TableWithoutMasterOrNodesSaysSo) {
  const std::string table = FormatStatusTable(ClusterStatus());
  EXPECT_NE(table.find("master    (none)"), std::string::npos) << table;
  EXPECT_NE(table.find("data nodes: none"), std::string::npos) << table;
}

}  // namespace
}  // namespace dkv::client
