#include "controller/rollout/zookeeper_sync.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "roles/probe/probe_runner.h"

namespace bamctl {

std::map<std::string, std::string> ParseMntr(const std::string& reply) {
  std::map<std::string, std::string> out;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('\t', 1));
    if (!kv.first.empty()) out[kv.first] = kv.second;
  }
  return out;
}

std::string ZooKeeperEnsemble::Mode(const ZooKeeperServer& server) const {
  absl::StatusOr<std::string> srvr = four_letter_word_(server.host, server.port, "srvr");
  return srvr.ok() ? ZooKeeperModeOf(*srvr) : "";
}

absl::Status ZooKeeperEnsemble::Synced(
    const std::map<std::string, ZooKeeperServer>& servers) const {
  int leaders = 0;
  for (const auto& [node, server] : servers) {
    absl::StatusOr<std::string> mntr = four_letter_word_(server.host, server.port, "mntr");
    if (!mntr.ok()) continue;  // down or restarting: not a leader
    std::map<std::string, std::string> m = ParseMntr(*mntr);
    if (m["zk_server_state"] != "leader") continue;
    ++leaders;
    int synced = 0;
    if (!absl::SimpleAtoi(m["zk_synced_followers"], &synced)) synced = 0;
    const int want = static_cast<int>(servers.size()) - 1;
    if (synced < want) {
      return absl::UnavailableError(
          absl::StrCat("leader ", node, " reports ", synced, " of ", want, " followers synced"));
    }
  }
  if (leaders != 1) {
    return absl::UnavailableError(absl::StrCat("the ensemble has ", leaders, " leaders"));
  }
  return absl::OkStatus();
}

}  // namespace bamctl
