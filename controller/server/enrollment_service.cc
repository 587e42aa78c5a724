#include "controller/server/enrollment_service.h"

#include "common/status_macros.h"
#include "controller/server/unary.h"
#include "spdlog/spdlog.h"

namespace bamctl {

grpc::ServerUnaryReactor* EnrollmentServiceImpl::Enroll(grpc::CallbackServerContext* ctx,
                                                        const v1::EnrollRequest* request,
                                                        v1::EnrollResponse* response) {
  return Unary(ctx, [&]() -> absl::Status {
    if (!authz_->tls()) {
      return absl::FailedPreconditionError(
          "this controller serves plaintext (--insecure_plaintext): nodes need no certificate "
          "and none is issued");
    }
    absl::StatusOr<v1::EnrollResponse> enrolled = enrolment_->Enroll(*request);
    if (!enrolled.ok()) {
      spdlog::warn("enrolment from {} refused: {}", ctx->peer(), enrolled.status().ToString());
      return enrolled.status();
    }
    spdlog::info("node {} enrolled from {}", enrolled->node(), ctx->peer());
    *response = *std::move(enrolled);
    return absl::OkStatus();
  });
}

}  // namespace bamctl
