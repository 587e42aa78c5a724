#include "agentd/client/controller_client.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/leader_redirect.h"
#include "common/net_util.h"
#include "common/thread_name.h"
#include "google/protobuf/util/message_differencer.h"
#include "spdlog/spdlog.h"

namespace bamctl {

ControllerClient::ControllerClient(Options options, const Clock* clock, Callbacks callbacks)
    : options_(std::move(options)),
      targets_(SplitAddressList(options_.target)),
      clock_(clock),
      callbacks_(std::move(callbacks)) {
  if (targets_.empty()) targets_.push_back(options_.target);
}

absl::Status ControllerClient::MakeChannel() {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options_.credentials != nullptr) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> tls =
        options_.credentials->Credentials();
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  grpc::ChannelArguments args;
  // Notice a dead controller (or path) even when nothing is being sent.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Our own backoff decides when to redial; keep gRPC's short.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  channel_ = grpc::CreateCustomChannel(target(), credentials, args);
  stub_ = v1::AgentService::NewStub(channel_);
  return absl::OkStatus();
}

ControllerClient::~ControllerClient() { Stop(); }

bool ControllerClient::ChooseNext(const grpc::Status& status) {
  if (targets_.size() < 2) return false;
  stub_.reset();  // a channel per controller: made again for the next one
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    const std::string leader = LeaderNamedIn(status.error_message());
    // Only a controller of the list: a refusal does not send the agent
    // anywhere its operator did not name.
    for (size_t i = 0; !leader.empty() && i < targets_.size(); ++i) {
      if (targets_[i] == leader && i != current_) {
        current_ = i;
        return true;
      }
    }
  }
  current_ = (current_ + 1) % targets_.size();
  return false;
}

void ControllerClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ControllerClient::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void ControllerClient::SetReport(const v1::NodeReport& report) {
  absl::MutexLock lock(&mu_);
  if (google::protobuf::util::MessageDifferencer::Equals(report, report_)) return;
  report_ = report;
  report_dirty_ = true;
}

void ControllerClient::SendCommandResult(const v1::CommandResult& result) {
  absl::MutexLock lock(&mu_);
  results_.push_back(result);
}

std::optional<int64_t> ControllerClient::clock_offset_ms() const {
  absl::MutexLock lock(&mu_);
  return offset_ms_;
}

void ControllerClient::Run() {
  NameThisThread("ctl-stream");
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = options_.backoff_initial;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    const int64_t began = clock_->MonotonicMillis();
    // A channel is made for the first session and after a renewal, with the
    // credentials as they are then; failing to make one is retried below.
    grpc::Status status;
    if (stub_ == nullptr) {
      if (absl::Status s = MakeChannel(); !s.ok()) {
        status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              absl::StrCat("TLS credentials: ", s.ToString()));
      }
    }
    if (stub_ != nullptr) status = Session();
    const bool was_connected = connected_.exchange(false);
    if (was_connected) {
      failed_in_row_ = 0;
      if (callbacks_.on_connected) callbacks_.on_connected(false);
    }
    bool renewed = false;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      std::swap(renewed, renewed_);
    }
    if (renewed) {
      spdlog::info("controller {}: reconnecting with the renewed certificate", target());
      stub_.reset();
      backoff = options_.backoff_initial;
      next_renewal_request_ms_ = 0;  // the new certificate has its own due time
      continue;
    }
    // A session that lasted was a working connection: start over small.
    if (clock_->MonotonicMillis() - began > 30'000) {
      backoff = options_.backoff_initial;
    }
    const std::string failed = target();
    const bool redirected = ChooseNext(status);
    // Through the rest of the list (or to the leader named) after the
    // initial pause; the growing backoff is for the whole list.
    bool list_tried = ++failed_in_row_ >= targets_.size();
    if (list_tried) failed_in_row_ = 0;
    if (redirected) list_tried = false;
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const auto wait = std::chrono::milliseconds(static_cast<int64_t>(
        static_cast<double>((list_tried ? backoff : options_.backoff_initial).count()) *
        jitter(rng)));
    spdlog::warn("controller {}: {} ({}); retrying{} in {} ms", failed,
                 status.error_message().empty() ? "stream ended" : status.error_message(),
                 static_cast<int>(status.error_code()),
                 failed == target() ? "" : absl::StrCat(" with ", target()), wait.count());
    if (!list_tried) {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_; };
      clock_->AwaitUntil(mu_, absl::Condition(&stopping), clock_->MonotonicMillis() + wait.count());
      continue;
    }
    backoff = std::min(backoff * 2, options_.backoff_max);
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_; };
    clock_->AwaitUntil(mu_, absl::Condition(&stopping), clock_->MonotonicMillis() + wait.count());
  }
}

grpc::Status ControllerClient::Session() {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return grpc::Status::CANCELLED;
    context_ = &context;
    stream_ended_ = false;
  }
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>> stream =
      stub_->Connect(&context);

  v1::AgentMessage hello;
  {
    absl::MutexLock lock(&mu_);
    hello.mutable_hello()->set_node(options_.node);
    hello.mutable_hello()->set_agent_version(options_.agent_version);
    hello.mutable_hello()->set_applied_version(report_.applied_version());
    hello.mutable_hello()->set_applied_plan_hash(report_.applied_plan_hash());
    hello.mutable_hello()->set_applied_epoch(report_.applied_epoch());
    hello.mutable_hello()->set_metrics_address(options_.metrics_address);
    report_dirty_ = true;  // a new controller session gets the whole report
  }
  bool ok = stream->Write(hello);

  std::thread reader([this, &stream] {
    NameThisThread("ctl-reader");
    v1::ControllerMessage in;
    while (stream->Read(&in)) {
      switch (in.body_case()) {
        case v1::ControllerMessage::kPlan:
          if (callbacks_.on_plan) callbacks_.on_plan(in.plan());
          break;
        case v1::ControllerMessage::kCommand:
          if (callbacks_.on_command) callbacks_.on_command(in.command());
          break;
        case v1::ControllerMessage::kRenewed:
          OnRenewed(in.renewed());
          break;
        case v1::ControllerMessage::kTime: {
          const int64_t now = clock_->NowMillis();
          const int64_t sent = in.time().agent_sent_ms();
          absl::MutexLock lock(&mu_);
          offset_ms_ = in.time().controller_ms() - (sent + now) / 2;
          break;
        }
        default:
          break;
      }
    }
    absl::MutexLock lock(&mu_);
    stream_ended_ = true;
  });

  int64_t next_heartbeat = clock_->MonotonicMillis();
  bool announced = false;
  while (ok) {
    v1::AgentMessage out;
    std::vector<v1::CommandResult> results;
    bool send_report = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stop_ || stream_ended_ || renewed_ || report_dirty_ || !results_.empty();
      };
      clock_->AwaitUntil(mu_, absl::Condition(&ready), next_heartbeat);
      if (stop_ || stream_ended_ || renewed_) break;
      if (report_dirty_) {
        *out.mutable_report() = report_;
        report_dirty_ = false;
        send_report = true;
      }
      results.swap(results_);
    }
    if (send_report) {
      ok = stream->Write(out);
      if (ok && !announced) {
        announced = true;
        connected_ = true;
        if (callbacks_.on_connected) callbacks_.on_connected(true);
      }
    }
    for (size_t i = 0; ok && i < results.size(); ++i) {
      v1::AgentMessage msg;
      *msg.mutable_command_result() = results[i];
      ok = stream->Write(msg);
    }
    if (ok && clock_->MonotonicMillis() >= next_heartbeat) {
      v1::AgentMessage beat;
      beat.mutable_heartbeat()->set_sent_ms(clock_->NowMillis());
      {
        absl::MutexLock lock(&mu_);
        beat.mutable_heartbeat()->set_applied_version(report_.applied_version());
      }
      ok = stream->Write(beat);
      next_heartbeat = clock_->MonotonicMillis() + options_.heartbeat.count();
      // Checked with each heartbeat: a renewal is due days ahead of expiry.
      if (ok) ok = MaybeRequestRenewal(stream.get());
    }
    if (!ok) {  // unsent results go out on the next session
      absl::MutexLock lock(&mu_);
      results_.insert(results_.begin(), results.begin(), results.end());
    }
  }
  context.TryCancel();
  reader.join();
  grpc::Status status = stream->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  if (!report_dirty_) report_dirty_ = true;
  return status;
}

bool ControllerClient::MaybeRequestRenewal(
    grpc::ClientReaderWriter<v1::AgentMessage, v1::ControllerMessage>* stream) {
  if (options_.credentials == nullptr) return true;
  if (clock_->MonotonicMillis() < next_renewal_request_ms_) return true;
  if (clock_->NowMillis() < options_.credentials->RenewalDueMillis()) return true;
  absl::StatusOr<std::string> csr = options_.credentials->NewRenewalRequest();
  if (!csr.ok()) {
    spdlog::error("certificate renewal: {}", csr.status().ToString());
    return true;
  }
  // A refused or lost request is not repeated at every heartbeat.
  next_renewal_request_ms_ = clock_->MonotonicMillis() + options_.renewal_retry.count();
  spdlog::info("controller {}: the node certificate is due for renewal; requesting one", target());
  v1::AgentMessage renew;
  renew.mutable_renew()->set_csr_pem(*csr);
  return stream->Write(renew);
}

void ControllerClient::OnRenewed(const v1::RenewedCertificate& renewed) {
  if (options_.credentials == nullptr) return;
  if (renewed.cert_pem().empty()) {
    spdlog::error("controller {}: certificate renewal refused: {}", target(), renewed.error());
    return;
  }
  if (absl::Status s = options_.credentials->InstallRenewed(renewed.cert_pem()); !s.ok()) {
    spdlog::error("controller {}: renewed certificate not installed: {}", target(), s.ToString());
    return;
  }
  spdlog::info("controller {}: renewed node certificate installed", target());
  absl::MutexLock lock(&mu_);
  renewed_ = true;
}

}  // namespace bamctl
