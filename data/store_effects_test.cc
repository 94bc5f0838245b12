// The Store's side of chain replication: the effects a head emits, and how a member applies them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/store.h"

namespace dkv::data {
namespace {

// Records what the Store hands over.
class RecordingSink : public EffectSink {
 public:
  void Append(std::vector<Effect> effects) override {
    for (Effect& e : effects) effects_.push_back(std::move(e));
  }
  std::vector<Effect> effects_;
};

Effect Put(Slot slot, uint64_t seq, const std::string& key, const std::string& value) {
  Effect e;
  e.slot = slot;
  e.seq = seq;
  e.kind = Effect::Kind::kPut;
  e.key = key;
  e.value = value;
  return e;
}

std::string Value(Store& store, Slot slot, const std::string& key) {
  std::string value = "<absent>";
  EXPECT_TRUE(store
                  .Access(slot, false,
                          [&](LockedSlot& t) {
                            const size_t pos = t.Find(0, key);
                            if (pos != Table::kNone) value = std::string(t.View(pos).value);
                          })
                  .ok());
  return value;
}

class StoreEffectsTest : public ::testing::Test {
 protected:
  StoreEffectsTest() {
    store_.SetEffectSink(&sink_);
    store_.AddSlot(7);
  }
  RecordingSink sink_;
  Store store_{[] { return int64_t{1000}; }};
  bool missed_ = false;  // ApplyEffects' gap flag
};

TEST_F(StoreEffectsTest, HeadWithSuccessorEmitsNumberedFinalStates) {
  store_.SetChainRole(7, /*head=*/true, /*has_successor=*/true);
  std::vector<SlotSeq> waits;
  ASSERT_TRUE(store_
                  .Access(
                      7, true,
                      [](LockedSlot& t) {
                        t.Put(0, "a", "1", 0);
                        t.Put(0, "a", "2", 5000);  // one effect: the final state
                        t.Put(0, "b", "x", 0);
                        t.Erase(t.Find(0, "b"));
                      },
                      &waits)
                  .ok());
  ASSERT_EQ(sink_.effects_.size(), 2u);
  EXPECT_EQ(sink_.effects_[0].key, "a");
  EXPECT_EQ(sink_.effects_[0].kind, Effect::Kind::kPut);
  EXPECT_EQ(sink_.effects_[0].value, "2");
  EXPECT_EQ(sink_.effects_[0].expire_at_ms, 5000);
  EXPECT_EQ(sink_.effects_[0].seq, 1u);
  EXPECT_EQ(sink_.effects_[1].key, "b");
  EXPECT_EQ(sink_.effects_[1].kind, Effect::Kind::kDel);
  EXPECT_EQ(sink_.effects_[1].seq, 2u);
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].slot, 7);
  EXPECT_EQ(waits[0].seq, 2u);
  EXPECT_EQ(store_.Seq(7), 2u);
}

TEST_F(StoreEffectsTest, SoleMemberEmitsNothingAndWaitsForNothing) {
  std::vector<SlotSeq> waits;
  ASSERT_TRUE(store_
                  .Access(
                      7, true, [](LockedSlot& t) { t.Put(0, "a", "1", 0); }, &waits)
                  .ok());
  EXPECT_TRUE(sink_.effects_.empty());
  EXPECT_TRUE(waits.empty());
}

TEST_F(StoreEffectsTest, ReadAtMemberWithSuccessorWaitsForWhatItSaw) {
  store_.SetChainRole(7, true, true);
  ASSERT_TRUE(store_.Access(7, true, [](LockedSlot& t) { t.Put(0, "a", "1", 0); }).ok());
  std::vector<SlotSeq> waits;
  ASSERT_TRUE(store_
                  .Access(
                      7, false, [](LockedSlot& t) { t.Find(0, "a"); }, &waits)
                  .ok());
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].seq, 1u);
}

TEST_F(StoreEffectsTest, EraseAllIsOneFlushEffectInItsPlace) {
  store_.SetChainRole(7, true, true);
  ASSERT_TRUE(store_
                  .Access(7, true,
                          [](LockedSlot& t) {
                            t.Put(0, "a", "1", 0);
                            t.Put(0, "b", "1", 0);
                            t.EraseAll(0);
                            t.Put(0, "c", "1", 0);
                          })
                  .ok());
  ASSERT_EQ(sink_.effects_.size(), 4u);
  EXPECT_EQ(sink_.effects_[0].kind, Effect::Kind::kDel);  // a, gone by the flush
  EXPECT_EQ(sink_.effects_[1].kind, Effect::Kind::kDel);  // b
  EXPECT_EQ(sink_.effects_[2].kind, Effect::Kind::kFlush);
  EXPECT_EQ(sink_.effects_[2].db, 0);
  EXPECT_EQ(sink_.effects_[3].kind, Effect::Kind::kPut);
  EXPECT_EQ(sink_.effects_[3].key, "c");
}

TEST_F(StoreEffectsTest, MemberAppliesInOrderSkipsReflectedAndRefusesGaps) {
  store_.SetChainRole(7, /*head=*/false, /*has_successor=*/false);
  std::vector<SlotSeq> waits;
  auto applied =
      store_.ApplyEffects(7, {Put(7, 1, "a", "1"), Put(7, 2, "a", "2")}, &waits, &missed_);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 2u);
  EXPECT_EQ(Value(store_, 7, "a"), "2");

  // A predecessor re-sending 2 after a splice: skipped, not applied twice.
  applied =
      store_.ApplyEffects(7, {Put(7, 2, "a", "stale"), Put(7, 3, "a", "3")}, &waits, &missed_);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 3u);
  EXPECT_EQ(Value(store_, 7, "a"), "3");

  // A gap is refused after what came before it; nothing past it is applied.
  applied = store_.ApplyEffects(7, {Put(7, 4, "a", "4"), Put(7, 6, "a", "6")}, &waits, &missed_);
  EXPECT_TRUE(applied.status().code() == Status::Code::kInvalidArgument)
      << applied.status().ToString();
  EXPECT_TRUE(missed_);
  EXPECT_EQ(Value(store_, 7, "a"), "4");
  EXPECT_EQ(store_.Seq(7), 4u);
  EXPECT_TRUE(waits.empty());  // a tail waits for nobody
  EXPECT_TRUE(sink_.effects_.empty());
}

TEST_F(StoreEffectsTest, MiddleForwardsEverythingItAcceptedSkippedOnesToo) {
  store_.SetChainRole(7, false, true);
  std::vector<SlotSeq> waits;
  ASSERT_TRUE(store_.ApplyEffects(7, {Put(7, 1, "a", "1")}, &waits, &missed_).ok());
  ASSERT_TRUE(
      store_.ApplyEffects(7, {Put(7, 1, "a", "1"), Put(7, 2, "b", "2")}, &waits, &missed_).ok());
  ASSERT_EQ(sink_.effects_.size(), 3u);  // its successor may lack what it skips
  EXPECT_EQ(sink_.effects_[2].seq, 2u);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_EQ(waits[1].seq, 2u);
}

TEST_F(StoreEffectsTest, PausedSlotRefusesEffectsWithMoving) {
  store_.SetChainRole(7, false, false);
  store_.PauseWrites(7);
  std::vector<SlotSeq> waits;
  EXPECT_TRUE(store_.ApplyEffects(7, {Put(7, 1, "a", "1")}, &waits, &missed_).status().IsMoving());
  EXPECT_EQ(store_.Seq(7), 0u);
}

TEST_F(StoreEffectsTest, EffectOfAnotherSlotOrBadDbIsRefusedWhole) {
  store_.SetChainRole(7, false, false);
  std::vector<SlotSeq> waits;
  Effect bad = Put(7, 2, "b", "2");
  bad.db = 99;
  EXPECT_TRUE(
      store_.ApplyEffects(7, {Put(7, 1, "a", "1"), bad}, &waits, &missed_).status().code() ==
      Status::Code::kInvalidArgument);
  EXPECT_TRUE(store_.ApplyEffects(7, {Put(8, 1, "a", "1")}, &waits, &missed_).status().code() ==
              Status::Code::kInvalidArgument);
  EXPECT_FALSE(missed_);  // malformed, not missed
  EXPECT_EQ(store_.Seq(7), 0u);
}

TEST_F(StoreEffectsTest, AdoptedImportContinuesTheSourceSeq) {
  store_.BeginImport(9);
  ASSERT_TRUE(store_.AdoptImport(9, 41));
  store_.SetChainRole(9, false, false);
  std::vector<SlotSeq> waits;
  auto applied = store_.ApplyEffects(9, {Put(9, 42, "k", "v")}, &waits, &missed_);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 42u);
}

}  // namespace
}  // namespace dkv::data
