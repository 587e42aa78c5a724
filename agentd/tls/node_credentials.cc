#include "agentd/tls/node_credentials.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "grpcpp/security/credentials.h"

namespace bamctl {
namespace {

absl::StatusOr<std::string> ReadRequired(const std::string& path, absl::string_view flag) {
  ASSIGN_OR_RETURN(std::optional<std::string> text,
                   Annotate(ReadFileIfExists(path), absl::StrCat(flag)));
  if (!text.has_value()) {
    return absl::NotFoundError(absl::StrCat(flag, ": ", path, ": no such file"));
  }
  return std::move(*text);
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status RenameOver(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) return Errno("rename to " + to + ":", from);
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckNodeCertificate(absl::string_view cert_pem, absl::string_view key_pem,
                                  absl::string_view ca_pem, absl::string_view node, absl::Time now,
                                  absl::string_view cert_where) {
  RETURN_IF_ERROR(Annotate(CheckKeyMatchesCertificate(cert_pem, key_pem), cert_where));
  ASSIGN_OR_RETURN(Identity identity, Annotate(IdentityOfCertificate(cert_pem), cert_where));
  if (identity.role != PeerRole::kNode) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_where, ": the certificate's role (OU) is \"", PeerRoleText(identity.role),
                     "\"; an agent needs a node certificate"));
  }
  if (identity.name != node) {
    return absl::InvalidArgumentError(absl::StrCat(cert_where, ": the certificate names node \"",
                                                   identity.name, "\", but --node is \"", node,
                                                   "\""));
  }
  return Annotate(VerifyCertificate(cert_pem, ca_pem, now),
                  absl::StrCat(cert_where, ": not valid under the cluster CA (--ca_file)"));
}

absl::StatusOr<grpc::SslCredentialsOptions> LoadNodeCredentials(const NodeTlsFiles& files,
                                                                absl::string_view node,
                                                                absl::Time now) {
  ASSIGN_OR_RETURN(std::string ca, ReadRequired(files.ca_file, "--ca_file"));
  ASSIGN_OR_RETURN(std::string cert, ReadRequired(files.cert_file, "--cert_file"));
  ASSIGN_OR_RETURN(std::string key, ReadRequired(files.key_file, "--key_file"));
  RETURN_IF_ERROR(CheckNodeCertificate(
      cert, key, ca, node, now,
      absl::StrCat("--cert_file ", files.cert_file, " with --key_file ", files.key_file)));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = std::move(ca);
  options.pem_cert_chain = std::move(cert);
  options.pem_private_key = std::move(key);
  return options;
}

absl::Time RenewalDue(const Identity& identity) {
  return identity.not_before + (identity.not_after - identity.not_before) * 2 / 3;
}

absl::Status InstallNodeCredentials(const NodeTlsFiles& files, absl::string_view cert_pem,
                                    absl::string_view key_pem) {
  const std::string key_new = files.key_file + ".new";
  const std::string cert_new = files.cert_file + ".new";
  RETURN_IF_ERROR(WriteFileAtomically(key_new, key_pem, 0600));
  RETURN_IF_ERROR(WriteFileAtomically(cert_new, cert_pem, 0644));
  RETURN_IF_ERROR(RenameOver(key_new, files.key_file));
  RETURN_IF_ERROR(RenameOver(cert_new, files.cert_file));
  RETURN_IF_ERROR(SyncDirectory(ParentDirectory(files.key_file)));
  return SyncDirectory(ParentDirectory(files.cert_file));
}

absl::Status RecoverInterruptedRenewal(const NodeTlsFiles& files) {
  const std::string key_new = files.key_file + ".new";
  const std::string cert_new = files.cert_file + ".new";
  ASSIGN_OR_RETURN(std::optional<std::string> cert, ReadFileIfExists(cert_new));
  ASSIGN_OR_RETURN(std::optional<std::string> pending_key, ReadFileIfExists(key_new));
  if (cert.has_value()) {
    // Without KEY.new the key was renamed already: KEY is the new key.
    std::optional<std::string> key = pending_key;
    if (!key.has_value()) {
      ASSIGN_OR_RETURN(key, ReadFileIfExists(files.key_file));
    }
    if (key.has_value() && CheckKeyMatchesCertificate(*cert, *key).ok()) {
      if (pending_key.has_value()) RETURN_IF_ERROR(RenameOver(key_new, files.key_file));
      RETURN_IF_ERROR(RenameOver(cert_new, files.cert_file));
      return SyncDirectory(ParentDirectory(files.cert_file));
    }
  }
  // A renewal cut short before both files were written: the old pair stands.
  if (pending_key.has_value() && unlink(key_new.c_str()) != 0) return Errno("remove", key_new);
  if (cert.has_value() && unlink(cert_new.c_str()) != 0) return Errno("remove", cert_new);
  return absl::OkStatus();
}

FileNodeCredentials::FileNodeCredentials(NodeTlsFiles files, std::string node, const Clock* clock,
                                         grpc::SslCredentialsOptions options, Identity identity)
    : files_(std::move(files)),
      node_(std::move(node)),
      clock_(clock),
      options_(std::move(options)),
      identity_(std::move(identity)) {}

absl::StatusOr<std::unique_ptr<FileNodeCredentials>> FileNodeCredentials::Load(NodeTlsFiles files,
                                                                               std::string node,
                                                                               const Clock* clock) {
  RETURN_IF_ERROR(RecoverInterruptedRenewal(files));
  ASSIGN_OR_RETURN(grpc::SslCredentialsOptions options,
                   LoadNodeCredentials(files, node, absl::FromUnixMillis(clock->NowMillis())));
  ASSIGN_OR_RETURN(Identity identity, IdentityOfCertificate(options.pem_cert_chain));
  return std::unique_ptr<FileNodeCredentials>(new FileNodeCredentials(
      std::move(files), std::move(node), clock, std::move(options), std::move(identity)));
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> FileNodeCredentials::Credentials() {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options_);
  if (credentials == nullptr) return absl::InternalError("gRPC made no TLS credentials");
  return credentials;
}

int64_t FileNodeCredentials::RenewalDueMillis() {
  absl::MutexLock lock(&mu_);
  return absl::ToUnixMillis(RenewalDue(identity_));
}

int64_t FileNodeCredentials::ExpiryMillis() {
  absl::MutexLock lock(&mu_);
  return absl::ToUnixMillis(identity_.not_after);
}

absl::StatusOr<std::string> FileNodeCredentials::NewRenewalRequest() {
  ASSIGN_OR_RETURN(KeyAndRequest request, NewKeyAndRequest(node_));
  absl::MutexLock lock(&mu_);
  pending_key_ = std::move(request.key_pem);
  return std::move(request.csr_pem);
}

absl::Status FileNodeCredentials::InstallRenewed(absl::string_view cert_pem) {
  absl::MutexLock lock(&mu_);
  if (!pending_key_.has_value()) {
    return absl::FailedPreconditionError("a renewed certificate came without a pending request");
  }
  RETURN_IF_ERROR(CheckNodeCertificate(cert_pem, *pending_key_, options_.pem_root_certs, node_,
                                       absl::FromUnixMillis(clock_->NowMillis()),
                                       "the renewed certificate"));
  ASSIGN_OR_RETURN(Identity identity, IdentityOfCertificate(cert_pem));
  RETURN_IF_ERROR(InstallNodeCredentials(files_, cert_pem, *pending_key_));
  options_.pem_cert_chain = std::string(cert_pem);
  options_.pem_private_key = std::move(*pending_key_);
  pending_key_.reset();
  identity_ = std::move(identity);
  return absl::OkStatus();
}

}  // namespace bamctl
