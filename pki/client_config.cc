#include "pki/client_config.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "common/status_macros.h"
#include "pki/certs.h"
#include "pki/openssl_util.h"

namespace bamctl {
namespace {

std::string DirOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "bamctl.conf:4"
std::string Where(const std::string& path, int line) { return absl::StrCat(path, ":", line); }

// HOST:PORT with a port in [1, 65535]; the host may be a bracketed IPv6.
bool IsHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  int port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 1 || port > 65535) return false;
  const absl::string_view host = text.substr(0, colon);
  // An IPv6 literal needs brackets, or its last ':' would read as the port's.
  return host.find(':') == absl::string_view::npos || (host.front() == '[' && host.back() == ']');
}

// Reads the file a config line names; errors say which line named it.
absl::StatusOr<std::string> ReadNamedFile(const ClientConfig& config, absl::string_view key,
                                          const ConfigValue& value) {
  const std::string where =
      absl::StrCat(Where(config.path, value.line), ": ", key, " ", value.value);
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(value.value);
  if (!text.ok()) return Annotate(text.status(), where);
  if (!text->has_value()) return absl::NotFoundError(absl::StrCat(where, ": no such file"));
  return **text;
}

}  // namespace

absl::string_view ClientConfigKeys() { return "controller, ca_file, cert_file, key_file"; }

std::string FormatClientConfig(absl::string_view comment, absl::string_view controller,
                               absl::string_view ca_file, absl::string_view cert_file,
                               absl::string_view key_file) {
  std::string text;
  for (absl::string_view line : absl::StrSplit(comment, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&text, "# ", line, "\n");
  }
  if (!controller.empty()) absl::StrAppend(&text, "controller = ", controller, "\n");
  absl::StrAppend(&text, "ca_file = ", ca_file, "\n", "cert_file = ", cert_file, "\n",
                  "key_file = ", key_file, "\n");
  return text;
}

absl::StatusOr<ClientConfig> ParseClientConfig(absl::string_view text, const std::string& path) {
  ClientConfig config;
  config.path = path;
  const std::map<std::string, ConfigValue*> fields = {{"controller", &config.controller},
                                                      {"ca_file", &config.ca_file},
                                                      {"cert_file", &config.cert_file},
                                                      {"key_file", &config.key_file}};
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, number),
                                                     ": want `key = value`, got \"", line,
                                                     "\"; valid keys: ", ClientConfigKeys()));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, equals)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(equals + 1)));
    auto field = fields.find(key);
    if (field == fields.end()) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, number), ": unknown key \"", key,
                                                     "\"; valid keys: ", ClientConfigKeys()));
    }
    if (field->second->line != 0) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, number), ": ", key,
                                                     " given again (first on line ",
                                                     field->second->line, ")"));
    }
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(path, number), ": ", key, " has no value"));
    }
    if (key == "controller") {
      // HOST:PORT, or the controllers of an HA cluster: HOST:PORT,HOST:PORT,...
      std::vector<std::string> list = SplitAddressList(value);
      if (list.empty()) list.push_back(std::string(value));  // "," names no controller
      for (const std::string& one : list) {
        if (!IsHostPort(one)) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(path, number), ": controller \"", one,
                           "\": want HOST:PORT (an IPv6 address in brackets: [fd00::1]:7443), or "
                           "HOST:PORT,HOST:PORT,... for the controllers of an HA cluster"));
        }
      }
    }
    field->second->value =
        key == "controller" || value.front() == '/' ? value : absl::StrCat(DirOf(path), "/", value);
    field->second->line = number;
  }
  for (const char* required : {"ca_file", "cert_file", "key_file"}) {
    if (fields.at(required)->line == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": no ", required, "; a config needs ca_file, cert_file and key_file"));
    }
  }
  return config;
}

absl::StatusOr<ClientConfig> ReadClientConfig(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return Annotate(text.status(), "read config");
  if (!text->has_value()) {
    return absl::NotFoundError(absl::StrCat("config ", path, ": no such file"));
  }
  return ParseClientConfig(**text, path);
}

std::string HostPort(absl::string_view host, int port) {
  if (host.find(':') != absl::string_view::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<ClientTls> LoadClientTls(const ClientConfig& config) {
  ClientTls tls;
  ASSIGN_OR_RETURN(tls.ca_pem, ReadNamedFile(config, "ca_file", config.ca_file));
  ASSIGN_OR_RETURN(tls.cert_pem, ReadNamedFile(config, "cert_file", config.cert_file));
  ASSIGN_OR_RETURN(tls.key_pem, ReadNamedFile(config, "key_file", config.key_file));
  auto where = [&](absl::string_view key, const ConfigValue& value) {
    return absl::StrCat(Where(config.path, value.line), ": ", key, " ", value.value);
  };
  RETURN_IF_ERROR(Annotate(pki_internal::ParseCertificate(tls.ca_pem, "it").status(),
                           where("ca_file", config.ca_file)));
  RETURN_IF_ERROR(Annotate(pki_internal::ParseCertificate(tls.cert_pem, "it").status(),
                           where("cert_file", config.cert_file)));
  RETURN_IF_ERROR(Annotate(pki_internal::ParsePrivateKey(tls.key_pem, "it").status(),
                           where("key_file", config.key_file)));
  if (absl::Status match = CheckKeyMatchesCertificate(tls.cert_pem, tls.key_pem); !match.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where("key_file", config.key_file), ": ",
                                                   match.message(), " (",
                                                   where("cert_file", config.cert_file), ")"));
  }
  return tls;
}

}  // namespace bamctl
