#include "bamctl/cli.h"

#include <utility>

#include "bamctl/command.h"
#include "bamctl/commands.h"
#include "bamctl/controller_client.h"

namespace bamctl {
namespace {

// Every command in the order `bamctl help` lists them: offline first.
std::vector<Command> AllCommands() {
  std::vector<Command> all = OfflineCommands();
  for (auto* nouns : {PkiCommands, DesiredStateCommands, StatusCommands, ControllerCommands,
                      NodeCommands, OperationCommands}) {
    for (Command& command : nouns()) all.push_back(std::move(command));
  }
  return all;
}

}  // namespace

int RunBamctl(const std::vector<std::string>& args, const CommandContext& context,
              std::ostream& out, std::ostream& err) {
  const CommandTable table(AllCommands());
  return table.Run(args, context, out, err);
}

int RunBamctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommandContext context = CommandContextFromEnvironment();
  context.version = BAMCTL_VERSION;
  return RunBamctl(args, context, out, err);
}

}  // namespace bamctl
