#include "tests/verifying_writer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/harness/test_util.h"

namespace dkv::test {

VerifyingWriter::VerifyingWriter(client::Client* client, int keys) : client_(client), keys_(keys) {
  thread_ = std::thread([this] { Run(); });
}

VerifyingWriter::~VerifyingWriter() { Stop(); }

void VerifyingWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

Status VerifyingWriter::WaitForMoreAcks(int more) {
  const int target = acks_.load() + more;
  return WaitFor([&] { return acks_.load() >= target; }, std::chrono::milliseconds(30000),
                 std::chrono::milliseconds(10), std::to_string(more) + " more acknowledged writes");
}

int VerifyingWriter::Verify(const std::set<Slot>& lost, int32_t slot_count) {
  int checked = 0;
  for (const auto& [key, e] : expected_) {
    if (e.acked.empty() && e.unsure.empty()) continue;
    if (!lost.empty() && lost.count(SlotOf(key, slot_count))) continue;
    auto got = client_->Get(key);
    EXPECT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    if (!got.ok()) continue;
    const std::string value = got->value_or("(missing)");
    EXPECT_TRUE(value == e.acked || e.unsure.count(value))
        << key << " reads '" << value << "', last acknowledged '" << e.acked << "'";
    ++checked;
  }
  return checked;
}

void VerifyingWriter::Run() {
  for (int i = 0; !stop_.load(); ++i) {
    const std::string key = "w" + std::to_string(i % keys_);
    const std::string value = std::to_string(i);
    Expected& e = expected_[key];
    if (client_->Set(key, value).ok()) {
      e.acked = value;
      e.unsure.clear();
      ++acks_;
    } else {
      e.unsure.insert(value);
      ++failures_;
    }
  }
}

}  // namespace dkv::test
