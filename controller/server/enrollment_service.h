#ifndef BAMCTL_CONTROLLER_SERVER_ENROLLMENT_SERVICE_H_
#define BAMCTL_CONTROLLER_SERVER_ENROLLMENT_SERVICE_H_

#include "controller/enrolment/enrolment.h"
#include "controller/server/authz.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

// EnrollmentService: the one call a caller without a client certificate may
// make, and only over TLS (the agent verifies the controller with the CA
// file it was given; the token proves the node).
class EnrollmentServiceImpl : public v1::EnrollmentService::CallbackService {
 public:
  EnrollmentServiceImpl(const Authorizer* authz, Enrolment* enrolment)
      : authz_(authz), enrolment_(enrolment) {}

  grpc::ServerUnaryReactor* Enroll(grpc::CallbackServerContext* ctx,
                                   const v1::EnrollRequest* request,
                                   v1::EnrollResponse* response) override;

 private:
  const Authorizer* authz_;
  Enrolment* enrolment_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_ENROLLMENT_SERVICE_H_
