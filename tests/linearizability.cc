// The checker of tests/linearizability.h. Per key, the operations become a doubly linked list of
// call and return events in time order (at equal times calls first, so that such operations count
// as concurrent: never a false violation from a clock tie). The search walks that list as
// Porcupine's checkSingle does: at a call it tries to linearize the operation now (the model
// accepts its answer, and the resulting (linearized set, state) pair is new): then the operation's
// call and return leave the list and the walk restarts from its head. At a return, the operation
// it ends was not linearized although it has completed: undo the last linearization and try the
// next candidate after it. The list empties exactly when every operation has been linearized.
#include "tests/linearizability.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/deadline.h"

namespace dkv::test {
namespace {

using Verdict = LinearizabilityResult::Verdict;

// ---- Hashing for the memo ----

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer: a bijection that scrambles well
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashBytes(std::string_view s, uint64_t seed) {
  uint64_t h = Mix(seed ^ s.size());
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    h = Mix(h ^ word);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  return Mix(h ^ tail ^ (uint64_t{0xff} << 56));
}

struct Hash128 {
  uint64_t a = 0, b = 0;
  Hash128& operator^=(const Hash128& o) {
    a ^= o.a;
    b ^= o.b;
    return *this;
  }
  friend Hash128 operator^(Hash128 x, const Hash128& y) { return x ^= y; }
  friend bool operator==(const Hash128& x, const Hash128& y) { return x.a == y.a && x.b == y.b; }
};

struct Hash128Hasher {
  size_t operator()(const Hash128& h) const { return static_cast<size_t>(h.a); }
};

// Zobrist hashing: a set's hash is the XOR of its members' random values, updated in O(1) as an
// operation is linearized or undone.
Hash128 MemberHash(size_t op) {
  return {Mix(2 * op + 0x5851f42d4c957f2dULL), Mix(2 * op + 1 + 0x14057b7ef767814fULL)};
}

// ---- The model: a register ----

using State = std::optional<std::string>;

Hash128 StateHash(const State& s) {
  if (!s) return {Mix(0xa0761d6478bd642fULL), Mix(0xe7037ed1a0b428dbULL)};
  return {HashBytes(*s, 0x8ebc6af09c88c6e3ULL), HashBytes(*s, 0x589965cc75374cc3ULL)};
}

// A stored value read as Redis's INCRBY reads it: a 64-bit decimal integer, nothing else.
std::optional<int64_t> AsInteger(const State& s) {
  if (!s) return 0;
  const std::string& v = *s;
  if (v.empty() || v.size() > 20) return std::nullopt;
  if (v[0] == '+' || (v[0] == '0' && v.size() > 1) ||
      (v[0] == '-' && (v.size() == 1 || v[1] == '0')))
    return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// Applies `op` to `state`: false if the model could not have answered what `op` was answered.
// An operation of unknown outcome is accepted in any state (its answer is not checked).
bool Step(const Operation& op, const State& state, State* next) {
  const bool known = op.outcome == OpOutcome::kOk;
  switch (op.kind) {
    case OpKind::kGet:
      *next = state;
      return !known || op.output.read == state;
    case OpKind::kSet:
      *next = op.value;
      return true;
    case OpKind::kDel:
      *next = std::nullopt;
      return !known || !op.output.existed || *op.output.existed == state.has_value();
    case OpKind::kIncr: {
      std::optional<int64_t> old = AsInteger(state);
      int64_t sum = 0;
      if (!old || __builtin_add_overflow(*old, op.delta, &sum)) {
        // The store refuses such an incr and leaves the value; an acknowledged one cannot be it.
        *next = state;
        return !known;
      }
      *next = std::to_string(sum);
      return !known || op.output.incr_result == sum;
    }
  }
  return false;
}

std::string StateString(const State& s) { return s ? "\"" + *s + "\"" : "absent"; }

// ---- The search over one key ----

constexpr int kNil = -1;

struct Event {
  int64_t time;
  bool is_return;
  int op;
};

struct Node {
  int op = kNil;
  bool is_call = false;
  int match = kNil;  // a call's return node
  int prev = kNil;
  int next = kNil;
};

// Where the deepest branch of a failed search got stuck, for the explanation.
struct Stuck {
  size_t depth = 0;          // operations linearized
  int blocking_op = kNil;    // completed, yet could not be linearized after them
  std::vector<int> last;     // the last few linearized, oldest first
  std::vector<int> pending;  // a few not linearized whose calls came before blocking_op's return
  State state;
};

class KeySearch {
 public:
  KeySearch(std::vector<const Operation*> ops, const Deadline& deadline)
      : ops_(std::move(ops)), deadline_(deadline) {}

  Verdict Run();
  int64_t states() const { return static_cast<int64_t>(memo_.size()); }
  std::string Explain(Verdict verdict) const;

 private:
  void BuildList();
  void Lift(int call) {
    for (int n : {call, nodes_[call].match}) {
      nodes_[nodes_[n].prev].next = nodes_[n].next;
      if (nodes_[n].next != kNil) nodes_[nodes_[n].next].prev = nodes_[n].prev;
    }
  }
  void Unlift(int call) {
    for (int n : {nodes_[call].match, call}) {
      nodes_[nodes_[n].prev].next = n;
      if (nodes_[n].next != kNil) nodes_[nodes_[n].next].prev = n;
    }
  }
  void NoteStuck(int return_node, const State& state);

  struct Frame {
    int call;
    State before;
  };

  const std::vector<const Operation*> ops_;
  const Deadline deadline_;
  std::vector<Node> nodes_;  // nodes_[head_] is the list's sentinel
  int head_ = kNil;
  std::unordered_set<Hash128, Hash128Hasher> memo_;
  std::vector<Frame> stack_;
  Stuck stuck_;
  size_t undecided_depth_ = 0;
};

void KeySearch::BuildList() {
  std::vector<Event> events;
  events.reserve(2 * ops_.size());
  for (size_t i = 0; i < ops_.size(); ++i) {
    const Operation& op = *ops_[i];
    const int64_t end = op.outcome == OpOutcome::kUnknown
                            ? std::numeric_limits<int64_t>::max()
                            : std::max(op.completed_ns, op.invoked_ns);
    events.push_back({op.invoked_ns, false, static_cast<int>(i)});
    events.push_back({end, true, static_cast<int>(i)});
  }
  std::sort(events.begin(), events.end(), [](const Event& x, const Event& y) {
    if (x.time != y.time) return x.time < y.time;
    if (x.is_return != y.is_return) return !x.is_return;
    return x.op < y.op;
  });
  nodes_.assign(events.size() + 1, Node());
  head_ = static_cast<int>(events.size());
  std::vector<int> call_of(ops_.size(), kNil);
  int prev = head_;
  for (size_t i = 0; i < events.size(); ++i) {
    Node& n = nodes_[i];
    n.op = events[i].op;
    n.is_call = !events[i].is_return;
    if (n.is_call) {
      call_of[n.op] = static_cast<int>(i);
    } else {
      nodes_[call_of[n.op]].match = static_cast<int>(i);
    }
    n.prev = prev;
    nodes_[prev].next = static_cast<int>(i);
    prev = static_cast<int>(i);
  }
}

Verdict KeySearch::Run() {
  BuildList();
  State state;  // absent
  Hash128 linearized;
  uint64_t steps = 0;
  int node = nodes_[head_].next;
  while (nodes_[head_].next != kNil) {
    if ((steps++ & 1023) == 0 && deadline_.Expired()) {
      undecided_depth_ = stack_.size();
      return Verdict::kUnknown;
    }
    const Node& n = nodes_[node];
    if (n.is_call) {
      State next;
      if (Step(*ops_[n.op], state, &next)) {
        const Hash128 with = linearized ^ MemberHash(n.op);
        if (memo_.insert(with ^ StateHash(next)).second) {
          stack_.push_back({node, std::move(state)});
          state = std::move(next);
          linearized = with;
          Lift(node);
          node = nodes_[head_].next;
          continue;
        }
      }
      node = n.next;
      continue;
    }
    // A return: its operation completed, and no order of what is linearized so far lets it in.
    NoteStuck(node, state);
    if (stack_.empty()) return Verdict::kNotLinearizable;
    Frame top = std::move(stack_.back());
    stack_.pop_back();
    state = std::move(top.before);
    linearized ^= MemberHash(nodes_[top.call].op);
    Unlift(top.call);
    node = nodes_[top.call].next;
  }
  return Verdict::kLinearizable;
}

void KeySearch::NoteStuck(int return_node, const State& state) {
  if (stuck_.blocking_op != kNil && stack_.size() <= stuck_.depth) return;
  constexpr size_t kShown = 5;
  stuck_.depth = stack_.size();
  stuck_.blocking_op = nodes_[return_node].op;
  stuck_.state = state;
  stuck_.last.clear();
  for (size_t i = stack_.size() > kShown ? stack_.size() - kShown : 0; i < stack_.size(); ++i) {
    stuck_.last.push_back(nodes_[stack_[i].call].op);
  }
  stuck_.pending.clear();
  for (int n = nodes_[head_].next; n != return_node && stuck_.pending.size() < kShown;
       n = nodes_[n].next) {
    if (nodes_[n].is_call && nodes_[n].op != stuck_.blocking_op) {
      stuck_.pending.push_back(nodes_[n].op);
    }
  }
}

std::string KeySearch::Explain(Verdict verdict) const {
  std::ostringstream s;
  if (verdict == Verdict::kUnknown) {
    s << "gave up: the time budget ran out with " << undecided_depth_ << " of " << ops_.size()
      << " operations linearized on this branch (" << memo_.size()
      << " states explored); the key is neither proved linearizable nor refuted";
    return s.str();
  }
  s << "no order of its " << ops_.size() << " operations works; the longest linearizable prefix "
    << "found has " << stuck_.depth << " operations and leaves the key "
    << StateString(stuck_.state)
    << ", after which this completed operation cannot take effect:\n    "
    << ops_[stuck_.blocking_op]->ToString();
  if (!stuck_.last.empty()) {
    s << "\n  the last operations of that prefix:";
    for (int op : stuck_.last) s << "\n    " << ops_[op]->ToString();
  }
  if (!stuck_.pending.empty()) {
    s << "\n  other operations that could have gone next:";
    for (int op : stuck_.pending) s << "\n    " << ops_[op]->ToString();
  }
  return s.str();
}

}  // namespace

std::string LinearizabilityResult::ToString() const {
  std::ostringstream s;
  switch (verdict) {
    case Verdict::kLinearizable:
      s << "linearizable";
      break;
    case Verdict::kNotLinearizable:
      s << "NOT linearizable (key(s)";
      for (const std::string& k : non_linearizable_keys) s << " " << k;
      s << ")";
      break;
    case Verdict::kUnknown:
      s << "UNKNOWN (check gave up at its time budget)";
      break;
  }
  s << ": " << keys << " keys, " << operations << " operations, " << states << " states, "
    << elapsed.count() << " ms";
  if (!explanation.empty()) s << "\nkey " << key << ": " << explanation;
  return s.str();
}

LinearizabilityResult CheckLinearizability(const History& history,
                                           const LinearizabilityOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const Deadline deadline = Deadline::After(options.budget);
  std::map<std::string, std::vector<const Operation*>> by_key;
  for (const Operation& op : history) {
    if (op.outcome == OpOutcome::kFailed) continue;
    if (op.outcome == OpOutcome::kUnknown && op.kind == OpKind::kGet) continue;
    by_key[op.key].push_back(&op);
  }
  LinearizabilityResult result;
  for (auto& [key, ops] : by_key) {
    ++result.keys;
    result.operations += static_cast<int64_t>(ops.size());
    KeySearch search(std::move(ops), deadline);
    const Verdict verdict = search.Run();
    result.states += search.states();
    if (verdict == Verdict::kLinearizable) continue;
    if (verdict == Verdict::kNotLinearizable) result.non_linearizable_keys.push_back(key);
    // A violation outranks an undecided key; otherwise the first key found keeps its place.
    if (result.verdict == Verdict::kLinearizable ||
        (result.verdict == Verdict::kUnknown && verdict == Verdict::kNotLinearizable)) {
      result.verdict = verdict;
      result.key = key;
      result.explanation = search.Explain(verdict);
    }
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace dkv::test
