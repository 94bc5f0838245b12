// The libFuzzer target of RequestParser (built with -DDKV_FUZZ=ON and clang; scripts/test runs it
// for a bounded time, and request_parser_corpus_test.cc replays the seed corpus in every build).
//
// Besides "no crash, no sanitizer report", it checks the parser's contract on every input:
//   - the commands do not depend on how the bytes were split into reads (the whole input at once
//     vs. reads of 1..16 bytes, the size taken from the first byte), and
//     either both end in a protocol error or neither does;
//   - every command has at least one argument and respects the limits;
//   - the commands, written back as RESP arrays, parse to the same commands.
// Small limits make the fuzzer reach the limit errors with short inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "server/resp/reply_writer.h"
#include "server/resp/request_parser.h"

namespace {

using dkv::resp::ReplyWriter;
using dkv::resp::RequestLimits;
using dkv::resp::RequestParser;

struct Parsed {
  std::vector<std::vector<std::string>> commands;
  bool failed = false;
};

RequestLimits FuzzLimits() {
  RequestLimits limits;
  limits.max_bulk_bytes = 1024;
  limits.max_array_elements = 64;
  limits.max_inline_bytes = 256;
  return limits;
}

void Drain(RequestParser* parser, Parsed* parsed) {
  std::vector<std::string> args;
  while (!parsed->failed) {
    const RequestParser::Outcome outcome = parser->Next(&args);
    if (outcome == RequestParser::Outcome::kNeedMore) return;
    if (outcome == RequestParser::Outcome::kError) {
      DKV_CHECK(parser->error().rfind("ERR Protocol error: ", 0) == 0) << parser->error();
      parsed->failed = true;
      return;
    }
    parsed->commands.push_back(args);
  }
}

Parsed ParseInReads(std::string_view input, size_t read_size) {
  RequestParser parser(FuzzLimits());
  Parsed parsed;
  for (size_t i = 0; i < input.size() && !parsed.failed; i += read_size) {
    const std::string_view piece = input.substr(i, read_size);
    parser.Append(piece);
    Drain(&parser, &parsed);
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t read_size = size == 0 ? 1 : 1 + data[0] % 16;

  const Parsed whole = ParseInReads(input, input.empty() ? 1 : input.size());
  const Parsed split = ParseInReads(input, read_size);
  DKV_CHECK(whole.commands == split.commands) << "read size " << read_size;
  DKV_CHECK(whole.failed == split.failed) << "read size " << read_size;

  const RequestLimits limits = FuzzLimits();
  std::string encoded;
  ReplyWriter writer(&encoded);
  for (const std::vector<std::string>& command : whole.commands) {
    DKV_CHECK(!command.empty());
    DKV_CHECK(command.size() <= limits.max_array_elements);
    for (const std::string& arg : command) DKV_CHECK(arg.size() <= limits.max_bulk_bytes);
    writer.BulkArray(command);
  }
  const Parsed reparsed = ParseInReads(encoded, encoded.empty() ? 1 : encoded.size());
  DKV_CHECK(!reparsed.failed);
  DKV_CHECK(reparsed.commands == whole.commands);
  return 0;
}
