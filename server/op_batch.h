// OpBatch: the replies of one Router::Execute call while its ops are out at the data nodes.
//
// An op may be answered by several parts, each executed by one data node: an op for every node
// (DBSIZE, FLUSHDB, FLUSHALL, RANDOMKEY) has one part per node, an MSETNX whose keys live on
// several nodes one part per node. The parts' replies merge into the op's reply by the op's rule:
// DBSIZE sums, RANDOMKEY takes any node's key, MSETNX answers 1 only if every part did, FLUSH*
// answer OK; an error in any part is the op's reply (the first one wins).
//
// Not thread-safe: the one thread running Execute owns it.
#pragma once

#include <cstddef>
#include <vector>

#include "common/op.h"

namespace dkv::server {

class OpBatch {
 public:
  // Replies for `codes.size()` ops; codes[i] is op i's code.
  explicit OpBatch(std::vector<OpCode> codes);
  OpBatch(const OpBatch&) = delete;
  OpBatch& operator=(const OpBatch&) = delete;

  // One more part of op `op` is sent; its reply must come back through Merge.
  void AddPart(size_t op);
  // The reply of one part of op `op`, sent after AddPart(op).
  void Merge(size_t op, Reply part);
  // Answers op `op` without sending it (e.g. refused by the limits); it must have no part out.
  void Answer(size_t op, Reply reply);

  // The replies, in op order. Requires every op answered (no part out); leaves the batch empty.
  std::vector<Reply> TakeReplies();

 private:
  struct Slot {
    OpCode code;
    int outstanding = 0;
    bool answered = false;
    Reply reply;
  };
  std::vector<Slot> slots_;
};

}  // namespace dkv::server
