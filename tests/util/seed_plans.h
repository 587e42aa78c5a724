#ifndef BAMCTL_TESTS_UTIL_SEED_PLANS_H_
#define BAMCTL_TESTS_UTIL_SEED_PLANS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/plan.pb.h"

namespace bamctl::testing {

// The compiled plan of `node` in examples/seed-cluster.yaml (after
// `edit_from` -> `edit_to` when given); fails the test when it does not
// compile.
v1::NodePlan SeedNodePlan(absl::string_view node, absl::string_view edit_from = "",
                          absl::string_view edit_to = "");

// The same after several edits, applied in order.
v1::NodePlan SeedNodePlanEdited(absl::string_view node,
                                const std::vector<std::pair<std::string, std::string>>& edits);

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_SEED_PLANS_H_
