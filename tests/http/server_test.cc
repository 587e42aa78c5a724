#include "http/server.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certs.h"
#include "tests/util/http_client.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_pki.h"
#include "tests/util/test_util.h"

namespace bamctl::http {
namespace {

using ::bamctl::testing::HttpAnswer;
using ::bamctl::testing::HttpClientOptions;
using ::bamctl::testing::HttpExchange;
using ::bamctl::testing::HttpGet;
using ::bamctl::testing::ParseHttpAnswer;
using ::testing::HasSubstr;

std::string Host() { return bamctl::testing::ProcessLoopbackSubnet().ServerAddress(); }

// Events the /stream handler has written, over every server of the test.
std::atomic<int> events_written = 0;

// Polls `done` every 10 ms for up to `timeout`; whether it came true.
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Answers every request with what it saw: "METHOD PATH peer=... cert=yes|no".
void Echo(const Request& request, const Peer& peer, ResponseWriter& writer) {
  if (request.path == "/stream") {
    if (!writer.StartStream(200, {{"Content-Type", "text/event-stream"}})) return;
    for (int i = 0;; ++i) {
      if (!writer.Write(absl::StrCat("data: ", i, "\n\n"))) return;
      ++events_written;
      if (writer.WaitStopping(absl::Milliseconds(20))) return;
    }
  }
  writer.Send(Response::Text(
      200, absl::StrCat(request.method, " ", request.path, " loopback=", peer.loopback,
                        " tls=", peer.tls, " cert=", !peer.verified_certificate_pem.empty(),
                        " body=", request.body)));
}

std::unique_ptr<Server> StartOrDie(ServerOptions options) {
  options.listen = Host() + ":0";
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(std::move(options), Echo);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(HttpServerTest, AnswersKeepsAliveAndPipelines) {
  std::unique_ptr<Server> server = StartOrDie({});
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(server->tls());
  absl::StatusOr<HttpAnswer> answer = HttpGet(Host(), server->port(), "/a%20b", {});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "GET /a b loopback=1 tls=0 cert=0 body=\n");
  EXPECT_EQ(answer->headers["connection"], "close");

  // Two requests in one write on a kept-alive connection: two answers.
  const std::string two =
      "GET /one HTTP/1.1\r\nHost: h\r\n\r\nPOST /two HTTP/1.1\r\nHost: h\r\nContent-Length: "
      "3\r\nConnection: close\r\n\r\nxyz";
  absl::StatusOr<std::string> raw = HttpExchange(Host(), server->port(), two, {});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_THAT(*raw, HasSubstr("GET /one loopback=1"));
  EXPECT_THAT(*raw, HasSubstr("POST /two loopback=1 tls=0 cert=0 body=xyz"));
  EXPECT_THAT(*raw, HasSubstr("Connection: keep-alive"));

  // HEAD: the length of the GET's body, no body.
  raw = HttpExchange(Host(), server->port(),
                     "HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", {});
  ASSERT_TRUE(raw.ok());
  EXPECT_THAT(*raw, HasSubstr("Content-Length: "));
  EXPECT_TRUE(absl::EndsWith(*raw, "\r\n\r\n")) << *raw;
}

TEST(HttpServerTest, RefusesAMalformedRequestAndCloses) {
  std::unique_ptr<Server> server = StartOrDie({});
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::string> raw =
      HttpExchange(Host(), server->port(),
                   "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", {});
  ASSERT_TRUE(raw.ok()) << raw.status();
  absl::StatusOr<HttpAnswer> answer = ParseHttpAnswer(*raw);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 501);
  EXPECT_THAT(answer->body, HasSubstr("Content-Length"));
  EXPECT_EQ(answer->headers["connection"], "close");
}

TEST(HttpServerTest, RefusesABadListenAddressOrTlsFiles) {
  ServerOptions options;
  options.listen = "nonsense";
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(options, Echo);
  EXPECT_THAT(s.status().message(), HasSubstr("is not HOST:PORT"));
  const std::filesystem::path dir = bamctl::testing::MakeTempDir("http-bad-tls");
  std::ofstream(dir / "bad.crt") << "not a certificate";
  options.listen = Host() + ":0";
  options.cert_file = (dir / "bad.crt").string();
  options.key_file = (dir / "bad.crt").string();
  s = Server::Start(options, Echo);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("bad.crt: not a usable certificate"));
  std::filesystem::remove_all(dir);
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = bamctl::testing::MakeTempDir("https-server");
    absl::StatusOr<CertificateAuthority> ca =
        bamctl::testing::MakeControllerTlsDir(dir_.string(), Host());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_.emplace(*std::move(ca));
    ServerOptions options;
    options.cert_file = (dir_ / "controller.crt").string();
    options.key_file = (dir_ / "controller.key").string();
    options.client_ca_file = (dir_ / "ca.crt").string();
    options.max_connections = 3;
    server_ = StartOrDie(options);
    ASSERT_NE(server_, nullptr);
    client_.tls = true;
    client_.ca_pem = ca_->cert_pem();
  }

  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::optional<CertificateAuthority> ca_;
  std::unique_ptr<Server> server_;
  HttpClientOptions client_;
};

TEST_F(HttpsServerTest, ServesTlsAndReportsAVerifiedClientCertificate) {
  EXPECT_TRUE(server_->tls());
  absl::StatusOr<HttpAnswer> answer = HttpGet(Host(), server_->port(), "/x", client_);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->body, "GET /x loopback=1 tls=1 cert=0 body=\n");

  absl::StatusOr<KeyAndCertificate> viewer =
      ca_->Issue("prometheus", PeerRole::kViewer, absl::Hours(1));
  ASSERT_TRUE(viewer.ok());
  HttpClientOptions with_cert = client_;
  with_cert.cert_pem = viewer->cert_pem;
  with_cert.key_pem = viewer->key_pem;
  answer = HttpGet(Host(), server_->port(), "/x", with_cert);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->body, "GET /x loopback=1 tls=1 cert=1 body=\n");

  // A certificate of another CA does not get through the handshake.
  absl::StatusOr<CertificateAuthority> other =
      CertificateAuthority::Create("other", absl::Hours(1));
  ASSERT_TRUE(other.ok());
  absl::StatusOr<KeyAndCertificate> stranger =
      other->Issue("eve", PeerRole::kOperator, absl::Hours(1));
  ASSERT_TRUE(stranger.ok());
  HttpClientOptions eve = client_;
  eve.cert_pem = stranger->cert_pem;
  eve.key_pem = stranger->key_pem;
  answer = HttpGet(Host(), server_->port(), "/x", eve);
  EXPECT_FALSE(answer.ok() && answer->status == 200);

  // Plaintext to a TLS port: no answer, and the server goes on.
  HttpClientOptions plain;
  plain.timeout = absl::Seconds(3);
  EXPECT_FALSE(HttpGet(Host(), server_->port(), "/x", plain).ok());
  EXPECT_TRUE(HttpGet(Host(), server_->port(), "/x", client_).ok());
}

// Browsers resume TLS sessions on every new connection; with client
// certificates asked for, OpenSSL fails such a handshake unless the server
// set a session id context (Chromium saw ERR_SSL_PROTOCOL_ERROR).
TEST_F(HttpsServerTest, ResumesSessionsAsBrowsersDo) {
  std::string session;
  bool resumed = true;
  HttpClientOptions options = client_;
  options.session = &session;
  options.resumed = &resumed;
  ASSERT_TRUE(HttpGet(Host(), server_->port(), "/first", options).ok());
  EXPECT_FALSE(resumed);
  ASSERT_FALSE(session.empty());
  absl::StatusOr<HttpAnswer> again = HttpGet(Host(), server_->port(), "/second", options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, 200);
  EXPECT_TRUE(resumed);
}

TEST_F(HttpsServerTest, ShutdownEndsStreamsAndIdleConnectionsAtOnce) {
  std::atomic<bool> stream_ended = false;
  std::string streamed;
  std::thread reader([&] {
    absl::StatusOr<std::string> raw =
        HttpExchange(Host(), server_->port(), "GET /stream HTTP/1.1\r\nHost: h\r\n\r\n", client_);
    if (raw.ok()) streamed = *raw;
    stream_ended = true;
  });
  // An idle kept-alive connection too (it never sends a request).
  std::thread idle([&] {
    HttpClientOptions slow = client_;
    (void)HttpExchange(Host(), server_->port(), "", slow);
  });
  // Both connections open and the stream flowing, however loaded the machine.
  const int events_before = events_written;
  // EXPECT, not ASSERT: the threads must be joined below either way.
  EXPECT_TRUE(
      WaitUntil([&] { return server_->connections() == 2 && events_written > events_before; },
                absl::Seconds(30)));
  EXPECT_FALSE(stream_ended);
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown();
  const auto took = std::chrono::steady_clock::now() - start;
  reader.join();
  idle.join();
  EXPECT_TRUE(stream_ended);
  EXPECT_THAT(streamed, HasSubstr("text/event-stream"));
  EXPECT_THAT(streamed, HasSubstr("data: 0\n\n"));
  // Not the 30 s io timeout: shutdown wakes every connection.
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(HttpsServerTest, BoundsConnections) {
  // Three idle connections fill the server; a fourth is closed unanswered,
  // and served again once they are gone.
  std::vector<std::thread> idle;
  idle.reserve(3);
  for (int i = 0; i < 3; ++i) {
    idle.emplace_back([&] {
      HttpClientOptions wait = client_;
      wait.timeout = absl::Seconds(4);
      (void)HttpExchange(Host(), server_->port(), "", wait);
    });
  }
  EXPECT_TRUE(WaitUntil([&] { return server_->connections() == 3; }, absl::Seconds(30)));
  HttpClientOptions quick = client_;
  quick.timeout = absl::Seconds(2);
  EXPECT_FALSE(HttpGet(Host(), server_->port(), "/x", quick).ok());
  for (std::thread& t : idle) t.join();
  absl::StatusOr<HttpAnswer> answer;
  for (int i = 0; i < 50; ++i) {  // the server notices the closes on its next accept
    answer = HttpGet(Host(), server_->port(), "/x", client_);
    if (answer.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
}

}  // namespace
}  // namespace bamctl::http
