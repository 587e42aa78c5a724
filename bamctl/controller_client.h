#ifndef BAMCTL_BAMCTL_CONTROLLER_CLIENT_H_
#define BAMCTL_BAMCTL_CONTROLLER_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "pki/client_config.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// Makes a ClusterService stub for the controller at `address` ("HOST:PORT"),
// over mutual TLS with `tls` (the CA to trust, the certificate and key to
// present) when set, else plaintext. Called once per command; the command
// owns the stub.
using ClusterStubFactory = std::function<std::unique_ptr<v1::ClusterService::StubInterface>(
    const std::string& address, const std::optional<ClientTls>& tls)>;

// The stub of a real channel, TLS or plaintext as `tls` says. The channel
// connects lazily, on the first call; TLS verifies that the controller's
// certificate names the host of `address`.
std::unique_ptr<v1::ClusterService::StubInterface> NewClusterStub(
    const std::string& address, const std::optional<ClientTls>& tls);

// What commands take from outside their command line. RunBamctl fills it
// from the process environment; tests build their own.
struct CommandContext {
  ClusterStubFactory make_stub = NewClusterStub;
  // The controller to use without --controller or a config's controller
  // ($BAMCTL_CONTROLLER); empty for none, which makes a remote command a
  // usage error.
  std::string default_controller;
  // The client config to use without --config ($BAMCTL_CONFIG); empty for
  // none: plaintext.
  std::string default_config;
  // The TLS identity of the config in effect. The command table sets it for
  // the remote command it runs, from --config or `default_config`; nullopt
  // is plaintext.
  std::optional<ClientTls> tls;
  // Recorded as the author of applies, rollbacks and operations ($USER).
  std::string user = "unknown";
  // Deadline of each call to the controller.
  absl::Duration rpc_timeout = absl::Seconds(30);
  // What `op watch` waits through between polls. Not owned.
  const Clock* clock = SystemClock::Get();
  // What `bamctl version` prints.
  std::string version;
};

// The context of this process: $BAMCTL_CONTROLLER, $BAMCTL_CONFIG, $USER
// (or "unknown").
CommandContext CommandContextFromEnvironment();

// The one way a command calls the controller: a stub for `address`, a fresh
// deadline per call, and a failed call told in words with its exit code.
//
// `address` may list several controllers of an HA cluster ("a:1,b:2,c:3"):
// calls then go to the leader, which any of them names (GetControllers),
// and a call the leader cannot take (it died, or is no longer the leader)
// is sent again to the new one until the call's deadline. A write whose
// commit was interrupted ("may or may not have been committed") is not
// sent again.
class Controller {
 public:
  using Stub = v1::ClusterService::StubInterface;

  // `command` ("op watch") names the command in messages.
  Controller(const std::string& address, std::string command, const CommandContext& context);

  // Runs one call with a fresh ClientContext carrying the deadline.
  grpc::Status Call(absl::FunctionRef<grpc::Status(Stub*, grpc::ClientContext*)> rpc) const;

  // The addresses given, in order.
  const std::vector<std::string>& addresses() const { return addresses_; }

  // Tells `err` in words why a call failed; returns kExitFailed. Only
  // UNIMPLEMENTED says the controller may be older than bamctl.
  int Fail(const grpc::Status& status, std::ostream& err) const;

 private:
  // Points stub_ at the leader; Unavailable when none of the addresses
  // names one.
  grpc::Status FindLeader(absl::Time deadline) const;

  std::vector<std::string> addresses_;
  std::string command_;
  const CommandContext& context_;
  absl::Duration timeout_;
  bool tls_;  // for hints when the controller cannot be reached
  // The controller calls go to, and its stub (null: find the leader first).
  mutable std::string address_;
  mutable std::unique_ptr<Stub> stub_;
};

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_CONTROLLER_CLIENT_H_
