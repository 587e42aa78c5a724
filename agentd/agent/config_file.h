#ifndef BAMCTL_AGENTD_AGENT_CONFIG_FILE_H_
#define BAMCTL_AGENTD_AGENT_CONFIG_FILE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl {

// /etc/bam-agent/agentd.conf: `name = value` lines (or `--name=value`),
// '#' comments, blank lines. Returns `--name=value` arguments to parse
// before the command line's, so flags given there win. An unknown name or a
// line without '=' fails naming file:line and, for names, the valid ones.
absl::StatusOr<std::vector<std::string>> ParseAgentConfig(
    absl::string_view text, absl::string_view file_name,
    const std::function<bool(absl::string_view)>& is_flag,
    const std::vector<std::string>& valid_names);

// The text of the agent's settings file at `path`, nullopt when there is
// none. The file holds the host policy of a root daemon, so, like sshd's
// StrictModes, it is refused unless it and its directory are owned by root
// (or by the user the agent runs as) and writable by no one else; it must
// be a regular file of at most 1 MiB. /dev/null reads as empty (no
// settings, said explicitly).
absl::StatusOr<std::optional<std::string>> ReadAgentConfig(const std::string& path);

}  // namespace bamctl

#endif  // BAMCTL_AGENTD_AGENT_CONFIG_FILE_H_
