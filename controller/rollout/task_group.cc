#include "controller/rollout/task_group.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/net_util.h"
#include "controller/ha/zk_client.h"
#include "roles/driver/endpoint.h"

namespace bamctl {

bool IsTaskGroupMember(absl::string_view name) {
  return name.size() == 14 && absl::StartsWith(name, "node") &&
         std::all_of(name.begin() + 4, name.end(), absl::ascii_isdigit);
}

std::map<int64_t, std::string> ParseCons(absl::string_view reply) {
  std::map<int64_t, std::string> sessions;
  for (absl::string_view line : absl::StrSplit(reply, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "/")) continue;
    const size_t bracket = line.find('[');
    const size_t sid = line.find("sid=0x");
    if (bracket == absl::string_view::npos || sid == absl::string_view::npos) continue;
    absl::string_view address = line.substr(0, bracket);  // "10.0.0.5:40412"
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view hex = line.substr(sid + 6);
    hex = hex.substr(0, hex.find_first_of(",)"));
    uint64_t id = 0;
    if (!absl::SimpleHexAtoi(hex, &id)) continue;
    sessions[static_cast<int64_t>(id)] = std::string(address.substr(0, colon));
  }
  return sessions;
}

void AssignTaskGroup(const TaskGroup& group, std::vector<Instance>* instances) {
  for (Instance& in : *instances) {
    in.task_member.clear();
    in.task_holder = false;
    const std::string address = AddressOf(in.address);
    for (size_t i = 0; i < group.members.size(); ++i) {
      if (address.empty() || group.members[i].client_ip != address) continue;
      in.task_member = group.members[i].id;
      in.task_holder = i == 0;
      break;
    }
  }
}

ZooKeeperTaskGroups::ZooKeeperTaskGroups(FourLetterWord four_letter_word)
    : four_letter_word_(std::move(four_letter_word)) {}

ZooKeeperTaskGroups::~ZooKeeperTaskGroups() = default;

absl::StatusOr<TaskGroup> ZooKeeperTaskGroups::Read(const std::vector<ZooKeeperServer>& servers) {
  if (servers.empty()) {
    return absl::FailedPreconditionError("the analyzers name no coordination server");
  }
  std::vector<std::string> hosts;
  hosts.reserve(servers.size());
  for (const ZooKeeperServer& s : servers) hosts.push_back(HostPort(s.host, s.port));
  const std::string connect = absl::StrJoin(hosts, ",");

  TaskGroup group;
  {
    absl::MutexLock lock(&mu_);
    if (client_ != nullptr &&
        (connected_to_ != connect || client_->state() != ZkSessionState::kConnected)) {
      client_.reset();  // another ensemble, or a session that failed
    }
    if (client_ == nullptr) {
      ZkOptions options;
      options.servers = connect;
      options.session_timeout = std::chrono::seconds(10);
      absl::StatusOr<std::unique_ptr<ZkClient>> client =
          ZkClient::Connect(options, std::chrono::seconds(5));
      if (!client.ok()) return client.status();
      client_ = *std::move(client);
      connected_to_ = connect;
    }
    absl::StatusOr<std::vector<std::string>> children = client_->Children(kHiveTaskGroupPath);
    if (!children.ok()) {
      if (absl::IsNotFound(children.status())) return group;  // no analyzer ever joined
      return children.status();
    }
    std::vector<std::string> ids;
    for (const std::string& c : *children) {
      if (IsTaskGroupMember(c)) ids.push_back(c);
    }
    std::sort(ids.begin(), ids.end());  // as ntask: the first leads
    for (const std::string& id : ids) {
      absl::StatusOr<std::optional<ZkNode>> node =
          client_->Exists(absl::StrCat(kHiveTaskGroupPath, "/", id));
      if (!node.ok()) return node.status();
      if (!node->has_value()) continue;  // left meanwhile
      group.members.push_back({id, (*node)->ephemeral_owner, ""});
    }
  }
  // Which address each session comes from: every server lists its own
  // clients.
  std::map<int64_t, std::string> sessions;
  for (const ZooKeeperServer& s : servers) {
    absl::StatusOr<std::string> cons = four_letter_word_(s.host, s.port, "cons");
    if (cons.ok()) sessions.merge(ParseCons(*cons));
  }
  for (TaskGroup::Member& m : group.members) {
    if (auto it = sessions.find(m.session); it != sessions.end()) m.client_ip = it->second;
  }
  return group;
}

}  // namespace bamctl
