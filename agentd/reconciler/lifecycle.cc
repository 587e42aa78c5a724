#include "agentd/reconciler/lifecycle.h"

#include <cstdio>
#include <cstdlib>

namespace bamctl {

const char* ServiceStateName(ServiceState state) {
  switch (state) {
    case ServiceState::kNew:
      return "new";
    case ServiceState::kInitializing:
      return "initializing";
    case ServiceState::kStarting:
      return "starting";
    case ServiceState::kRunning:
      return "running";
    case ServiceState::kStopping:
      return "stopping";
    case ServiceState::kRestarting:
      return "restarting";
    case ServiceState::kExited:
      return "exited";
  }
  return "?";
}

bool Lifecycle::Allowed(ServiceState from, ServiceState to) {
  using S = ServiceState;
  switch (from) {
    case S::kNew:
    case S::kExited:
      // Start (init steps first, or the process), adoption, or a failed
      // start; kExited -> kExited is a failed retry.
      return to == S::kInitializing || to == S::kStarting || to == S::kExited;
    case S::kInitializing:
      return to == S::kStarting || to == S::kExited || to == S::kInitializing;
    case S::kStarting:
      return to == S::kRunning || to == S::kExited || to == S::kStopping || to == S::kRestarting;
    case S::kRunning:
      return to == S::kExited || to == S::kStopping || to == S::kRestarting;
    case S::kStopping:
    case S::kRestarting:
      // Stopped (kExited; a stopping one is then forgotten), or the stop
      // failed and it still runs (kStarting: probes decide again).
      return to == S::kExited || to == S::kStarting || to == S::kStopping;
  }
  return false;
}

void Lifecycle::To(ServiceState next) {
  if (!Allowed(state_, next)) {
    // A broken invariant of the agent itself, not of its input: crash
    // loudly (systemd restarts the agent; the roles keep running).
    std::fprintf(stderr, "service lifecycle: no transition %s -> %s\n", ServiceStateName(state_),
                 ServiceStateName(next));
    std::abort();
  }
  state_ = next;
}

bool Lifecycle::HasProcess() const {
  return state_ == ServiceState::kStarting || state_ == ServiceState::kRunning ||
         state_ == ServiceState::kStopping || state_ == ServiceState::kRestarting;
}

}  // namespace bamctl
