// A linearizability checker for histories of a key-value store (tests/history.h): is there an
// order of the operations, each placed at one instant between its invocation and its completion,
// in which every answer is what a single copy of the store would have given?
//
// How: Porcupine's per-key partitioning (a key's operations never affect another key's, so each
// key's sub-history is checked on its own) and, per key, Wing & Gong's depth-first search over the
// history's call and return events with Lowe's memoization: a (set of operations linearized, model
// state) pair already explored is never explored again. The model is a register holding a string
// or nothing (absent initially): set v stores v; del empties it and answers whether it held
// something (an answer left unset is not checked); incr d reads it as a 64-bit decimal integer
// (absent counts as 0), stores and answers the sum; get answers what it holds.
//
// Outcomes: a kFailed operation took no effect and is left out; a kUnknown one is placed anywhere
// after its invocation, including never (completing at +infinity), with its answer unchecked (a
// get of unknown outcome constrains nothing and is left out).
//
// The memo holds 128-bit hashes of (linearized set, state), not the sets themselves, so that a key
// with tens of thousands of operations fits in memory: two different pairs are mistaken for one
// with probability about n^2 / 2^128, negligible for any history a test can record.
//
// Cost: a linearizable history is accepted in about linear time (8 clients, 16000 operations on
// one key: milliseconds). Refuting one has to exhaust every order, which is exponential in the
// worst case: in the operations concurrent at any instant, and above all in a key's operations of
// unknown outcome, which stay pending to the end (16000 operations with none unknown: under a
// second; with 80 unknown: not within 20 s). So the search gives up when the options' budget has
// passed and answers kUnknown, saying so, rather than hanging.
//
// Thread-safety: CheckLinearizability is a pure function; call it from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/history.h"

namespace dkv::test {

struct LinearizabilityOptions {
  // Time for the whole check, all keys together.
  std::chrono::milliseconds budget{10000};
};

struct LinearizabilityResult {
  enum class Verdict {
    kLinearizable,
    kNotLinearizable,  // `key` has no valid order; `explanation` says where the search got stuck
    kUnknown,          // the budget ran out at `key` before an answer was found
  };
  Verdict verdict = Verdict::kLinearizable;
  // The first key (in key order) found not linearizable, else the first left undecided.
  std::string key;
  // For kNotLinearizable and kUnknown: a few lines naming the key and the operations involved.
  std::string explanation;
  int64_t keys = 0;        // keys checked
  int64_t operations = 0;  // operations searched (failed ones and unknown gets left out)
  int64_t states = 0;      // (linearized set, state) pairs memoized, all keys
  std::vector<std::string> non_linearizable_keys;  // every key found not linearizable
  std::chrono::milliseconds elapsed{0};

  bool linearizable() const { return verdict == Verdict::kLinearizable; }
  // One line of counts, then the explanation if any.
  std::string ToString() const;
};

// Checks `history` (operations on any keys, in any order).
LinearizabilityResult CheckLinearizability(const History& history,
                                           const LinearizabilityOptions& options = {});

}  // namespace dkv::test
