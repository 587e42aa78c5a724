#ifndef BAMCTL_CONTROLLER_ROLLOUT_ZOOKEEPER_SYNC_H_
#define BAMCTL_CONTROLLER_ROLLOUT_ZOOKEEPER_SYNC_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bamctl {

// A ZooKeeper four-letter word ("srvr", "mntr") sent to host:port; the
// reply text or why there is none. The controller passes a bounded TCP
// exchange; tests answer by hand.
using FourLetterWord = std::function<absl::StatusOr<std::string>(
    const std::string& host, uint32_t port, const std::string& word)>;

// Where one server of an ensemble answers four-letter words.
struct ZooKeeperServer {
  std::string host;
  uint32_t port = 0;
};

// What a rolling restart asks a ZooKeeper ensemble, through the injected
// four-letter word: each server's mode, and whether the ensemble is whole
// again after a restart. Stateless; safe to share between threads when
// the four-letter word is.
class ZooKeeperEnsemble {
 public:
  explicit ZooKeeperEnsemble(FourLetterWord four_letter_word)
      : four_letter_word_(std::move(four_letter_word)) {}

  // The mode `server` reports in srvr: "leader", "follower", "standalone";
  // "" when it does not answer or says none.
  std::string Mode(const ZooKeeperServer& server) const;

  // OK when exactly one of `servers` (node -> server) reports itself leader
  // in mntr and counts every other server as a synced follower; a
  // restarted member is back when its ensemble is whole, not when it
  // answers alone. Otherwise Unavailable saying why ("leader zk2 reports 1
  // of 2 followers synced", "the ensemble has 0 leaders"). Servers that do
  // not answer count as neither.
  absl::Status Synced(const std::map<std::string, ZooKeeperServer>& servers) const;

 private:
  FourLetterWord four_letter_word_;
};

// The key/value lines of a mntr reply ("zk_synced_followers\t2").
std::map<std::string, std::string> ParseMntr(const std::string& reply);

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_ROLLOUT_ZOOKEEPER_SYNC_H_
