#include "roles/probe/probe_runner.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net_util.h"
#include "roles/driver/endpoint.h"

namespace bamctl {
namespace {

using std::chrono::milliseconds;

ProbeResult Healthy(std::string reason, std::string mode = "") {
  return {true, std::move(reason), std::move(mode)};
}
ProbeResult Unhealthy(std::string reason) { return {false, std::move(reason), ""}; }

ProbeResult Tcp(const Probe& p, milliseconds timeout) {
  absl::Status connected = TcpConnect(p.host, static_cast<int>(p.port), timeout);
  if (connected.ok()) {
    return Healthy(absl::StrCat(HostPort(p.host, p.port), " accepts connections"));
  }
  return Unhealthy(std::string(connected.message()));
}

ProbeResult Http(const Probe& p, milliseconds timeout) {
  // The probe's host is bare; a Host header brackets an IPv6 one.
  const std::string request = absl::StrCat("GET ", p.http_path.empty() ? "/" : p.http_path,
                                           " HTTP/1.0\r\nHost: ", HostPort(p.host, p.port),
                                           "\r\nConnection: close\r\n\r\n");
  absl::StatusOr<std::string> reply =
      TcpRequest(p.host, static_cast<int>(p.port), request, timeout);
  if (!reply.ok()) return Unhealthy(std::string(reply.status().message()));
  // "HTTP/1.1 200 OK"
  const std::string first_line = reply->substr(0, reply->find('\n'));
  std::vector<absl::string_view> status_line = absl::StrSplit(first_line, absl::MaxSplits(' ', 2));
  int code = 0;
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/") ||
      !absl::SimpleAtoi(status_line[1], &code)) {
    return Unhealthy(absl::StrCat(HostPort(p.host, p.port), " did not answer HTTP"));
  }
  const std::string what = absl::StrCat("HTTP ", code, " from ", p.http_path);
  if (code < 200 || code >= 400) return Unhealthy(what);
  // A page that answers but says the service is not ready ("Safe mode is
  // ON" on a namenode's dfshealth.jsp).
  if (!p.http_unhealthy_text.empty() &&
      absl::StrContains(reply->substr(std::min(reply->size(), reply->find("\r\n\r\n"))),
                        p.http_unhealthy_text)) {
    return Unhealthy(absl::StrCat(what, " says \"", p.http_unhealthy_text, "\""));
  }
  return Healthy(what);
}

ProbeResult ZooKeeper(const Probe& p, milliseconds timeout) {
  const int port = static_cast<int>(p.port);
  absl::StatusOr<std::string> ruok = TcpRequest(p.host, port, "ruok", timeout);
  if (!ruok.ok()) return Unhealthy(std::string(ruok.status().message()));
  if (*ruok != "imok") {
    return Unhealthy(
        ruok->empty() ? "ruok got no answer: four-letter words not whitelisted?"
                      : absl::StrCat("ruok answered \"", absl::StripAsciiWhitespace(*ruok), "\""));
  }
  absl::StatusOr<std::string> srvr = TcpRequest(p.host, port, "srvr", timeout);
  if (!srvr.ok()) return Unhealthy(std::string(srvr.status().message()));
  std::string mode = ZooKeeperModeOf(*srvr);
  if (mode.empty()) {
    // "This ZooKeeper instance is not currently serving requests": no quorum.
    return Unhealthy(absl::StrCat("not serving: ", absl::StripAsciiWhitespace(*srvr)));
  }
  return Healthy(absl::StrCat("serving as ", mode), mode);
}

}  // namespace

std::string ZooKeeperModeOf(const std::string& srvr_reply) {
  for (absl::string_view line : absl::StrSplit(srvr_reply, '\n')) {
    if (absl::ConsumePrefix(&line, "Mode: ")) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

ProbeResult RunProbe(const Probe& probe, milliseconds timeout) {
  switch (probe.kind) {
    case Probe::Kind::kTcp:
      return Tcp(probe, timeout);
    case Probe::Kind::kHttp:
      return Http(probe, timeout);
    case Probe::Kind::kZooKeeper:
      return ZooKeeper(probe, timeout);
  }
  return Unhealthy("unknown probe kind");
}

}  // namespace bamctl
