#include "tests/integration/controller_process.h"

#include <chrono>
#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_pki.h"

namespace bamctl::testing {

namespace fs = std::filesystem;

std::string ControllerBinary() {
  const char* bin = std::getenv("BAMCTL_CONTROLLER_BIN");
  return bin != nullptr ? bin : "";
}

ControllerProcess::ControllerProcess(fs::path dir, std::vector<std::string> flags)
    : dir_(std::move(dir)),
      flags_(std::move(flags)),
      host_(ProcessLoopbackSubnet().ServerAddress()),
      address_(absl::StrCat(host_, ":7443")) {}

absl::Status ControllerProcess::Start() {
  if (ca_ == nullptr) {
    ASSIGN_OR_RETURN(CertificateAuthority ca, MakeControllerTlsDir((dir_ / "pki").string(), host_));
    ca_ = std::make_unique<CertificateAuthority>(std::move(ca));
  }
  std::vector<std::string> argv = {ControllerBinary(),
                                   "--listen=" + address_,
                                   "--db=" + (dir_ / "controller.db").string(),
                                   "--metrics_listen=",
                                   "--report_flush_interval_ms=10",
                                   "--tls_dir=" + (dir_ / "pki").string()};
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  ASSIGN_OR_RETURN(process_, ChildProcess::Start(argv, {}, dir_.string(), log().string()));
  ASSIGN_OR_RETURN(grpc::SslCredentialsOptions admin,
                   ClientTlsOptions(*ca_, "admin", PeerRole::kOperator));
  auto channel = grpc::CreateChannel(address_, grpc::SslCredentials(admin));
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30))) {
    return absl::DeadlineExceededError(
        absl::StrCat("bam-controller did not answer within 30 s; see ", log().string()));
  }
  cluster_ = v1::ClusterService::NewStub(channel);
  return absl::OkStatus();
}

void ControllerProcess::Kill9() { process_.reset(); }

absl::StatusOr<std::unique_ptr<v1::AgentService::Stub>> ControllerProcess::AgentStub(
    const std::string& node, const std::string& via, grpc::ChannelArguments args) {
  if (ca_ == nullptr) return absl::FailedPreconditionError("the controller was never started");
  ASSIGN_OR_RETURN(grpc::SslCredentialsOptions options,
                   ClientTlsOptions(*ca_, node, PeerRole::kNode));
  if (!via.empty()) args.SetSslTargetNameOverride(host_);
  return v1::AgentService::NewStub(
      grpc::CreateCustomChannel(via.empty() ? address_ : via, grpc::SslCredentials(options), args));
}

absl::StatusOr<int64_t> ControllerProcess::RssBytes() const {
  if (process_ == nullptr) return absl::FailedPreconditionError("not running");
  std::ifstream in(absl::StrCat("/proc/", process_->pid(), "/status"));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(absl::StripAsciiWhitespace(rest), ' ', absl::SkipEmpty());
    int64_t kib = 0;
    if (words.size() == 2 && words[1] == "kB" && absl::SimpleAtoi(words[0], &kib)) {
      return kib * 1024;
    }
    return absl::InternalError(absl::StrCat("unexpected line in /proc status: ", line));
  }
  return absl::NotFoundError(absl::StrCat("no VmRSS for pid ", process_->pid()));
}

}  // namespace bamctl::testing
