#ifndef BAMCTL_BAMCTL_CONTROLLER_CLIENT_H_
#define BAMCTL_BAMCTL_CONTROLLER_CLIENT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// Makes a ClusterService stub for the controller at `address` ("HOST:PORT").
// Called once per command; the command owns the stub.
using ClusterStubFactory =
    std::function<std::unique_ptr<v1::ClusterService::StubInterface>(const std::string& address)>;

// A stub over a plaintext channel. The channel connects lazily, on the first
// call. TLS comes later.
std::unique_ptr<v1::ClusterService::StubInterface> NewInsecureClusterStub(
    const std::string& address);

// What commands take from outside their command line. RunBamctl fills it
// from the process environment; tests build their own.
struct CommandContext {
  ClusterStubFactory make_stub = NewInsecureClusterStub;
  // The controller to use without --controller ($BAMCTL_CONTROLLER); empty
  // for none, which makes a remote command a usage error.
  std::string default_controller;
  // Recorded as the author of applies, rollbacks and operations ($USER).
  std::string user = "unknown";
  // Deadline of each call to the controller.
  absl::Duration rpc_timeout = absl::Seconds(30);
  // What `op watch` waits through between polls. Not owned.
  const Clock* clock = SystemClock::Get();
  // What `bamctl version` prints.
  std::string version;
};

// The context of this process: $BAMCTL_CONTROLLER, $USER (or "unknown").
CommandContext CommandContextFromEnvironment();

// The one way a command calls the controller: a stub for `address`, a fresh
// deadline per call, and a failed call told in words with its exit code.
class Controller {
 public:
  using Stub = v1::ClusterService::StubInterface;

  // `command` ("op watch") names the command in messages.
  Controller(std::string address, std::string command, const CommandContext& context);

  // Runs one call with a fresh ClientContext carrying the deadline.
  grpc::Status Call(absl::FunctionRef<grpc::Status(Stub*, grpc::ClientContext*)> rpc) const;

  // Tells `err` in words why a call failed; returns kExitFailed. Only
  // UNIMPLEMENTED says the controller may be older than bamctl.
  int Fail(const grpc::Status& status, std::ostream& err) const;

 private:
  std::string address_;
  std::string command_;
  std::unique_ptr<Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_CONTROLLER_CLIENT_H_
