#ifndef BAMCTL_PROTO_OPERATION_UTIL_H_
#define BAMCTL_PROTO_OPERATION_UTIL_H_

#include <string>
#include <vector>

#include "proto/controller.pb.h"

namespace bamctl {

// The service `step` restarts: its own, or (steps stored before operations
// spanned services) the operation's.
const std::string& StepService(const v1::Operation& op, const v1::RolloutStep& step);

// The services `op`'s steps restart, in step order, once each.
std::vector<std::string> StepServices(const v1::Operation& op);

}  // namespace bamctl

#endif  // BAMCTL_PROTO_OPERATION_UTIL_H_
