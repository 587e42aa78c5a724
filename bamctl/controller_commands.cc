// controllers: each controller of the cluster, its role and what it has;
// web login: a link to the leader's web page.
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

// A one-time login link to the web page of the controller bamctl reaches
// (the leader, given several).
int WebLogin(const Invocation& in) {
  Controller controller(in.controller, in.command, in.context);
  v1::CreateWebLoginResponse response;
  grpc::Status status = controller.Call([&](Controller::Stub* stub, grpc::ClientContext* call) {
    return stub->CreateWebLogin(call, v1::CreateWebLoginRequest(), &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(response, in.out);
  // The link alone on stdout, for `xdg-open "$(bamctl web login)"`.
  in.out << response.url() << "\n";
  if (response.token().empty()) {
    in.err << "this controller's page is plaintext on loopback: no login needed\n";
  } else {
    in.err << "one-time login link, works until " << FormatTimeMs(response.expires_ms())
           << "; the session it opens lasts 12 hours.\nThe page's certificate is the "
              "controller's: let the browser trust the cluster CA (ca.crt).\n";
  }
  return kExitOk;
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
      {.path = "web login",
       .summary = "A one-time link that logs a browser in to the web status page.",
       .details = "The controller keeps only the token's hash; the link works once, within\n"
                  "5 minutes, and opens a read-only session of 12 hours. Viewers and\n"
                  "operators may ask. The link is printed alone on stdout.",
       .flags = {OutputFlag({"text", "json"})},
       .remote = true,
       .run = WebLogin},
  };
}

}  // namespace bamctl
