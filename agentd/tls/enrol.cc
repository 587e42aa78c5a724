#include "agentd/tls/enrol.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "common/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "proto/controller.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

absl::StatusCode ToAbsl(grpc::StatusCode code) { return static_cast<absl::StatusCode>(code); }

}  // namespace

absl::Status Enrol(const EnrolOptions& options, const Clock* clock) {
  ASSIGN_OR_RETURN(std::optional<std::string> ca,
                   Annotate(ReadFileIfExists(options.files.ca_file), "--ca_file"));
  if (!ca.has_value()) {
    return absl::NotFoundError(absl::StrCat("--ca_file ", options.files.ca_file, ": no such file"));
  }
  ASSIGN_OR_RETURN(KeyAndRequest request, NewKeyAndRequest(options.node));

  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = *ca;  // verify the controller; no client certificate yet
  // A list of controllers (HA): each attempt asks the next one; a follower
  // refuses (UNAVAILABLE) and the leader takes it.
  std::vector<std::unique_ptr<v1::EnrollmentService::Stub>> stubs;
  for (const std::string& address : SplitAddressList(options.controller)) {
    stubs.push_back(
        v1::EnrollmentService::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(tls))));
  }
  if (stubs.empty()) return absl::InvalidArgumentError("no controller address to enrol at");
  v1::EnrollRequest call;
  call.set_token(options.token);
  call.set_csr_pem(request.csr_pem);
  const std::string token_hint = options.token.substr(0, 12);

  v1::EnrollResponse response;
  grpc::Status status;
  absl::Duration backoff = options.backoff_initial;
  for (int attempt = 1; attempt <= options.attempts; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options.call_timeout));
    status = stubs[(attempt - 1) % stubs.size()]->Enroll(&context, call, &response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      break;
    }
    if (attempt == options.attempts) break;
    if (attempt % stubs.size() != 0) continue;  // the next controller of the list at once
    spdlog::warn("enrolment of node {} at {} (token {}...): {}; retrying in {}", options.node,
                 options.controller, token_hint, status.error_message(),
                 absl::FormatDuration(backoff));
    clock->SleepMillis(absl::ToInt64Milliseconds(backoff));
    backoff = std::min(backoff * 2, absl::Seconds(30));
  }
  if (!status.ok()) {
    return absl::Status(
        ToAbsl(status.error_code()),
        absl::StrCat("enrolment at ", options.controller, " with token ", token_hint, "... ",
                     status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                         ? "failed (controller unreachable)"
                         : "refused by the controller",
                     ": ", status.error_message()));
  }
  RETURN_IF_ERROR(CheckNodeCertificate(response.cert_pem(), request.key_pem, *ca, options.node,
                                       absl::FromUnixMillis(clock->NowMillis()),
                                       absl::StrCat("the certificate from ", options.controller)));
  RETURN_IF_ERROR(
      Annotate(InstallNodeCredentials(options.files, response.cert_pem(), request.key_pem),
               absl::StrCat("install the enrolled certificate as ", options.files.cert_file)));
  spdlog::info("node {} enrolled at {}: certificate {}, key {}", options.node, options.controller,
               options.files.cert_file, options.files.key_file);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileNodeCredentials>> PrepareNodeCredentials(
    const AgentTlsSettings& settings, const Clock* clock) {
  if (settings.insecure_plaintext) {
    if (!settings.files.ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--insecure_plaintext and --ca_file contradict each other: give --ca_file for mutual "
          "TLS, or --insecure_plaintext alone for a plaintext controller on loopback");
    }
    return nullptr;
  }
  if (settings.files.ca_file.empty()) {
    return absl::InvalidArgumentError(
        "no TLS settings: give --ca_file=CA.crt (the cluster CA; with --bootstrap_token or "
        "--bootstrap_token_file to enrol, or an existing --cert_file/--key_file), or "
        "--insecure_plaintext to talk plaintext to a controller started with "
        "--insecure_plaintext");
  }
  if (!settings.token.empty() && !settings.token_file.empty()) {
    return absl::InvalidArgumentError("give --bootstrap_token or --bootstrap_token_file, not both");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> cert, ReadFileIfExists(settings.files.cert_file));
  ASSIGN_OR_RETURN(std::optional<std::string> pending,
                   ReadFileIfExists(settings.files.cert_file + ".new"));
  if (!cert.has_value() && !pending.has_value()) {
    std::string token = settings.token;
    if (!settings.token_file.empty()) {
      ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(settings.token_file));
      if (!text.has_value()) {
        return absl::NotFoundError(
            absl::StrCat("--bootstrap_token_file ", settings.token_file, ": no such file"));
      }
      token = std::string(absl::StripAsciiWhitespace(*text));
    }
    if (token.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "--cert_file ", settings.files.cert_file,
          ": no such file; enrol this node with --bootstrap_token or --bootstrap_token_file "
          "(bamctl node token create ",
          settings.node, "), or install a node certificate there"));
    }
    EnrolOptions enrol;
    enrol.controller = settings.controller;
    enrol.node = settings.node;
    enrol.token = std::move(token);
    enrol.files = settings.files;
    RETURN_IF_ERROR(Enrol(enrol, clock));
  } else if (!settings.token.empty() || !settings.token_file.empty()) {
    spdlog::info("{} exists: the bootstrap token is not needed and not used",
                 settings.files.cert_file);
  }
  return FileNodeCredentials::Load(settings.files, settings.node, clock);
}

}  // namespace bamctl
