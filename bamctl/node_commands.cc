// node token create: enrolment tokens for the nodes' agents.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "bamctl/output.h"

namespace bamctl {
namespace {

using Stub = Controller::Stub;

int TokenCreate(const Invocation& in) {
  v1::CreateNodeTokenRequest request;
  request.set_node(in.args.Arg("NODE"));
  request.set_ttl_ms(in.args.Millis("ttl"));
  Controller controller(in.controller, in.command, in.context);
  v1::CreateNodeTokenResponse response;
  grpc::Status status = controller.Call([&](Stub* stub, grpc::ClientContext* call) {
    return stub->CreateNodeToken(call, request, &response);
  });
  if (!status.ok()) return controller.Fail(status, in.err);
  if (*in.args.Get("output") == "json") return PrintJson(response, in.out);
  // The token alone on stdout, so `T=$(bamctl node token create node2)`
  // works; the rest is for the person, on stderr.
  in.out << response.token() << "\n";
  in.err << "one-time enrolment token for node " << response.node() << ", expires "
         << FormatTimeMs(response.expires_ms())
         << "; on the node:\n  bam-agentd --node=" << response.node()
         << " --ca_file=ca.crt --bootstrap_token_file=FILE\n";
  return kExitOk;
}

}  // namespace

std::vector<Command> NodeCommands() {
  return {
      {.path = "node token create",
       .summary = "A one-time token with which a node's agent gets its certificate.",
       .details = "The controller keeps only the token's hash; the token works once, for this\n"
                  "node only, until it expires. It is printed alone on stdout.",
       .args = {{.name = "NODE", .help = "a node of the desired state"}},
       .flags = {{.name = "ttl",
                  .kind = FlagKind::kDuration,
                  .value_name = "DURATION",
                  .help = "how long the token works (default 1h, at most 168h)"},
                 OutputFlag({"text", "json"})},
       .remote = true,
       .run = TokenCreate},
  };
}

}  // namespace bamctl
