#include "bamctl/controller_client.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "bamctl/cli.h"
#include "bamctl/output.h"

namespace bamctl {

std::unique_ptr<v1::ClusterService::StubInterface> NewClusterStub(
    const std::string& address, const std::optional<ClientTls>& tls) {
  if (!tls.has_value()) {
    return v1::ClusterService::NewStub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls->ca_pem;
  options.pem_private_key = tls->key_pem;
  options.pem_cert_chain = tls->cert_pem;
  return v1::ClusterService::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(options)));
}

CommandContext CommandContextFromEnvironment() {
  CommandContext context;
  if (const char* controller = std::getenv("BAMCTL_CONTROLLER")) {
    context.default_controller = controller;
  }
  if (const char* config = std::getenv("BAMCTL_CONFIG")) context.default_config = config;
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
    context.user = user;
  }
  return context;
}

Controller::Controller(std::string address, std::string command, const CommandContext& context)
    : address_(std::move(address)),
      command_(std::move(command)),
      stub_(context.make_stub(address_, context.tls)),
      timeout_(context.rpc_timeout),
      tls_(context.tls.has_value()) {
  if (stub_ == nullptr) std::abort();  // a factory that returns no stub is a bug
}

grpc::Status Controller::Call(
    absl::FunctionRef<grpc::Status(Stub*, grpc::ClientContext*)> rpc) const {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  return rpc(stub_.get(), &context);
}

int Controller::Fail(const grpc::Status& status, std::ostream& err) const {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      err << "bamctl: cannot reach the controller at " << address_ << ": " << message
          << "; is bam-controller running?";
      // A TLS handshake that fails on either side looks the same from here.
      if (tls_) {
        err << " Over TLS it also fails when the controller's certificate is not from the "
               "config's ca_file or does not name this host, or when the controller does not "
               "trust the config's cert_file.";
      } else {
        err << " This bamctl talks plaintext (no --config or BAMCTL_CONFIG), which a controller "
               "serving TLS refuses: point BAMCTL_CONFIG at a bamctl.conf (bamctl pki init "
               "writes one).";
      }
      err << "\n";
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      err << "bamctl: " << command_ << ": the controller at " << address_
          << " did not answer within " << absl::FormatDuration(timeout_) << "\n";
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      err << "bamctl: " << command_ << ": the controller at " << address_
          << " does not support this command; is it older than bamctl? (" << message << ")\n";
      break;
    // The controller's own refusals say what is wrong in words.
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::OUT_OF_RANGE:
      err << "bamctl: " << command_ << ": " << Lines(message);
      break;
    // Refusals of this client's certificate: what it may not do, and as whom.
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      err << "bamctl: " << command_ << ": the controller at " << address_
          << " refused: " << Lines(message);
      break;
    default:
      err << "bamctl: " << command_ << ": the controller at " << address_ << " failed: "
          << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << ": "
          << Lines(message);
  }
  return kExitFailed;
}

}  // namespace bamctl
