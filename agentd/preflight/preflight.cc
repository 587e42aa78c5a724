#include "agentd/preflight/preflight.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace bamctl {
namespace {

constexpr v1::Severity kOk = v1::SEVERITY_OK;
constexpr v1::Severity kWarning = v1::SEVERITY_WARNING;
constexpr v1::Severity kError = v1::SEVERITY_ERROR;

v1::PreflightCheck Check(absl::string_view name, absl::string_view service, v1::Severity severity,
                         std::string message) {
  v1::PreflightCheck check;
  check.set_name(std::string(name));
  check.set_service(std::string(service));
  check.set_severity(severity);
  check.set_message(std::move(message));
  return check;
}

// A socket address for numeric `address` ("10.0.0.3", "::1", "[::1]") and
// `port`; nullopt when it is not one.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
};

std::optional<SocketAddress> ParseAddress(absl::string_view address, uint16_t port) {
  SocketAddress out;
  const std::string host(absl::StripSuffix(absl::StripPrefix(address, "["), "]"));
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.length = sizeof(sockaddr_in);
    out.family = AF_INET;
    return out;
  }
  out.storage = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.length = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return out;
  }
  return std::nullopt;
}

std::string HostPort(absl::string_view address, uint32_t port) {
  if (absl::StrContains(address, ':') && !absl::StartsWith(address, "[")) {
    return absl::StrCat("[", address, "]:", port);
  }
  return absl::StrCat(address, ":", port);
}

// The number at the start of a meminfo value ("16318128 kB").
absl::StatusOr<uint64_t> MemInfoValue(absl::string_view key, absl::string_view value, int line) {
  value = absl::StripLeadingAsciiWhitespace(value);
  const absl::string_view number = value.substr(0, value.find(' '));
  uint64_t kb = 0;
  if (!absl::SimpleAtoi(number, &kb)) {
    return absl::InvalidArgumentError(
        absl::StrCat("meminfo line ", line, ": ", key, " has no number of kB: \"", value, "\""));
  }
  return kb;
}

uint64_t Mib(uint64_t kb) { return kb / 1024; }

}  // namespace

v1::PreflightCheck CheckJava(absl::string_view service, const std::string& java_home) {
  constexpr absl::string_view kHint = "set java_home in the spec to a JDK/JRE install";
  if (java_home.empty()) {
    return Check("java", service, kError,
                 absl::StrCat("java_home is not set for ", service, ": ", kHint));
  }
  const std::string java =
      absl::StrCat(absl::StripSuffix(java_home, "/"), "/bin/java");  // no "//" in messages
  std::string problem;
  struct stat st;
  if (stat(java.c_str(), &st) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (access(java.c_str(), X_OK) != 0) {
    problem = "not executable";
  }
  if (!problem.empty()) {
    return Check("java", service, kError,
                 absl::StrCat("no Java at ", java, " (", problem, "): ", kHint));
  }
  return Check("java", service, kOk, absl::StrCat("java at ", java));
}

v1::PreflightCheck CheckPortFree(absl::string_view service, absl::string_view address,
                                 uint32_t port, bool held_by_service) {
  if (held_by_service) {
    return Check("port", service, kOk,
                 absl::StrCat("port ", port, " on ", address, " is held by ", service, " itself"));
  }
  if (port == 0 || port > std::numeric_limits<uint16_t>::max()) {
    return Check("port", service, kError,
                 absl::StrCat("port ", port, " for ", service, " is not a TCP port (1-65535)"));
  }
  const std::optional<SocketAddress> addr = ParseAddress(address, static_cast<uint16_t>(port));
  if (!addr.has_value()) {
    return Check("port", service, kError,
                 absl::StrCat("cannot check port ", port, " for ", service, ": \"", address,
                              "\" is not a numeric IPv4 or IPv6 address"));
  }
  const int fd = socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Check("port", service, kError,
                 absl::StrCat("cannot create a socket to check ", HostPort(address, port), ": ",
                              std::strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&addr->storage), addr->length);
  const int err = errno;
  close(fd);
  if (bound == 0) {
    return Check("port", service, kOk, absl::StrCat("port ", port, " on ", address, " is free"));
  }
  if (err == EADDRINUSE) {
    return Check("port", service, kError,
                 absl::StrCat("port ", port, " on ", address,
                              " is in use by another process (needed by ", service, ")"));
  }
  if (err == EADDRNOTAVAIL) {
    return Check("port", service, kError,
                 absl::StrCat("cannot bind ", HostPort(address, port), ": ", std::strerror(err),
                              " — is ", address, " this node's address?"));
  }
  return Check("port", service, kError,
               absl::StrCat("cannot bind ", HostPort(address, port), " for ", service, ": ",
                            std::strerror(err)));
}

v1::PreflightCheck CheckClockOffset(std::optional<int64_t> offset_ms, int64_t warn_ms) {
  if (!offset_ms.has_value()) {
    return Check("clock", "", kOk,
                 "clock offset to the controller not measured yet (no controller connection)");
  }
  const int64_t offset = *offset_ms;
  // Magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t.
  const uint64_t magnitude =
      offset < 0 ? 0 - static_cast<uint64_t>(offset) : static_cast<uint64_t>(offset);
  const std::string off = absl::StrCat("clock is ", magnitude, " ms ",
                                       offset < 0 ? "behind" : "ahead of", " the controller's");
  if (offset > warn_ms || offset < -warn_ms) {
    return Check("clock", "", kWarning,
                 absl::StrCat(off, " (more than ", warn_ms, " ms); sync time on all nodes (NTP)"));
  }
  return Check("clock", "", kOk, absl::StrCat(off, " (within ", warn_ms, " ms)"));
}

absl::StatusOr<MemInfo> ParseMemInfo(absl::string_view proc_meminfo_text) {
  std::optional<uint64_t> total;
  std::optional<uint64_t> available;
  uint64_t free_kb = 0;
  uint64_t buffers_kb = 0;
  uint64_t cached_kb = 0;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(proc_meminfo_text, '\n')) {
    ++line_number;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view value = line.substr(colon + 1);
    uint64_t* field = nullptr;
    if (key == "MemTotal") {
      field = &total.emplace();
    } else if (key == "MemAvailable") {
      field = &available.emplace();
    } else if (key == "MemFree") {
      field = &free_kb;
    } else if (key == "Buffers") {
      field = &buffers_kb;
    } else if (key == "Cached") {
      field = &cached_kb;
    } else {
      continue;
    }
    ASSIGN_OR_RETURN(*field, MemInfoValue(key, value, line_number));
  }
  if (!total.has_value()) return absl::InvalidArgumentError("meminfo has no MemTotal line");
  MemInfo info;
  info.total_kb = *total;
  info.available_kb = available.value_or(free_kb + buffers_kb + cached_kb);
  return info;
}

absl::StatusOr<MemInfo> ReadMemInfo(const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
  if (!text.has_value()) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  absl::StatusOr<MemInfo> info = ParseMemInfo(*text);
  if (!info.ok()) return Annotate(info.status(), path);
  return info;
}

v1::PreflightCheck CheckMemory(uint64_t total_heap_mb, const MemInfo& mem) {
  const uint64_t heap_kb = total_heap_mb > std::numeric_limits<uint64_t>::max() / 1024
                               ? std::numeric_limits<uint64_t>::max()
                               : total_heap_mb * 1024;
  if (heap_kb > mem.total_kb) {
    return Check("memory", "", kWarning,
                 absl::StrCat("configured heaps total ", total_heap_mb,
                              " MiB but the host has only ", Mib(mem.total_kb), " MiB of memory"));
  }
  if (heap_kb > mem.available_kb) {
    return Check("memory", "", kWarning,
                 absl::StrCat("configured heaps total ", total_heap_mb, " MiB but only ",
                              Mib(mem.available_kb), " MiB of the host's memory is available"));
  }
  return Check(
      "memory", "", kOk,
      absl::StrCat(total_heap_mb, " MiB of heaps, ", Mib(mem.available_kb), " MiB available"));
}

}  // namespace bamctl
