// Replays the fuzzer's seed corpus (server/resp/fuzz_corpus) through its target in every build,
// so the parser's contract checks run in the plain and sanitizer builds without libFuzzer.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

TEST(RequestParserCorpusTest, EverySeedInputKeepsTheParserContract) {
  const std::filesystem::path dir = DKV_RESP_FUZZ_CORPUS;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    // The target aborts (DKV_CHECK) when a contract check fails.
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
              0);
    ++files;
  }
  EXPECT_GE(files, 24);
}

}  // namespace
