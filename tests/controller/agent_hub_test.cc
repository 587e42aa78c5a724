#include "controller/server/agent_hub.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace bamctl {
namespace {

// Keeps what it is sent, as the reactor's queue would.
class RecordingStream : public AgentStream {
 public:
  void Send(OutgoingMessage message) override { sent.push_back(std::move(message)); }
  std::string Peer() const override { return "test"; }
  std::vector<OutgoingMessage> sent;
};

v1::NodePlan Plan(const std::string& node, bool manage_hosts_file) {
  v1::NodePlan plan;
  plan.set_node(node);
  plan.set_manage_hosts_file(manage_hosts_file);
  return plan;
}

// Issue 12: pushing a version to many agents refers to its one host list;
// no stream gets a copy of it.
TEST(AgentHubTest, EveryPushSharesTheVersionsHostList) {
  auto hosts = std::make_shared<v1::HostList>();
  for (int i = 0; i < 1000; ++i) {
    v1::HostEntry* entry = hosts->add_entries();
    entry->set_name("n" + std::to_string(i));
    entry->set_address("10.0.0.1");
  }
  std::shared_ptr<const v1::HostList> shared = std::move(hosts);
  AgentHub hub;
  std::vector<std::unique_ptr<RecordingStream>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<RecordingStream>());
    ASSERT_TRUE(hub.Register("n" + std::to_string(i), streams.back().get()).ok());
  }
  for (int i = 0; i < 3; ++i) {
    const std::string node = "n" + std::to_string(i);
    EXPECT_TRUE(hub.OfferPlan(node, 1, 1, Plan(node, true), shared, "h" + node));
  }
  for (const auto& stream : streams) {
    ASSERT_EQ(stream->sent.size(), 1u);
    const OutgoingMessage& out = stream->sent[0];
    EXPECT_EQ(out.plan_hosts.get(), shared.get());  // the same list, not a copy
    EXPECT_FALSE(out.message.plan().has_hosts());
    EXPECT_EQ(out.message.plan().plan().hosts_size(), 0);
  }
  EXPECT_EQ(shared.use_count(), 4);  // held by the three queued pushes

  // Held already: nothing sent. A plan without the hosts file: no list.
  EXPECT_FALSE(hub.OfferPlan("n0", 1, 1, Plan("n0", true), shared, "hn0"));
  EXPECT_TRUE(hub.OfferPlan("n0", 1, 2, Plan("n0", false), nullptr, "other"));
  EXPECT_EQ(streams[0]->sent.back().plan_hosts, nullptr);
}

}  // namespace
}  // namespace bamctl
