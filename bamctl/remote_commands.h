#ifndef BAMCTL_BAMCTL_REMOTE_COMMANDS_H_
#define BAMCTL_BAMCTL_REMOTE_COMMANDS_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"
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

// What the remote commands take from outside their command line. RunBamctl
// fills it from the process environment; tests build their own.
struct RemoteContext {
  ClusterStubFactory make_stub = NewInsecureClusterStub;
  // The controller to use without --controller ($BAMCTL_CONTROLLER); empty
  // for none, which makes a remote command a usage error.
  std::string default_controller;
  // Recorded as the author of applies and rollbacks ($USER).
  std::string user = "unknown";
  // Deadline of each call to the controller.
  absl::Duration rpc_timeout = absl::Seconds(30);
};

// The context of this process: $BAMCTL_CONTROLLER, $USER (or "unknown").
RemoteContext RemoteContextFromEnvironment();

// Whether `args` (as for RunBamctl) is a command that talks to the
// controller: `desired-state apply|get|history|diff|rollback`, `status`,
// `nodes`, `events`.
bool IsRemoteCommand(const std::vector<std::string>& args);

// Runs one remote command (`args` as for RunBamctl; IsRemoteCommand(args)
// must hold), writing results to `out` and diagnostics to `err`. Returns the
// exit code: kExitUsage for a bad command line or no controller address,
// kExitFailed when the controller cannot be reached or refuses (an invalid
// spec, a stale --expected-version) and, for `status`, when the cluster has
// not converged; kExitOk otherwise.
int RunRemoteCommand(const std::vector<std::string>& args, const RemoteContext& context,
                     std::ostream& out, std::ostream& err);

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_REMOTE_COMMANDS_H_
