#ifndef BAMCTL_CONTROLLER_SERVER_UNARY_H_
#define BAMCTL_CONTROLLER_SERVER_UNARY_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace bamctl {

// The gRPC status for an absl::Status: the same code and message (the
// codes share their numbering).
inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// Runs `body` (returning absl::Status) on the callback thread and finishes
// the unary call with its status.
template <typename Body>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Body&& body) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(body()));
  return reactor;
}

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_UNARY_H_
