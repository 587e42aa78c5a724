#include "tests/integration/zookeeper_writer.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace bamctl::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ZooKeeperWriter::ZooKeeperWriter(const std::string& hosts, std::string path)
    : path_(std::move(path)) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  zh_ = zookeeper_init(hosts.c_str(), nullptr, 4000, nullptr, nullptr, 0);
}

ZooKeeperWriter::~ZooKeeperWriter() {
  Stop();
  if (zh_ != nullptr) zookeeper_close(zh_);
}

bool ZooKeeperWriter::Start() {
  if (zh_ == nullptr) return false;
  for (int i = 0; i < 200 && zoo_state(zh_) != ZOO_CONNECTED_STATE; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (zoo_state(zh_) != ZOO_CONNECTED_STATE) return false;
  int rc = zoo_create(zh_, path_.c_str(), "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
  if (rc != ZOK && rc != ZNODEEXISTS) return false;
  thread_ = std::thread([this] {
    int n = 0;
    while (!stop_) {
      const std::string value = absl::StrCat(++n);
      const int rc = zoo_set(zh_, path_.c_str(), value.data(), static_cast<int>(value.size()), -1);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++writes_;
        if (rc == ZOK) successes_.push_back(NowMs());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(rc == ZOK ? 20 : 100));
    }
  });
  return true;
}

void ZooKeeperWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<std::pair<int64_t, int64_t>> ZooKeeperWriter::Gaps(int64_t ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<int64_t, int64_t>> gaps;
  for (size_t i = 1; i < successes_.size(); ++i) {
    if (successes_[i] - successes_[i - 1] > ms) gaps.emplace_back(successes_[i - 1], successes_[i]);
  }
  return gaps;
}

int ZooKeeperWriter::writes() {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

}  // namespace bamctl::testing
