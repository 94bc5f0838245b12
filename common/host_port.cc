#include "common/host_port.h"

#include <unistd.h>

#include <cstdlib>

namespace dkv {

Result<HostPort> ParseHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("'" + text + "' is not host:port");
  }
  const std::string port_text = text.substr(colon + 1);
  char* end = nullptr;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (*end != '\0' || port < 0 || port > 65535) {
    return Status::InvalidArgument("'" + text + "' has no valid port (0-65535)");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos || host.find('[') != std::string::npos) {
    return Status::InvalidArgument("'" + text + "': write an IPv6 host in brackets, [::1]:7400");
  }
  if (host.empty()) return Status::InvalidArgument("'" + text + "' has no host");
  return HostPort{std::move(host), static_cast<uint16_t>(port)};
}

Result<HostPort> AdvertisedAddress(const std::string& advertise, const std::string& listen_host,
                                   uint16_t bound_port) {
  HostPort result{listen_host, bound_port};
  if (advertise.find(':') != std::string::npos) {
    DKV_ASSIGN_OR_RETURN(result, ParseHostPort(advertise));
    if (result.port == 0) result.port = bound_port;
  } else if (!advertise.empty()) {
    result.host = advertise;
  }
  if (result.host.empty() || result.host == "0.0.0.0" || result.host == "::") {
    result.host = LocalHostName();
  }
  return result;
}

std::string LocalHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace dkv
