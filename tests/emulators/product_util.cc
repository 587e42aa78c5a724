#include "tests/emulators/product_util.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bamctl::emulator {

std::string EnvOr(const std::map<std::string, std::string>& env, const std::string& key,
                  absl::string_view fallback) {
  auto it = env.find(key);
  return it == env.end() || it->second.empty() ? std::string(fallback) : it->second;
}

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::optional<std::string> FindOnPath(absl::string_view name, absl::string_view path_var) {
  for (absl::string_view dir : absl::StrSplit(path_var, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (IsExecutable(candidate)) return candidate;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> ResolveIPv4(absl::string_view host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string name(host);
  if (int rc = getaddrinfo(name.c_str(), nullptr, &hints, &found); rc != 0) {
    return absl::NotFoundError(absl::StrCat("unknown host ", name, ": ", gai_strerror(rc)));
  }
  char text[INET_ADDRSTRLEN] = {};
  const auto* in = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
  freeaddrinfo(found);
  return std::string(text);
}

absl::StatusOr<std::unique_ptr<pugi::xml_document>> LoadXmlFile(const std::string& path) {
  auto doc = std::make_unique<pugi::xml_document>();
  pugi::xml_parse_result parsed = doc->load_file(path.c_str());
  if (parsed.status == pugi::status_file_not_found) return nullptr;
  if (!parsed) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not well-formed XML at byte ",
                                                   parsed.offset, ": ", parsed.description()));
  }
  return doc;
}

std::optional<std::string> ChildText(pugi::xml_node node, absl::string_view path) {
  for (absl::string_view name : absl::StrSplit(path, '/')) {
    node = node.child(std::string(name).c_str());
    if (!node) return std::nullopt;
  }
  return std::string(absl::StripAsciiWhitespace(node.child_value()));
}

}  // namespace bamctl::emulator
