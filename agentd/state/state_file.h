#ifndef BAMCTL_AGENTD_STATE_STATE_FILE_H_
#define BAMCTL_AGENTD_STATE_STATE_FILE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "proto/agent_state.pb.h"

namespace bamctl {

// The agent's state file: a header line with a format version, the SHA-256
// of the body, then the serialized AgentState. Written with
// WriteFileAtomically (temp, fsync, rename, fsync dir; mode 0600), so a
// crash leaves the old or the new state; the checksum catches everything
// else (a truncated copy, a flipped byte, someone else's file).
// Where the agent keeps its state between runs (Nomad's client/state
// interface): the reconciler takes a StateStore, so tests give it one in
// memory, or one that fails.
class StateStore {
 public:
  struct Loaded {
    v1::AgentState state;  // empty when missing or unusable
    // Why the stored state could not be used, for the agent to report;
    // nullopt when it was fine or simply absent (a first start).
    std::optional<std::string> problem;
  };

  virtual ~StateStore() = default;
  // Never fails: damaged state is reported in `problem` and the agent
  // rebuilds its view from what it observes.
  virtual Loaded Load() const = 0;
  virtual absl::Status Save(const v1::AgentState& state) = 0;
  // Where the state lives, for messages ("/var/lib/bam-agent/agent.state").
  virtual std::string Where() const = 0;
};

// The state as one file: a header line, a SHA-256 of the body and the
// serialized proto, replaced crash-safe with mode 0600.
class StateFile : public StateStore {
 public:
  explicit StateFile(std::string path) : path_(std::move(path)) {}

  Loaded Load() const override;
  absl::Status Save(const v1::AgentState& state) override;
  std::string Where() const override { return path_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_STATE_STATE_FILE_H_
