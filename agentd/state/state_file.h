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
class StateFile {
 public:
  explicit StateFile(std::string path) : path_(std::move(path)) {}

  absl::Status Save(const v1::AgentState& state) const;

  struct Loaded {
    v1::AgentState state;  // empty when missing or unusable
    // Why the file could not be used, for the agent to report; nullopt when
    // it was fine or simply absent (a first start).
    std::optional<std::string> problem;
  };
  // Never fails: a damaged file is reported in `problem` and the agent
  // rebuilds its view from what it observes.
  Loaded Load() const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_STATE_STATE_FILE_H_
