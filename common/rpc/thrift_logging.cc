#include "common/rpc/thrift_logging.h"

#include <thrift/Thrift.h>  // GlobalOutput (TOutput.h alone misses <string>)

#include <mutex>

#include "common/logging.h"

namespace dkv::rpc {
namespace {

void ThriftLog(const char* message) { DKV_LOG(DEBUG) << "thrift: " << message; }

}  // namespace

void RouteThriftLogging() {
  static std::once_flag once;
  std::call_once(once, [] { apache::thrift::GlobalOutput.setOutputFunction(&ThriftLog); });
}

}  // namespace dkv::rpc
