#ifndef BAMCTL_BAMCTL_COMMANDS_H_
#define BAMCTL_BAMCTL_COMMANDS_H_

#include <vector>

#include "bamctl/command.h"

namespace bamctl {

// The declarations of bamctl's commands, one noun per file; RunBamctl puts
// them in one CommandTable in this order.

// desired-state validate, plan, render: offline, from a spec file
// (offline_commands.cc).
std::vector<Command> OfflineCommands();
// pki init, pki issue: offline, the cluster's certificates (pki_commands.cc).
std::vector<Command> PkiCommands();
// desired-state apply, get, history, diff, rollback (desired_state_commands.cc).
std::vector<Command> DesiredStateCommands();
// status, nodes, events (status_commands.cc).
std::vector<Command> StatusCommands();
// controllers (controller_commands.cc).
std::vector<Command> ControllerCommands();
// node token create (node_commands.cc).
std::vector<Command> NodeCommands();
// rolling-restart, op list, show, watch, pause, resume, abort
// (operation_commands.cc).
std::vector<Command> OperationCommands();

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_COMMANDS_H_
