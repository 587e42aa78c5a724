// Fuzz target: what bam-controller does with what a node sends on its agent
// stream. The input (agent_session_fuzz.proto) is the stream's certificate
// name, the nodes connected already and the messages the agent sends; an
// AgentSession handles them against a real controller core: SQLite store (a
// copy of a template with a four-node spec applied and a rolling restart of
// the tasktrackers under way), desired state, agent hub, report batcher,
// rollout engine (one pass after every message) and enrolment with a real
// CA. Properties, the controller's promises about a node:
// - a stream with a certificate speaks only as the node it names;
// - a node is sent only its own plan, and renewal certifies only itself;
// - nothing a node sends changes another node's record or the versions;
// - when its stream ends, it counts as disconnected.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/enrolment/enrolment.h"
#include "controller/rollout/engine.h"
#include "controller/server/agent_hub.h"
#include "controller/server/agent_service.h"
#include "controller/server/agent_session.h"
#include "controller/server/authz.h"
#include "controller/server/metrics.h"
#include "controller/server/report_batcher.h"
#include "controller/store/store.h"
#include "fuzz/agent_session_fuzz.pb.h"
#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "pki/certs.h"
#include "prometheus/registry.h"
#include "spdlog/spdlog.h"

namespace {

namespace fs = std::filesystem;
using bamctl::fuzz::Check;

constexpr char kSpec[] = R"(name: fuzz
manage_hosts_file: true
nodes:
  - {name: node1, address: 198.18.0.1, roles: [namenode, jobtracker]}
  - {name: node2, address: 198.18.0.2, roles: [datanode, tasktracker, cassandra, zookeeper]}
  - {name: node3, address: 198.18.0.3, roles: [datanode, tasktracker, cassandra, zookeeper]}
  - {name: node4, address: 198.18.0.4, roles: [datanode, tasktracker, cassandra, zookeeper]}
)";
constexpr size_t kMaxMessages = 64;
constexpr size_t kMaxConnected = 8;

absl::StatusOr<std::string> NoZooKeeper(const std::string&, uint32_t, const std::string&) {
  return absl::UnavailableError("no ZooKeeper in the fuzz target");
}

// What every input starts from, made once per process.
struct Template {
  fs::path dir;
  fs::path db;
  std::string ca_cert;
  std::string ca_key;
};

void Must(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "agent_session_fuzz: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

const Template& MakeTemplate() {
  static const Template* made = [] {
    auto* t = new Template;
    std::string dir = (fs::temp_directory_path() / "agent_session_fuzz.XXXXXX").string();
    Check(mkdtemp(dir.data()) != nullptr, "mkdtemp");
    t->dir = dir;
    t->db = t->dir / "template.db";
    bamctl::FakeClock clock;
    {
      absl::StatusOr<std::unique_ptr<bamctl::Store>> store = bamctl::Store::Open(t->db, &clock);
      Must(store.status(), "opening the template database");
      bamctl::DesiredState state(store->get());
      bamctl::AgentHub hub;
      bamctl::RolloutEngine rollouts(store->get(), &state, &hub, &clock, NoZooKeeper, {});
      state.SetPendingRollouts(&rollouts);
      bamctl::v1::ApplyRequest apply;
      apply.set_spec_text(kSpec);
      apply.set_author("fuzz");
      Must(state.Apply(apply).status(), "applying the template spec");
      bamctl::v1::RollingRestartRequest restart;
      restart.set_role("tasktracker");
      restart.set_author("fuzz");
      restart.set_force(true);  // no agent is connected to the template
      Must(rollouts.StartRollingRestart(restart).status(), "starting a rolling restart");
    }
    absl::StatusOr<bamctl::CertificateAuthority> ca =
        bamctl::CertificateAuthority::Create("fuzz", absl::Hours(24));
    Must(ca.status(), "making a CA");
    t->ca_cert = ca->cert_pem();
    t->ca_key = ca->key_pem();
    // Removed at exit: libFuzzer ends with exit(), and so does the replay.
    std::atexit([] { fs::remove_all(made->dir); });
    return t;
  }();
  return *made;
}

class RecordingStream : public bamctl::AgentStream {
 public:
  void Send(bamctl::OutgoingMessage message) override { sent.push_back(std::move(message)); }
  std::string Peer() const override { return "fuzz"; }
  std::vector<bamctl::OutgoingMessage> sent;
};

// Everything the store says about each node, as one comparable text.
std::map<std::string, std::string> NodeRecords(bamctl::Store& store) {
  absl::StatusOr<std::vector<bamctl::NodeRecord>> nodes = store.ListNodes();
  Must(nodes.status(), "listing nodes");
  std::map<std::string, std::string> records;
  for (const bamctl::NodeRecord& node : *nodes) {
    std::string text = absl::StrCat(node.agent_version, "|", node.connected, "|", node.last_seen_ms,
                                    "|", node.applied_version, "|", node.applied_plan_hash, "|",
                                    node.report_extra.SerializeAsString());
    for (const bamctl::v1::RoleStatus& role : node.roles) {
      absl::StrAppend(&text, "|", role.SerializeAsString());
    }
    records[node.name] = std::move(text);
  }
  return records;
}

bool IsConnectedInStore(bamctl::Store& store, const std::string& name) {
  absl::StatusOr<std::vector<bamctl::NodeRecord>> nodes = store.ListNodes();
  Must(nodes.status(), "listing nodes");
  for (const bamctl::NodeRecord& node : *nodes) {
    if (node.name == name) return node.connected;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {  // the controller's log lines would drown libFuzzer's
    spdlog::set_level(spdlog::level::off);
    google::protobuf::SetLogHandler(nullptr);  // "invalid UTF-8" on every such input
    return true;
  }();
  (void)quiet;
  bamctl::fuzz::AgentSessionInput input;
  if (!input.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (input.messages_size() > static_cast<int>(kMaxMessages) ||
      input.connected_size() > static_cast<int>(kMaxConnected)) {
    return 0;
  }

  const Template& t = MakeTemplate();
  const fs::path db = t.dir / "input.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  fs::copy_file(t.db, db);
  bamctl::FakeClock clock;
  absl::StatusOr<std::unique_ptr<bamctl::Store>> opened = bamctl::Store::Open(db, &clock);
  Must(opened.status(), "opening the input's database");
  bamctl::Store& store = **opened;
  bamctl::DesiredState state(&store);
  bamctl::AgentHub hub;
  bamctl::ReportBatcher batcher(&store, std::chrono::hours(1));  // flushed below
  prometheus::Registry registry;
  bamctl::ControllerMetrics metrics(registry);
  bamctl::RolloutEngine rollouts(&store, &state, &hub, &clock, NoZooKeeper, {});
  state.SetPendingRollouts(&rollouts);
  absl::StatusOr<bamctl::CertificateAuthority> ca =
      bamctl::CertificateAuthority::Load(t.ca_cert, t.ca_key);
  Must(ca.status(), "loading the CA");
  bamctl::Enrolment enrolment(&store, &state, &clock,
                              std::make_unique<bamctl::CertificateAuthority>(*std::move(ca)), {});
  bamctl::Authorizer authz(/*tls=*/true);
  bamctl::AgentServiceImpl service(&authz, &state, &store, &hub, &batcher, &metrics, &rollouts,
                                   &enrolment);
  // A version made while the stream runs (taking the cluster back) is pushed
  // as the controller pushes it.
  state.SetVersionListener([&service](int64_t version) { service.PushVersion(version); });
  // No HA: every session may be served (may_serve empty).
  const bamctl::AgentSessionDeps deps{&state,   &store,    &hub,       &batcher,
                                      &metrics, &rollouts, &enrolment, {}};
  absl::StatusOr<int64_t> version_before = store.CurrentVersion();
  Must(version_before.status(), "reading the version");

  // The other nodes' streams.
  std::vector<std::unique_ptr<RecordingStream>> other_streams;
  std::vector<std::unique_ptr<bamctl::AgentSession>> others;
  for (const std::string& name : input.connected()) {
    bamctl::Caller caller{name, bamctl::PeerRole::kNode, /*verified=*/true};
    other_streams.push_back(std::make_unique<RecordingStream>());
    others.push_back(
        std::make_unique<bamctl::AgentSession>(deps, caller, other_streams.back().get()));
    bamctl::v1::AgentMessage hello;
    hello.mutable_hello()->set_node(name);
    (void)others.back()->Handle(hello);
  }
  Must(batcher.Flush(), "flushing");
  const std::map<std::string, std::string> records_before = NodeRecords(store);

  // The stream under test.
  const std::string& certificate = input.certificate_name();
  RecordingStream stream;
  bamctl::AgentSession session(
      deps, bamctl::Caller{certificate, bamctl::PeerRole::kNode, !certificate.empty()}, &stream);
  for (const bamctl::v1::AgentMessage& message : input.messages()) {
    const absl::Status handled = session.Handle(message);
    rollouts.Tick();  // sends commands to the nodes of the step under way
    if (!handled.ok()) {
      session.Detach();
      break;
    }
  }
  (void)batcher.Flush();  // what a flush cannot write is dropped, by design

  const std::string& node = session.node();
  if (session.registered() && !certificate.empty()) {
    Check(node == certificate,
          absl::StrCat("certificate \"", certificate, "\" said hello as \"", node, "\""));
  }
  for (const bamctl::OutgoingMessage& out : stream.sent) {
    const bamctl::v1::ControllerMessage& message = out.message;
    Check(session.registered() || message.has_time() || message.has_renewed(),
          "a stream that never said hello was sent a plan or a command");
    if (message.has_plan()) {
      Check(message.plan().plan().node() == node,
            absl::StrCat("node \"", node, "\" was sent the plan of \"",
                         message.plan().plan().node(), "\""));
      Check(out.plan_hosts == nullptr || message.plan().plan().manage_hosts_file(),
            "a host list went with a plan that does not manage the hosts file");
    }
    if (message.has_renewed() && !message.renewed().cert_pem().empty()) {
      absl::StatusOr<bamctl::Identity> identity =
          bamctl::IdentityOfCertificate(message.renewed().cert_pem());
      Check(identity.ok() && identity->name == node && identity->role == bamctl::PeerRole::kNode,
            absl::StrCat("node \"", node, "\" was certified as someone else"));
    }
  }
  const std::map<std::string, std::string> records_after = NodeRecords(store);
  for (const auto& [name, record] : records_before) {
    if (name == node && session.registered()) continue;
    auto after = records_after.find(name);
    Check(after != records_after.end() && after->second == record,
          absl::StrCat("the stream of \"", node, "\" changed the record of node \"", name, "\""));
  }
  absl::StatusOr<int64_t> version_after = store.CurrentVersion();
  Check(version_after.ok() && *version_after == *version_before,
        "an agent stream changed the desired state's version");

  session.Close();
  if (session.registered()) {
    Check(!hub.IsConnected(node), absl::StrCat("node \"", node, "\" still connected after close"));
    Check(!IsConnectedInStore(store, node),
          absl::StrCat("node \"", node, "\" still connected in the store after close"));
  }
  for (auto& other : others) other->Close();
  return 0;
}
