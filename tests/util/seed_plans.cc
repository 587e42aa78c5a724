#include "tests/util/seed_plans.h"

#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/util/test_util.h"

namespace bamctl::testing {

v1::NodePlan SeedNodePlan(absl::string_view node, absl::string_view edit_from,
                          absl::string_view edit_to) {
  if (edit_from.empty()) return SeedNodePlanEdited(node, {});
  return SeedNodePlanEdited(node, {{std::string(edit_from), std::string(edit_to)}});
}

v1::NodePlan SeedNodePlanEdited(absl::string_view node,
                                const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string text = ReadSourceFile("examples/seed-cluster.yaml");
  for (const auto& [from, to] : edits) text = ReplaceOnce(text, from, to);
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
