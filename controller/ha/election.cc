#include "controller/ha/election.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

// "n_<session>_0000000007": the session in the name finds our own node
// again when the answer to its create was lost; the sequence orders.
constexpr char kPrefix[] = "n_";

int64_t Sequence(const std::string& name) {
  int64_t seq = -1;
  if (name.size() < 10 || !absl::SimpleAtoi(name.substr(name.size() - 10), &seq)) return -1;
  return seq;
}

// The candidates among an election node's children, in election order.
std::vector<std::string> InElectionOrder(const std::vector<std::string>& children) {
  std::vector<std::string> names;
  for (const std::string& name : children) {
    if (Sequence(name) >= 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return Sequence(a) < Sequence(b); });
  return names;
}

std::string SessionPrefix(int64_t session) {
  return absl::StrCat(kPrefix, absl::Hex(session, absl::kZeroPad16), "_");
}

}  // namespace

const char* ElectionRoleName(ElectionView::Role role) {
  switch (role) {
    case ElectionView::Role::kCandidate:
      return "candidate";
    case ElectionView::Role::kLeader:
      return "leader";
    case ElectionView::Role::kFollower:
      return "follower";
  }
  return "?";
}

LeaderElection::LeaderElection(Options options, Listener listener)
    : options_(std::move(options)), listener_(std::move(listener)) {}

LeaderElection::~LeaderElection() { Stop(); }

void LeaderElection::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void LeaderElection::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  std::shared_ptr<ZkClient> client;
  {
    absl::MutexLock lock(&mu_);
    client = std::move(client_);
  }
  if (client != nullptr) client->Close();  // our node goes now, not at the timeout
}

ElectionView LeaderElection::view() const {
  absl::MutexLock lock(&mu_);
  return view_;
}

ElectionView LeaderElection::AwaitDecided(std::chrono::milliseconds timeout) const {
  absl::MutexLock lock(&mu_);
  auto decided = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return view_.role != ElectionView::Role::kCandidate && !view_.leader.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&decided), absl::FromChrono(timeout));
  return view_;
}

absl::StatusOr<std::vector<std::string>> LeaderElection::Candidates() const {
  std::shared_ptr<ZkClient> zk = client();
  if (zk == nullptr) return absl::UnavailableError("not connected to ZooKeeper");
  absl::StatusOr<std::vector<std::string>> children = zk->Children(options_.path);
  if (!children.ok()) return children.status();
  std::vector<std::string> out;
  for (const std::string& name : InElectionOrder(*children)) {
    absl::StatusOr<ZkNode> node = zk->Get(absl::StrCat(options_.path, "/", name));
    if (node.ok()) out.push_back(node->data);  // one that just went is left out
  }
  return out;
}

std::shared_ptr<ZkClient> LeaderElection::client() const {
  absl::MutexLock lock(&mu_);
  return client_;
}

void LeaderElection::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void LeaderElection::Publish(ElectionView view) {
  {
    absl::MutexLock lock(&mu_);
    if (view.role == view_.role && view.leader == view_.leader &&
        view.candidate == view_.candidate) {
      return;
    }
    view.changes = view_.changes + (view.leader != view_.leader && !view.leader.empty() ? 1 : 0);
    if (view.role != view_.role) {
      spdlog::info("controller election: {} (leader {})", ElectionRoleName(view.role),
                   view.leader.empty() ? "unknown" : view.leader);
    }
    view_ = view;
  }
  if (listener_) listener_(view);
}

void LeaderElection::Loop() {
  while (true) {
    const bool settled = Step();
    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stop_; };
    if (settled) {
      mu_.Await(absl::Condition(&woken));
    } else {
      mu_.AwaitWithTimeout(absl::Condition(&woken), absl::FromChrono(options_.retry));
    }
    if (stop_) return;
    wake_ = false;
  }
}

bool LeaderElection::Step() {
  std::shared_ptr<ZkClient> client;
  std::string candidate;
  {
    absl::MutexLock lock(&mu_);
    client = client_;
    candidate = view_.candidate;
  }
  const ZkSessionState state = client == nullptr ? ZkSessionState::kExpired : client->state();
  if (state == ZkSessionState::kExpired || state == ZkSessionState::kAuthFailed ||
      state == ZkSessionState::kClosed) {
    // The session and its node are gone: whatever this controller was, it
    // is a candidate again, in a new session.
    Publish(ElectionView{ElectionView::Role::kCandidate, "", "", 0});
    absl::StatusOr<std::unique_ptr<ZkClient>> made =
        ZkClient::Connect(options_.zookeeper, options_.connect_timeout);
    if (!made.ok()) {
      spdlog::warn("controller election: {}", made.status().ToString());
      return false;
    }
    (*made)->SetSessionListener([this](ZkSessionState) { Wake(); });
    client = std::shared_ptr<ZkClient>(std::move(*made));
    candidate.clear();
    absl::MutexLock lock(&mu_);
    client_ = client;
    view_.candidate.clear();
  }
  if (client->state() != ZkSessionState::kConnected) {
    return true;  // the session listener wakes us when it reconnects or ends
  }

  const std::string prefix = SessionPrefix(client->session_id());
  if (candidate.empty()) {
    if (absl::Status s = client->EnsurePath(options_.path); !s.ok()) {
      spdlog::warn("controller election: {}", s.ToString());
      return false;
    }
    absl::StatusOr<std::string> made =
        client->Create(absl::StrCat(options_.path, "/", prefix), options_.advertise,
                       ZkCreateMode::kEphemeralSequential);
    if (!made.ok()) {
      // The node may exist with its answer lost: looked for below.
      spdlog::warn("controller election: {}", made.status().ToString());
    } else {
      candidate = *made;
    }
  }

  absl::StatusOr<std::vector<std::string>> children = client->Children(options_.path);
  if (!children.ok()) {
    spdlog::warn("controller election: {}", children.status().ToString());
    return false;
  }
  const std::vector<std::string> names = InElectionOrder(*children);
  if (candidate.empty()) {  // a create whose answer was lost, in this session
    for (const std::string& name : names) {
      if (name.rfind(prefix, 0) == 0) candidate = absl::StrCat(options_.path, "/", name);
    }
    if (candidate.empty()) return false;
  }
  {
    absl::MutexLock lock(&mu_);
    view_.candidate = candidate;
  }
  const std::string mine = candidate.substr(options_.path.size() + 1);
  auto it = std::find(names.begin(), names.end(), mine);
  if (it == names.end()) {
    // Our node is gone (deleted by hand): stand again.
    spdlog::warn("controller election: {} vanished; standing again", candidate);
    Publish(ElectionView{ElectionView::Role::kCandidate, "", "", 0});
    return false;
  }
  if (it == names.begin()) {
    // Lowest: we lead. Watching our own node notices its removal.
    absl::StatusOr<std::optional<ZkNode>> own = client->Exists(candidate, [this] { Wake(); });
    if (!own.ok() || !own->has_value()) return false;
    Publish(ElectionView{ElectionView::Role::kLeader, options_.advertise, candidate, 0});
    return true;
  }
  // Follow: the decision waits on the node just below ours only; the
  // leader's node is watched too, to know whom to send writes to (with a
  // handful of controllers that wake-up is cheap, and it decides nothing).
  const std::string below = absl::StrCat(options_.path, "/", *(it - 1));
  absl::StatusOr<std::optional<ZkNode>> predecessor = client->Exists(below, [this] { Wake(); });
  if (!predecessor.ok()) return false;
  if (!predecessor->has_value()) {
    Wake();  // it went between the listing and the watch: decide again
    return true;
  }
  const std::string leader_node = absl::StrCat(options_.path, "/", names.front());
  absl::StatusOr<ZkNode> leader = client->Get(leader_node, [this] { Wake(); });
  if (absl::IsNotFound(leader.status())) {
    Wake();
    return true;
  }
  if (!leader.ok()) return false;
  Publish(ElectionView{ElectionView::Role::kFollower, leader->data, candidate, 0});
  return true;
}

}  // namespace bamctl
