#ifndef BAMCTL_TESTS_INTEGRATION_CONTROLLER_PROCESS_H_
#define BAMCTL_TESTS_INTEGRATION_CONTROLLER_PROCESS_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"
#include "pki/certs.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/child_process.h"

namespace bamctl::testing {

// A real bam-controller (BAMCTL_CONTROLLER_BIN) on this process's loopback
// subnet, serving mutual TLS from a pki init directory in `dir`: restarted
// on the same address, port and database, which no other process uses.
// Operators' calls go as admin; agent streams as node certificates made on
// demand. Killed (SIGKILL) by Kill9 or the destructor.
class ControllerProcess {
 public:
  explicit ControllerProcess(std::filesystem::path dir, std::vector<std::string> flags = {});

  // Starts it and waits (bounded) until it answers.
  absl::Status Start();
  void Kill9();  // SIGKILL to the group, then reaped

  v1::ClusterService::Stub* cluster() { return cluster_.get(); }
  // The agent service as `node`'s certificate; through `via` ("IP:PORT",
  // a proxy to the controller) when given, still verifying the
  // controller's own name; with `args` for the channel.
  absl::StatusOr<std::unique_ptr<v1::AgentService::Stub>> AgentStub(
      const std::string& node, const std::string& via = "",
      grpc::ChannelArguments args = grpc::ChannelArguments());
  std::string address() const { return address_; }

  pid_t pid() const { return process_ == nullptr ? 0 : process_->pid(); }
  // Its resident set, from /proc/PID/status.
  absl::StatusOr<int64_t> RssBytes() const;
  std::filesystem::path log() const { return dir_ / "controller.log"; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> flags_;
  std::string host_;
  std::string address_;
  std::unique_ptr<CertificateAuthority> ca_;
  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
};

// The controller's binary from CTest's environment; "" when not set.
std::string ControllerBinary();

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_CONTROLLER_PROCESS_H_
