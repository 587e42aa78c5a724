// controllers: each controller of the cluster, its role and what it has.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "bamctl/controller_client.h"
#include "bamctl/output.h"
#include "bamctl/table.h"

namespace bamctl {
namespace {

using Stub = v1::ClusterService::StubInterface;

// Asks each controller given, then each one the answers name, about
// itself: one row each, the ones that do not answer too.
int Controllers(const Invocation& in) {
  std::vector<std::string> pending = Controller(in.controller, in.command, in.context).addresses();
  std::set<std::string> asked;
  v1::GetControllersRequest request;
  TextTable table({"ADDRESS", "ROLE", "SERVING", "VERSION", "LOG ENTRY", "LEADER", "ERROR"});
  std::string json = "[";
  bool leader_serves = false;
  int failed = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::string address = pending[i];
    if (!asked.insert(address).second) continue;
    Controller controller(address, in.command, in.context);
    v1::GetControllersResponse response;
    grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
      return stub->GetControllers(call, request, &response);
    });
    if (!status.ok()) {
      ++failed;
      table.AddRow({address, "-", "-", "-", "-", "-", status.error_message()});
      continue;
    }
    for (const std::string& member : response.members()) pending.push_back(member);
    const v1::ControllerInfo& self = response.self();
    if (self.serving()) leader_serves = true;
    table.AddRow({address, self.role(), self.serving() ? "yes" : "no",
                  absl::StrCat(self.current_version()),
                  response.ha() ? absl::StrCat(self.applied_index()) : "-",
                  response.ha() ? response.leader() : address, self.error()});
    absl::StrAppend(&json, json.size() > 1 ? "," : "", ToJson(response));
  }
  if (*in.args.Get("output") == "json") {
    in.out << json << "]\n";
  } else {
    in.out << table.Render();
  }
  if (failed > 0) in.err << "bamctl: " << failed << " controller(s) did not answer\n";
  return leader_serves ? kExitOk : kExitFailed;
}

}  // namespace

std::vector<Command> ControllerCommands() {
  return {
      {.path = "controllers",
       .summary = "Each controller: its role, the versions it has and the leader.",
       .details = "Asks every controller --controller lists, and those they name (the\n"
                  "controllers standing in the HA election), about itself. Exit 0 when a\n"
                  "leader serves, 1 when none does.",
       .flags = {OutputFlag({"table", "json"})},
       .remote = true,
       .run = Controllers},
  };
}

}  // namespace bamctl
