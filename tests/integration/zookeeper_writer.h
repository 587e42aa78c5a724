#ifndef BAMCTL_TESTS_INTEGRATION_ZOOKEEPER_WRITER_H_
#define BAMCTL_TESTS_INTEGRATION_ZOOKEEPER_WRITER_H_

#include <zookeeper/zookeeper.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace bamctl::testing {

// Writes one znode over and over through the C client, recording when
// each write succeeded (wall time, ms). A write the client loses with its
// connection (its own server restarting) is retried, as ZooKeeper clients
// do; what counts is how long the ensemble accepted no write at all.
class ZooKeeperWriter {
 public:
  // `hosts`: the connect string; `path`: the znode written.
  ZooKeeperWriter(const std::string& hosts, std::string path);
  ~ZooKeeperWriter();
  ZooKeeperWriter(const ZooKeeperWriter&) = delete;
  ZooKeeperWriter& operator=(const ZooKeeperWriter&) = delete;

  // Waits (bounded: 10 s) for a session, makes the znode and starts
  // writing; false when there was no session.
  bool Start();
  void Stop();
  // [from, to] of every stretch longer than `ms` without a successful write.
  std::vector<std::pair<int64_t, int64_t>> Gaps(int64_t ms);
  int writes();

 private:
  zhandle_t* zh_ = nullptr;
  const std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<int64_t> successes_;
  int writes_ = 0;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_ZOOKEEPER_WRITER_H_
