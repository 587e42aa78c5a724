#include "tests/util/seed_plans.h"

#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/util/test_util.h"

namespace bamctl::testing {

v1::NodePlan SeedNodePlan(absl::string_view node, absl::string_view edit_from,
                          absl::string_view edit_to) {
  std::string text = ReadSourceFile("examples/seed-cluster.yaml");
  if (!edit_from.empty()) text = ReplaceOnce(text, edit_from, edit_to);
  LoadedSpec loaded = LoadSpec(text);
  EXPECT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (plan.ok()) {
    for (const v1::NodePlan& n : plan->nodes()) {
      if (n.node() == node) return n;
    }
  }
  ADD_FAILURE() << "no seed node " << node;
  return v1::NodePlan();
}

}  // namespace bamctl::testing
