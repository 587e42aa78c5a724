#ifndef BAMCTL_CONTROLLER_HA_COMMIT_LOG_H_
#define BAMCTL_CONTROLLER_HA_COMMIT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controller/ha/zk_client.h"

namespace bamctl {

// One committed write, as the log holds it.
struct LogEntry {
  // ZooKeeper's sequence for it, plus 1 (the first entry is 1): gap-free.
  int64_t index = 0;
  std::string data;
};

// The replicated log of the controllers' committed writes, in ZooKeeper
// under `<ha_path>/log` (entries `e-<10 digits>`). An append is the commit
// point of a write: a multi-op that creates the entry only while the
// leader's election node (`fence`) exists, so a leader whose session ended
// commits nothing more. Each entry is stored as is, zlib-compressed when
// that is smaller, or, past what a znode holds, in chunks under
// `<ha_path>/blobs` that the entry lists (written first, unfenced: a
// deposed leader can leave unreferenced chunks, never a partial entry).
class CommitLog {
 public:
  explicit CommitLog(const std::string& ha_path);

  // Creates the log's and blobs' parents (idempotent).
  absl::Status Init(ZkClient& zk) const;
  // Commits `data`; returns its index. FailedPrecondition or NotFound when
  // the fence is gone (deposed).
  absl::StatusOr<int64_t> Append(ZkClient& zk, const std::string& fence,
                                 const std::string& data) const;
  // The entries from index `from` on, in order, at most `max` of them.
  // With `watch`, a read that reaches the end of the log leaves it on the
  // next entry: it fires once that entry is appended. Each entry is read by
  // its name, so a read costs what it returns, not the length of the log.
  absl::StatusOr<std::vector<LogEntry>> Read(ZkClient& zk, int64_t from, int max,
                                             const ZkClient::Watch& watch = nullptr) const;

  const std::string& path() const { return log_; }
  // The znode name of entry `index` ("e-0000000000" is entry 1).
  static std::string EntryName(int64_t index);

  // Above this an entry is chunked (a znode holds 1 MiB with headers).
  static constexpr size_t kChunkBytes = size_t{900} * 1024;

 private:
  absl::StatusOr<std::string> Decode(ZkClient& zk, const std::string& name,
                                     const std::string& stored) const;

  const std::string log_;
  const std::string blobs_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_HA_COMMIT_LOG_H_
