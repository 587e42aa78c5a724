#include "pki/pki_dir.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "pki/client_config.h"

namespace bamctl {
namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kPublicMode = 0644;  // certificates and configs hold no secret

constexpr char kCaCert[] = "ca.crt";
constexpr char kCaKey[] = "ca.key";
constexpr char kConfig[] = "bamctl.conf";
constexpr char kController[] = "controller";
constexpr char kAdmin[] = "admin";

// A file to write: its name in the directory, its content and mode.
struct NewFile {
  std::string name;
  std::string content;
  mode_t mode;
};

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string PathIn(const std::string& dir, absl::string_view name) {
  return absl::StrCat(dir, dir.ends_with('/') ? "" : "/", name);
}

// Refuses, before anything is written, when any of `files` exists in `dir`.
absl::Status CheckFree(const std::string& dir, const std::vector<NewFile>& files,
                       absl::string_view hint) {
  std::vector<std::string> taken;
  for (const NewFile& file : files) {
    if (Exists(PathIn(dir, file.name))) taken.push_back(file.name);
  }
  if (taken.empty()) return absl::OkStatus();
  return absl::AlreadyExistsError(
      absl::StrCat(dir, " already holds ", absl::StrJoin(taken, ", "), "; ", hint));
}

// Writes every file, or (on a failure) removes the ones it wrote.
absl::StatusOr<std::vector<WrittenFile>> WriteAll(const std::string& dir,
                                                  const std::vector<NewFile>& files) {
  std::vector<WrittenFile> written;
  for (const NewFile& file : files) {
    const std::string path = PathIn(dir, file.name);
    if (absl::Status status = WriteNewFile(path, file.content, file.mode); !status.ok()) {
      for (const WrittenFile& done : written) unlink(done.path.c_str());
      return status;
    }
    written.push_back({path, file.mode});
  }
  RETURN_IF_ERROR(SyncDirectory(dir));
  return written;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string ConfigComment(absl::string_view who, absl::string_view role) {
  return absl::StrCat("bamctl client config for ", who, " (", role,
                      "), written by bamctl pki.\n"
                      "Use it with: export BAMCTL_CONFIG=<this file>, or bamctl --config <this "
                      "file>.\nRelative paths are relative to this file's directory.");
}

}  // namespace

absl::Duration CertLifetime(PeerRole role) {
  switch (role) {
    case PeerRole::kController:
      return kControllerCertLifetime;
    case PeerRole::kNode:
      return kNodeCertLifetime;
    case PeerRole::kOperator:
    case PeerRole::kViewer:
      return kPersonCertLifetime;
  }
  return kNodeCertLifetime;
}

absl::Status CheckCertificateName(absl::string_view name) {
  auto allowed = [](char c) { return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-'; };
  if (name.empty() || name.size() > 63 || !absl::ascii_isalnum(name.front()) ||
      !std::all_of(name.begin(), name.end(), allowed)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name \"", name,
                     "\": want 1 to 63 letters, digits, '.', '_' or '-', starting with a letter "
                     "or digit"));
  }
  return absl::OkStatus();
}

namespace {

// A controller's host names and addresses, as its certificate names them.
struct ControllerNames {
  std::vector<std::string> hosts;  // as given, "[v6]" unbracketed
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
};

ControllerNames SplitControllerHosts(const std::vector<std::string>& controller_hosts) {
  ControllerNames names;
  for (std::string host : controller_hosts) {
    // "[fd00::1]" as people write it in addresses.
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    (IsIpLiteral(host) ? names.ip_addresses : names.dns_names).push_back(host);
    names.hosts.push_back(std::move(host));
  }
  return names;
}

}  // namespace

absl::StatusOr<std::vector<WrittenFile>> InitPkiDir(
    const std::string& dir, absl::string_view cluster_name,
    const std::vector<std::string>& controller_hosts, int controller_port) {
  RETURN_IF_ERROR(Annotate(CheckCertificateName(cluster_name), "cluster"));
  if (controller_hosts.empty()) {
    return absl::InvalidArgumentError("the controller needs at least one host name or address");
  }
  if (controller_port < 1 || controller_port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("controller port ", controller_port, ": want 1 to 65535"));
  }
  const ControllerNames names = SplitControllerHosts(controller_hosts);
  const std::vector<std::string>& hosts = names.hosts;

  // Names first, so a taken directory is refused before any key is made.
  std::vector<NewFile> files = {{kCaCert, "", kPublicMode},
                                {kCaKey, "", kKeyMode},
                                {absl::StrCat(kController, ".crt"), "", kPublicMode},
                                {absl::StrCat(kController, ".key"), "", kKeyMode},
                                {absl::StrCat(kAdmin, ".crt"), "", kPublicMode},
                                {absl::StrCat(kAdmin, ".key"), "", kKeyMode},
                                {kConfig, "", kPublicMode}};
  RETURN_IF_ERROR(CheckFree(
      dir, files,
      "pki init creates a new CA only where there is none (bamctl pki issue adds certificates)"));

  ASSIGN_OR_RETURN(CertificateAuthority ca,
                   CertificateAuthority::Create(cluster_name, kCaLifetime));
  ASSIGN_OR_RETURN(KeyAndCertificate controller,
                   Annotate(ca.Issue(hosts.front(), PeerRole::kController, kControllerCertLifetime,
                                     names.dns_names, names.ip_addresses),
                            "controller certificate"));
  ASSIGN_OR_RETURN(KeyAndCertificate admin,
                   ca.Issue(kAdmin, PeerRole::kOperator, kPersonCertLifetime));
  files[0].content = ca.cert_pem();
  files[1].content = ca.key_pem();
  files[2].content = std::move(controller.cert_pem);
  files[3].content = std::move(controller.key_pem);
  files[4].content = std::move(admin.cert_pem);
  files[5].content = std::move(admin.key_pem);
  files[6].content = FormatClientConfig(ConfigComment(kAdmin, "operator"),
                                        HostPort(hosts.front(), controller_port), kCaCert,
                                        absl::StrCat(kAdmin, ".crt"), absl::StrCat(kAdmin, ".key"));

  RETURN_IF_ERROR(MakeDirs(dir, kDirMode));
  return WriteAll(dir, files);
}

absl::StatusOr<std::vector<WrittenFile>> IssueInDir(
    const std::string& dir, absl::string_view name, PeerRole role,
    const std::vector<std::string>& controller_hosts) {
  RETURN_IF_ERROR(CheckCertificateName(name));
  if (role == PeerRole::kController && controller_hosts.empty()) {
    return absl::InvalidArgumentError(
        "a controller certificate names the controller's host names and addresses: give "
        "--controller-host NAME[,NAME...]");
  }
  if (role != PeerRole::kController && !controller_hosts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--controller-host is for controller certificates, not ", PeerRoleText(role), " ones"));
  }
  std::vector<NewFile> files = {{absl::StrCat(name, ".crt"), "", kPublicMode},
                                {absl::StrCat(name, ".key"), "", kKeyMode}};
  const bool person = role == PeerRole::kOperator || role == PeerRole::kViewer;
  if (person) files.push_back({absl::StrCat(name, ".conf"), "", kPublicMode});
  RETURN_IF_ERROR(CheckFree(dir, files, "choose another name (nothing is overwritten)"));

  std::string ca_text[2];
  const char* ca_files[2] = {kCaCert, kCaKey};
  for (int i = 0; i < 2; ++i) {
    const std::string path = PathIn(dir, ca_files[i]);
    ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
    if (!text) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file; run bamctl pki init --dir ",
                                              dir, " first, or put the CA there"));
    }
    ca_text[i] = *std::move(text);
  }
  ASSIGN_OR_RETURN(
      CertificateAuthority ca,
      Annotate(CertificateAuthority::Load(ca_text[0], ca_text[1]), absl::StrCat("CA in ", dir)));
  const ControllerNames names = SplitControllerHosts(controller_hosts);
  ASSIGN_OR_RETURN(KeyAndCertificate issued,
                   ca.Issue(name, role, CertLifetime(role), names.dns_names, names.ip_addresses));
  files[0].content = std::move(issued.cert_pem);
  files[1].content = std::move(issued.key_pem);
  if (person) {
    // The controller admin's config names, when there is one.
    std::string controller;
    if (absl::StatusOr<ClientConfig> admin = ReadClientConfig(PathIn(dir, kConfig)); admin.ok()) {
      controller = admin->controller.value;
    }
    files[2].content = FormatClientConfig(ConfigComment(name, PeerRoleText(role)), controller,
                                          kCaCert, files[0].name, files[1].name);
  }
  return WriteAll(dir, files);
}

}  // namespace bamctl
