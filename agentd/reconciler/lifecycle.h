#ifndef BAMCTL_AGENTD_RECONCILER_LIFECYCLE_H_
#define BAMCTL_AGENTD_RECONCILER_LIFECYCLE_H_

// The lifecycle of one service on the agent, drawn as Nomad's
// task_lifecycle.go draws its own. Every transition goes through
// Lifecycle::To, which aborts on an edge not drawn here:
//
//            no init steps, or adopted
//        ┌─────────────────────────────────┐
//        │                                 ▼
//      kNew ──▶ kInitializing ──────▶ kStarting ──probes pass──▶ kRunning
//        │            │                 ▲   │                      │
//        │            │ step failed     │   │ exit                 │ exit
//        │            ▼                 │   ▼                      ▼
//        └──────▶ kExited ──backoff over┘ (also kExited ◀──────────┘)
//     launch failed  ▲   └──▶ kInitializing (init steps again)
//                    │
//                    │ stopped: starts again at once
//   kStarting ──┬──▶ kRestarting      (a restart command, or a changed
//   kRunning  ──┘                      config the spec lets restart)
//   kStarting ──┬──▶ kStopping ──stopped──▶ (forgotten)   (left the plan)
//   kRunning  ──┘
//
// A stop that fails leaves the process running: back to kStarting, and
// the probes decide again. What the agent reports (v1::Phase) derives from
// the state and, for a service without a process, why it does not start
// yet (backoff, crash loop, waiting, blocked, failed).

#include <string>

namespace bamctl {

enum class ServiceState {
  kNew,           // not started by this agent yet
  kInitializing,  // an init step runs (namenode -format)
  kStarting,      // the process runs, its probes have not all passed yet
  kRunning,       // the process runs and has passed its probes once
  kStopping,      // a stop is in flight; the service is forgotten after it
  kRestarting,    // a stop is in flight; the service starts again after it
  kExited,        // it ran (or failed to start) and ended; next start is a restart
};

const char* ServiceStateName(ServiceState state);

// The current state and the one place transitions are checked.
class Lifecycle {
 public:
  ServiceState state() const { return state_; }
  // Moves to `next`; an edge the diagram does not have is a bug: it aborts
  // with both states named.
  void To(ServiceState next);
  static bool Allowed(ServiceState from, ServiceState to);

  // A process is (believed to be) running: kStarting, kRunning, and the
  // stop states until the stop completes.
  bool HasProcess() const;
  bool Stopping() const {
    return state_ == ServiceState::kStopping || state_ == ServiceState::kRestarting;
  }

 private:
  ServiceState state_ = ServiceState::kNew;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_RECONCILER_LIFECYCLE_H_
