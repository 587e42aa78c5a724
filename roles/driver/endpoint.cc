#include "roles/driver/endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bamctl {

bool IsIpv6Literal(absl::string_view host) { return absl::StrContains(host, ':'); }

std::string BracketedHost(absl::string_view host) {
  if (IsIpv6Literal(host)) return absl::StrCat("[", host, "]");
  return std::string(host);
}

std::string HostPort(absl::string_view host, uint32_t port) {
  return absl::StrCat(BracketedHost(host), ":", port);
}

std::string HostPort(const v1::Endpoint& endpoint) {
  return HostPort(endpoint.host(), endpoint.port());
}

std::string Url(absl::string_view scheme, const v1::Endpoint& endpoint, absl::string_view path) {
  return absl::StrCat(scheme, "://", HostPort(endpoint), path);
}

v1::Endpoint MakeEndpoint(absl::string_view host, uint32_t port) {
  v1::Endpoint endpoint;
  endpoint.set_host(std::string(host));
  endpoint.set_port(port);
  return endpoint;
}

}  // namespace bamctl
