#ifndef BAMCTL_TESTS_CONTROLLER_COMMIT_REQUESTS_H_
#define BAMCTL_TESTS_CONTROLLER_COMMIT_REQUESTS_H_

#include <string>

#include "controller/store/store.h"

namespace bamctl::testing {

// A version of `text` by alice: an effective spec named "c" and two plans
// (n1, n2) whose cluster name is the text, so that each text plans
// differently.
inline CommitRequest TwoNodeCommit(const std::string& text) {
  CommitRequest r;
  r.spec_text = text;
  r.effective_spec.set_name("c");
  for (const char* node : {"n1", "n2"}) {
    v1::NodePlan plan;
    plan.set_node(node);
    plan.set_cluster_name(text);
    r.plans.push_back(plan);
  }
  r.author = "alice";
  return r;
}

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_CONTROLLER_COMMIT_REQUESTS_H_
