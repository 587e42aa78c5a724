// The controller's web endpoint on a real store: logins, what each kind of
// caller may read, the JSON documents, the event stream and service
// discovery, over TLS as served.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controller/web/sessions.h"
#include "controller/web/web_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certs.h"
#include "tests/util/http_client.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_pki.h"
#include "tests/util/test_util.h"
#include "tests/util/zookeeper_trio.h"

namespace bamctl {
namespace {

using ::bamctl::testing::HttpAnswer;
using ::bamctl::testing::HttpClientOptions;
using ::bamctl::testing::HttpExchange;
using ::bamctl::testing::HttpGet;
using ::bamctl::testing::HttpPostForm;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string Host() { return bamctl::testing::ProcessLoopbackSubnet().ServerAddress(); }

TEST(WebSessionsTest, TokensWorkOnceAndExpire) {
  FakeClock clock;
  WebSessions sessions(&clock);
  absl::StatusOr<WebSessions::Login> login = sessions.IssueToken({"admin", "operator"});
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->token.size(), 64u);
  EXPECT_EQ(login->expires_ms, clock.NowMillis() + int64_t{5} * 60 * 1000);
  absl::StatusOr<std::string> session = sessions.Redeem(login->token);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_NE(*session, login->token);
  ASSERT_TRUE(sessions.Lookup(*session).has_value());
  EXPECT_EQ(sessions.Lookup(*session)->name, "admin");
  EXPECT_THAT(sessions.Redeem(login->token).status().message(), HasSubstr("used already"));
  EXPECT_FALSE(sessions.Lookup(login->token).has_value());  // a token is no session

  absl::StatusOr<WebSessions::Login> late = sessions.IssueToken({"ann", "viewer"});
  ASSERT_TRUE(late.ok());
  clock.AdvanceMillis(int64_t{5} * 60 * 1000);
  EXPECT_THAT(sessions.Redeem(late->token).status().message(), HasSubstr("expired"));

  clock.AdvanceMillis(int64_t{12} * 3600 * 1000);
  EXPECT_FALSE(sessions.Lookup(*session).has_value());  // the session ran out
}

TEST(WebSessionsTest, EndedSessionsAndAFloodOfTokensAreBounded) {
  FakeClock clock;
  WebSessions sessions(&clock, {.max_entries = 4});
  absl::StatusOr<WebSessions::Login> first = sessions.IssueToken({"a", "viewer"});
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 10; ++i) {
    clock.AdvanceMillis(1);
    ASSERT_TRUE(sessions.IssueToken({"flood", "viewer"}).ok());
  }
  // The oldest token was pushed out; the newest work.
  EXPECT_FALSE(sessions.Redeem(first->token).ok());
  absl::StatusOr<WebSessions::Login> fresh = sessions.IssueToken({"b", "viewer"});
  ASSERT_TRUE(fresh.ok());
  absl::StatusOr<std::string> session = sessions.Redeem(fresh->token);
  ASSERT_TRUE(session.ok());
  sessions.End(*session);
  EXPECT_FALSE(sessions.Lookup(*session).has_value());
}

class WebServerTest : public bamctl::testing::ZooKeeperTrioTest {
 protected:
  void SetUp() override {
    ZooKeeperTrioTest::SetUp();
    tls_dir_ = bamctl::testing::MakeTempDir("web-tls");
    absl::StatusOr<CertificateAuthority> ca =
        bamctl::testing::MakeControllerTlsDir(tls_dir_.string(), Host());
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_.emplace(*std::move(ca));
    WebOptions options;
    options.listen = Host() + ":0";
    options.cert_file = (tls_dir_ / "controller.crt").string();
    options.key_file = (tls_dir_ / "controller.key").string();
    options.client_ca_file = (tls_dir_ / "ca.crt").string();
    options.certificate_user = [](absl::string_view pem) -> absl::StatusOr<WebUser> {
      absl::StatusOr<Identity> id = IdentityOfCertificate(pem);
      if (!id.ok()) return id.status();
      if (id->role != PeerRole::kViewer && id->role != PeerRole::kOperator) {
        return absl::PermissionDeniedError("not a reader");
      }
      return WebUser{id->name, std::string(PeerRoleText(id->role))};
    };
    OverviewSources sources;
    sources.state = state_.get();
    sources.store = store_.get();
    sources.clock = &clock_;
    sources.metrics_address = "0.0.0.0:9464";  // the host Prometheus reached
    sources.four_letter_word = [](const std::string& host, uint32_t,
                                  const std::string& word) -> absl::StatusOr<std::string> {
      if (host == "10.0.0.3") return absl::UnavailableError("down");
      const bool leader = host == "10.0.0.1";
      if (word == "srvr") return absl::StrCat("Mode: ", leader ? "leader" : "follower", "\n");
      return std::string("zk_synced_followers\t1\n");
    };
    absl::StatusOr<std::unique_ptr<WebServer>> web =
        WebServer::Start(options, std::move(sources), &clock_);
    ASSERT_TRUE(web.ok()) << web.status();
    web_ = *std::move(web);
    client_.tls = true;
    client_.ca_pem = ca_->cert_pem();
  }

  void TearDown() override {
    web_.reset();
    std::filesystem::remove_all(tls_dir_);
    ZooKeeperTrioTest::TearDown();
  }

  absl::StatusOr<HttpAnswer> Get(const std::string& path, const std::string& extra = "") {
    return HttpGet(Host(), web_->port(), path, client_, extra);
  }

  // Logs in as `user`; the Cookie header line of its session.
  std::string LogIn(const std::string& user = "admin") {
    absl::StatusOr<v1::CreateWebLoginResponse> login = web_->CreateLogin({user, "operator"});
    EXPECT_TRUE(login.ok()) << login.status();
    if (!login.ok()) return "";
    EXPECT_THAT(login->url(), StartsWith(absl::StrCat("https://", Host(), ":", web_->port(),
                                                      "/login#token=", login->token())));
    absl::StatusOr<HttpAnswer> answer =
        HttpPostForm(Host(), web_->port(), "/login", "token=" + login->token(), client_);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return "";
    EXPECT_EQ(answer->status, 303);
    EXPECT_EQ(answer->headers["location"], "/");
    const std::string cookie = answer->headers["set-cookie"];
    EXPECT_THAT(cookie, HasSubstr("; Secure; HttpOnly; SameSite=Strict"));
    return absl::StrCat("Cookie: ", cookie.substr(0, cookie.find(';')), "\r\n");
  }

  std::filesystem::path tls_dir_;
  std::optional<CertificateAuthority> ca_;
  std::unique_ptr<WebServer> web_;
  HttpClientOptions client_;
};

TEST_F(WebServerTest, WithoutALoginOnlyTheLoginPageAnswers) {
  absl::StatusOr<HttpAnswer> page = Get("/");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->status, 303);
  EXPECT_EQ(page->headers["location"], "/login");
  absl::StatusOr<HttpAnswer> api = Get("/api/overview");
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->status, 401);
  EXPECT_THAT(api->body, HasSubstr("bamctl web login"));
  EXPECT_EQ(Get("/prometheus/targets")->status, 401);
  EXPECT_EQ(Get("/api/stream")->status, 401);
  EXPECT_EQ(Get("/app.js")->status, 303);  // the page's code too

  absl::StatusOr<HttpAnswer> login = Get("/login");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->status, 200);
  EXPECT_THAT(login->body, HasSubstr("name=\"token\""));
  EXPECT_THAT(login->headers["content-security-policy"], HasSubstr("script-src 'self'"));
  EXPECT_EQ(login->headers["x-frame-options"], "DENY");
  EXPECT_EQ(Get("/app.css")->status, 200);

  // A made-up token, an empty one, a cross-site post: refused, and said why.
  absl::StatusOr<HttpAnswer> bad =
      HttpPostForm(Host(), web_->port(), "/login", "token=0123", client_);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 401);
  EXPECT_THAT(bad->body, HasSubstr("unknown or was used already"));
  EXPECT_EQ(bad->headers.count("set-cookie"), 0u);
  EXPECT_EQ(HttpPostForm(Host(), web_->port(), "/login", "", client_)->status, 400);
  EXPECT_EQ(HttpPostForm(Host(), web_->port(), "/login", "token=x", client_,
                         "Origin: https://evil.example\r\n")
                ->status,
            403);
  // An error message is escaped into the page, never markup.
  absl::StatusOr<HttpAnswer> sneaky =
      HttpPostForm(Host(), web_->port(), "/login", "token=%3Cscript%3E", client_);
  ASSERT_TRUE(sneaky.ok());
  EXPECT_THAT(sneaky->body, Not(HasSubstr("<script>")));
}

TEST_F(WebServerTest, ALoginLetsTheBrowserReadUntilLogout) {
  const std::string cookie = LogIn();
  absl::StatusOr<HttpAnswer> page = Get("/", cookie);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->headers["content-type"], HasSubstr("text/html"));
  EXPECT_EQ(Get("/app.js", cookie)->status, 200);

  ReportZooKeeper("zk1", 101);
  absl::StatusOr<HttpAnswer> overview = Get("/api/overview", cookie);
  ASSERT_TRUE(overview.ok());
  ASSERT_EQ(overview->status, 200) << overview->body;
  EXPECT_EQ(overview->headers["cache-control"], "no-store");
  const std::string& json = overview->body;
  EXPECT_THAT(json, HasSubstr("\"controller\":{\"address\":\"\",\"role\":\"standalone\""));
  EXPECT_THAT(json, HasSubstr("\"desired_version\":\"1\""));
  EXPECT_THAT(json, HasSubstr("\"node\":\"zk1\""));
  EXPECT_THAT(json, HasSubstr("\"phase\":\"PHASE_RUNNING\""));
  // The ensemble as its servers answer: zk3 does not.
  EXPECT_THAT(json, HasSubstr("{\"node\":\"zk1\",\"id\":1,\"address\":\"10.0.0.1:2181\","
                              "\"mode\":\"leader\",\"error\":\"\",\"synced_followers\":1}"));
  EXPECT_THAT(json, HasSubstr("\"node\":\"zk3\",\"id\":3,\"address\":\"10.0.0.3:2181\","
                              "\"mode\":\"\",\"error\":\"does not answer srvr\""));
  EXPECT_THAT(json, HasSubstr("\"kind\":\"apply\""));  // the events

  absl::StatusOr<HttpAnswer> version = Get("/api/version?v=1", cookie);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->status, 200);
  EXPECT_THAT(version->body, HasSubstr("\"spec_diff\":\"--- version 0\\n+++ version 1\\n"));
  EXPECT_EQ(Get("/api/version?v=x", cookie)->status, 400);
  EXPECT_EQ(Get("/api/version?v=9", cookie)->status, 404);
  EXPECT_THAT(Get("/api/versions", cookie)->body, HasSubstr("\"version\":\"1\""));
  EXPECT_EQ(Get("/nothing", cookie)->status, 404);

  // The stream sends the overview at once.
  absl::StatusOr<std::string> stream = HttpExchange(
      Host(), web_->port(), absl::StrCat("GET /api/stream HTTP/1.1\r\nHost: h\r\n", cookie, "\r\n"),
      client_, [](const std::string& got) {
        return absl::StrContains(got, "\n\n{") || absl::StrContains(got, "}\n\n");
      });
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_THAT(*stream, HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(*stream, HasSubstr("event: overview\ndata: {\"now_ms\""));

  absl::StatusOr<HttpAnswer> out =
      HttpPostForm(Host(), web_->port(), "/logout", "", client_, cookie);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status, 303);
  EXPECT_THAT(out->headers["set-cookie"], HasSubstr("Max-Age=0"));
  EXPECT_EQ(Get("/api/overview", cookie)->status, 401);
}

TEST_F(WebServerTest, PrometheusDiscoversAgentsAndTheControllerWithAViewerCertificate) {
  ASSERT_TRUE(store_->SetMetricsAddress("zk1", "10.0.0.1:9465").ok());
  ASSERT_TRUE(store_->SetMetricsAddress("zk2", "0.0.0.0:9465").ok());    // the node's address
  ASSERT_TRUE(store_->SetMetricsAddress("gone", "10.9.9.9:9465").ok());  // not in the spec
  absl::StatusOr<KeyAndCertificate> viewer =
      ca_->Issue("prometheus", PeerRole::kViewer, absl::Hours(1));
  ASSERT_TRUE(viewer.ok());
  HttpClientOptions prometheus = client_;
  prometheus.cert_pem = viewer->cert_pem;
  prometheus.key_pem = viewer->key_pem;
  absl::StatusOr<HttpAnswer> targets =
      HttpGet(Host(), web_->port(), "/prometheus/targets", prometheus);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_EQ(targets->status, 200) << targets->body;
  EXPECT_EQ(targets->body,
            absl::StrCat(
                "[{\"targets\":[\"10.0.0.1:9465\"],\"labels\":{\"__meta_bamctl_component\":"
                "\"agent\",\"__meta_bamctl_node\":\"zk1\",\"__meta_bamctl_address\":\"10.0.0.1\","
                "\"__meta_bamctl_roles\":\",zookeeper,\"}},"
                "{\"targets\":[\"10.0.0.2:9465\"],\"labels\":{\"__meta_bamctl_component\":"
                "\"agent\",\"__meta_bamctl_node\":\"zk2\",\"__meta_bamctl_address\":\"10.0.0.2\","
                "\"__meta_bamctl_roles\":\",zookeeper,\"}},"
                "{\"targets\":[\"",
                Host(),
                ":9464\"],\"labels\":{\"__meta_bamctl_component\":\"controller\","
                "\"__meta_bamctl_controller\":\"controller\"}}]"));

  // A node's certificate reads nothing here.
  absl::StatusOr<KeyAndCertificate> node = ca_->Issue("zk1", PeerRole::kNode, absl::Hours(1));
  ASSERT_TRUE(node.ok());
  HttpClientOptions as_node = client_;
  as_node.cert_pem = node->cert_pem;
  as_node.key_pem = node->key_pem;
  EXPECT_EQ(HttpGet(Host(), web_->port(), "/prometheus/targets", as_node)->status, 401);
}

TEST(WebServerStartTest, RefusesPlaintextOffLoopback) {
  FakeClock clock;
  WebOptions options;
  options.listen = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<WebServer>> web =
      WebServer::Start(options, OverviewSources{}, &clock);
  ASSERT_FALSE(web.ok());
  EXPECT_THAT(web.status().message(), HasSubstr("without TLS off loopback"));
}

}  // namespace
}  // namespace bamctl
