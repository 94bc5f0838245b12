#include "common/rpc/effect_codec.h"

#include <string>

namespace dkv::rpc {

std::vector<rpc::Effect> ToThrift(const std::vector<dkv::Effect>& effects) {
  std::vector<rpc::Effect> wire(effects.size());
  for (size_t i = 0; i < effects.size(); ++i) {
    const dkv::Effect& e = effects[i];
    rpc::Effect& w = wire[i];
    w.slot = e.slot;
    w.seq = static_cast<int64_t>(e.seq);
    w.kind = static_cast<rpc::EffectKind::type>(e.kind);
    if (e.db != 0) w.__set_db(e.db);
    if (!e.key.empty()) w.__set_key(e.key);
    if (!e.value.empty()) w.__set_value(e.value);
    if (e.expire_at_ms != 0) w.__set_expire_at_ms(e.expire_at_ms);
  }
  return wire;
}

Status FromThrift(const std::vector<rpc::Effect>& wire, std::vector<dkv::Effect>* effects) {
  effects->clear();
  effects->reserve(wire.size());
  for (const rpc::Effect& w : wire) {
    if (w.kind != rpc::EffectKind::PUT && w.kind != rpc::EffectKind::DEL &&
        w.kind != rpc::EffectKind::FLUSH) {
      return Status::InvalidArgument("effect of unknown kind " + std::to_string(w.kind));
    }
    if (w.slot < 0 || w.seq <= 0) {
      return Status::InvalidArgument("effect of slot " + std::to_string(w.slot) + " numbered " +
                                     std::to_string(w.seq));
    }
    dkv::Effect e;
    e.slot = w.slot;
    e.seq = static_cast<uint64_t>(w.seq);
    e.kind = static_cast<dkv::Effect::Kind>(w.kind);
    e.db = w.db;
    e.key = w.key;
    e.value = w.value;
    e.expire_at_ms = w.expire_at_ms;
    effects->push_back(std::move(e));
  }
  return Status::OK();
}

std::vector<rpc::SlotSeq> ToThrift(const std::vector<dkv::SlotSeq>& seqs) {
  std::vector<rpc::SlotSeq> wire(seqs.size());
  for (size_t i = 0; i < seqs.size(); ++i) {
    wire[i].slot = seqs[i].slot;
    wire[i].seq = static_cast<int64_t>(seqs[i].seq);
  }
  return wire;
}

std::vector<dkv::SlotSeq> FromThrift(const std::vector<rpc::SlotSeq>& wire) {
  std::vector<dkv::SlotSeq> seqs;
  seqs.reserve(wire.size());
  for (const rpc::SlotSeq& w : wire) {
    if (w.slot < 0 || w.seq < 0) continue;  // a malformed answer acknowledges nothing
    seqs.push_back(dkv::SlotSeq{w.slot, static_cast<uint64_t>(w.seq)});
  }
  return seqs;
}

}  // namespace dkv::rpc
