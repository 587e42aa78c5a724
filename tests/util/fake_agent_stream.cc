#include "tests/util/fake_agent_stream.h"

#include <chrono>

namespace bamctl::testing {

FakeAgent::FakeAgent(v1::AgentService::StubInterface* stub, const std::string& node,
                     const v1::PlanUpdate& held)
    : node_(node) {
  ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  stream_ = stub->Connect(&ctx_);
  v1::AgentMessage hello;
  hello.mutable_hello()->set_node(node);
  hello.mutable_hello()->set_agent_version("test");
  hello.mutable_hello()->set_applied_epoch(held.epoch());
  hello.mutable_hello()->set_applied_version(held.version());
  hello.mutable_hello()->set_applied_plan_hash(held.plan_hash());
  stream_->Write(hello);
}

std::optional<v1::PlanUpdate> FakeAgent::NextPlan() {
  v1::ControllerMessage message;
  while (stream_->Read(&message)) {
    if (message.has_plan()) return message.plan();
  }
  return std::nullopt;
}

std::optional<v1::ControllerMessage> FakeAgent::Next(v1::ControllerMessage::BodyCase body) {
  v1::ControllerMessage message;
  while (stream_->Read(&message)) {
    if (message.body_case() == body) return message;
  }
  return std::nullopt;
}

int FakeAgent::ReadToEnd() {
  v1::ControllerMessage message;
  int count = 0;
  while (stream_->Read(&message)) ++count;
  return count;
}

void FakeAgent::Report(const v1::PlanUpdate& held, v1::Health health) {
  v1::RoleStatus role;
  role.set_service("svc");
  role.set_health(health);
  Report(held, role);
}

void FakeAgent::Report(const v1::PlanUpdate& held, const v1::RoleStatus& role) {
  v1::AgentMessage message;
  v1::NodeReport* report = message.mutable_report();
  report->set_node(node_);
  report->set_applied_epoch(held.epoch());
  report->set_applied_version(held.version());
  report->set_applied_plan_hash(held.plan_hash());
  *report->add_roles() = role;
  stream_->Write(message);
}

bool FakeAgent::Answer(const std::string& command_id, bool ok, const std::string& message) {
  v1::AgentMessage answer;
  answer.mutable_command_result()->set_command_id(command_id);
  answer.mutable_command_result()->set_ok(ok);
  answer.mutable_command_result()->set_message(message);
  return stream_->Write(answer);
}

void FakeAgent::Cancel() {
  if (closed_) return;
  closed_ = true;
  ctx_.TryCancel();
  status_ = stream_->Finish();
}

grpc::Status FakeAgent::Close() {
  if (closed_) return status_;
  closed_ = true;
  stream_->WritesDone();
  ReadToEnd();
  status_ = stream_->Finish();
  return status_;
}

}  // namespace bamctl::testing
