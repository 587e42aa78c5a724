#include "bamctl/controller_client.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bamctl/cli.h"
#include "bamctl/output.h"
#include "common/leader_redirect.h"
#include "common/net_util.h"

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

namespace {

// How long one controller of a list gets to say who leads.
constexpr absl::Duration kAskTimeout = absl::Seconds(2);
// The pause before asking again while an election is under way.
constexpr absl::Duration kRetryPause = absl::Milliseconds(250);

// A refusal that committed nothing and names no other reason: the call
// can go to the leader (again).
bool ShouldFollowLeader(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
         !absl::StrContains(status.error_message(), kMayHaveCommitted);
}

}  // namespace

Controller::Controller(const std::string& address, std::string command,
                       const CommandContext& context)
    : addresses_(SplitAddressList(address)),
      command_(std::move(command)),
      context_(context),
      timeout_(context.rpc_timeout),
      tls_(context.tls.has_value()) {
  if (addresses_.empty()) addresses_.push_back(address);
  if (addresses_.size() == 1) {
    address_ = addresses_[0];
    stub_ = context.make_stub(address_, context.tls);
    if (stub_ == nullptr) std::abort();  // a factory that returns no stub is a bug
  } else {
    address_ = absl::StrJoin(addresses_, ",");  // until the leader is known
  }
}

grpc::Status Controller::FindLeader(absl::Time deadline) const {
  std::string told;  // what each said, for the error
  for (const std::string& address : addresses_) {
    std::unique_ptr<Stub> stub = context_.make_stub(address, context_.tls);
    if (stub == nullptr) std::abort();
    grpc::ClientContext call;
    call.set_deadline(absl::ToChronoTime(std::min(deadline, absl::Now() + kAskTimeout)));
    v1::GetControllersResponse response;
    grpc::Status status = stub->GetControllers(&call, v1::GetControllersRequest(), &response);
    if (!status.ok()) {
      absl::StrAppend(&told, "\n  ", address, ": ", status.error_message());
      continue;
    }
    if (!response.ha() || response.self().serving()) {
      address_ = address;
      stub_ = std::move(stub);
      return grpc::Status::OK;
    }
    if (!response.leader().empty()) {
      address_ = response.leader();
      stub_ = context_.make_stub(address_, context_.tls);
      if (stub_ == nullptr) std::abort();
      return grpc::Status::OK;
    }
    absl::StrAppend(&told, "\n  ", address, ": ", response.self().role(), ", knows no leader");
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("no leader among the controllers", told));
}

grpc::Status Controller::Call(
    absl::FunctionRef<grpc::Status(Stub*, grpc::ClientContext*)> rpc) const {
  const absl::Time deadline = absl::Now() + timeout_;
  if (addresses_.size() == 1) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    return rpc(stub_.get(), &context);
  }
  grpc::Status status;
  while (true) {
    if (stub_ == nullptr) status = FindLeader(deadline);
    if (stub_ != nullptr) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(deadline));
      status = rpc(stub_.get(), &context);
      if (!ShouldFollowLeader(status)) return status;
      stub_.reset();  // it died or stepped down: ask again
    }
    if (absl::Now() + kRetryPause >= deadline) return status;
    absl::SleepFor(kRetryPause);
  }
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
