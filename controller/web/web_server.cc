#include "controller/web/web_server.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/escape.h"
#include "common/net_util.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace bamctl {

extern const WebAsset kWebAssets[];
extern const int kWebAssetsCount;

namespace {

// The cookie prefix __Host- makes browsers keep it only when Secure, for
// this host alone and for every path.
constexpr absl::string_view kCookie = "__Host-bamctl_session";

constexpr absl::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

std::optional<absl::string_view> Asset(absl::string_view name) {
  for (int i = 0; i < kWebAssetsCount; ++i) {
    if (name == kWebAssets[i].name) {
      return absl::string_view(kWebAssets[i].content, static_cast<size_t>(kWebAssets[i].size));
    }
  }
  return std::nullopt;
}

absl::string_view ContentType(absl::string_view name) {
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::string HtmlEscape(absl::string_view text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

// The host a request was sent to: its Host field without the port
// ("[::1]:9443" -> "::1").
std::string RequestHost(const http::Request& request) {
  absl::string_view host = request.Header("host").value_or("");
  if (absl::StartsWith(host, "[")) {
    const size_t close = host.find(']');
    return close == absl::string_view::npos ? "" : std::string(host.substr(1, close - 1));
  }
  return std::string(host.substr(0, host.find(':')));
}

http::Response Json(int status, std::string body) {
  http::Response r = http::Response::Of(status, "application/json", std::move(body));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

http::Response JsonError(int status, absl::string_view message) {
  return Json(status, absl::StrCat("{\"error\":", JsonString(message), "}"));
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

class WebServer::Impl {
 public:
  Impl(WebOptions options, OverviewSources sources, const Clock* clock)
      : options_(std::move(options)), overview_(std::move(sources)), sessions_(clock) {}

  absl::Status Start() {
    const bool tls = !options_.cert_file.empty();
    if (!tls && !IsLoopbackListen(options_.listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the web endpoint ", options_.listen,
          " would serve without TLS off loopback; give it the controller's certificate "
          "(--tls_dir) or listen on 127.0.0.1"));
    }
    http::ServerOptions server_options;
    server_options.listen = options_.listen;
    server_options.cert_file = options_.cert_file;
    server_options.key_file = options_.key_file;
    server_options.client_ca_file = options_.client_ca_file;
    ASSIGN_OR_RETURN(server_,
                     http::Server::Start(
                         server_options,
                         [this](const http::Request& request, const http::Peer& peer,
                                http::ResponseWriter& writer) { Handle(request, peer, writer); }));
    if (!options_.public_url.empty()) {
      url_ = options_.public_url;
    } else {
      const size_t colon = options_.listen.rfind(':');
      std::string host = options_.listen.substr(0, colon);
      if (IsWildcardHost(host)) {
        host = options_.advertise_host.empty() ? "localhost" : options_.advertise_host;
      }
      url_ = absl::StrCat(tls ? "https://" : "http://", host, ":", server_->port());
    }
    while (absl::EndsWith(url_, "/")) url_.pop_back();
    return absl::OkStatus();
  }

  absl::StatusOr<v1::CreateWebLoginResponse> CreateLogin(WebUser user) {
    v1::CreateWebLoginResponse out;
    out.set_url(absl::StrCat(url_, "/"));
    if (!server_->tls()) return out;  // loopback plaintext: no login needed
    ASSIGN_OR_RETURN(WebSessions::Login login, sessions_.IssueToken(std::move(user)));
    out.set_token(login.token);
    out.set_expires_ms(login.expires_ms);
    out.set_url(absl::StrCat(url_, "/login#token=", login.token));
    return out;
  }

  int port() const { return server_->port(); }
  const std::string& url() const { return url_; }
  void Shutdown() {
    if (server_ != nullptr) server_->Shutdown();
  }

 private:
  // Who may read the request's answer, if anyone.
  std::optional<WebUser> Authenticate(const http::Request& request, const http::Peer& peer) {
    if (!peer.tls) return WebUser{"", "plaintext"};  // loopback only, as gRPC's plaintext
    if (!peer.verified_certificate_pem.empty() && options_.certificate_user) {
      absl::StatusOr<WebUser> user = options_.certificate_user(peer.verified_certificate_pem);
      if (user.ok()) return *std::move(user);
    }
    if (std::optional<std::string> cookie = request.Cookie(kCookie)) {
      return sessions_.Lookup(*cookie);
    }
    return std::nullopt;
  }

  void Send(http::ResponseWriter& writer, http::Response response) {
    response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("X-Frame-Options", "DENY");
    // Not no-referrer: with it, browsers send "Origin: null" on this
    // page's own form posts, which SameOrigin must refuse.
    response.headers.emplace_back("Referrer-Policy", "same-origin");
    writer.Send(std::move(response));
  }

  http::Response LoginPage(int status, absl::string_view error) {
    std::string page(Asset("login.html").value_or("<!doctype html><p id=error><!--error--></p>"));
    page = absl::StrReplaceAll(page, {{"<!--error-->", HtmlEscape(error)}});
    http::Response r = http::Response::Of(status, "text/html; charset=utf-8", std::move(page));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  // A POST from another site is refused even if a browser sent the cookie
  // (it does not: SameSite=Strict); Origin, when sent, must be this host.
  static bool SameOrigin(const http::Request& request) {
    std::optional<absl::string_view> origin = request.Header("origin");
    if (!origin) return true;
    std::optional<absl::string_view> host = request.Header("host");
    if (!host) return false;
    absl::string_view o = *origin;
    if (!absl::ConsumePrefix(&o, "https://") && !absl::ConsumePrefix(&o, "http://")) return false;
    return o == *host;
  }

  void Handle(const http::Request& request, const http::Peer& peer, http::ResponseWriter& writer) {
    const std::string& path = request.path;
    const bool get = request.method == "GET" || request.method == "HEAD";
    const bool post = request.method == "POST";
    // Public: the login page and what it needs.
    if (path == "/login") {
      if (get) return Send(writer, LoginPage(200, ""));
      if (post) return Login(request, peer, writer);
      return Send(writer, MethodNotAllowed("GET, POST"));
    }
    if (path == "/login.js" || path == "/app.css") {
      if (!get) return Send(writer, MethodNotAllowed("GET"));
      return ServeAsset(path.substr(1), writer);
    }
    const std::optional<WebUser> user = Authenticate(request, peer);
    const bool api = absl::StartsWith(path, "/api/") || absl::StartsWith(path, "/prometheus/");
    if (!user) {
      if (api) {
        return Send(writer, JsonError(401, "log in first: `bamctl web login` prints a link"));
      }
      return Send(writer, http::Response::Redirect("/login"));
    }
    if (path == "/logout") {
      if (!post) return Send(writer, MethodNotAllowed("POST"));
      if (!SameOrigin(request)) {
        return Send(writer, http::Response::Text(403, "cross-origin logout refused"));
      }
      if (std::optional<std::string> cookie = request.Cookie(kCookie)) sessions_.End(*cookie);
      http::Response r = http::Response::Redirect("/login");
      r.headers.emplace_back("Set-Cookie", absl::StrCat(kCookie,
                                                        "=; Path=/; Secure; HttpOnly; "
                                                        "SameSite=Strict; Max-Age=0"));
      return Send(writer, std::move(r));
    }
    if (!get) return Send(writer, MethodNotAllowed("GET"));
    if (path == "/" || path == "/index.html") return ServeAsset("index.html", writer);
    if (path == "/app.js") return ServeAsset("app.js", writer);
    if (path == "/api/overview") return SendJson(overview_.Json(), writer);
    if (path == "/api/versions") return SendJson(overview_.VersionsJson(100), writer);
    if (path == "/api/version") {
      int64_t v = 0;
      const std::optional<std::string> param = request.QueryParam("v");
      if (!param || !absl::SimpleAtoi(*param, &v) || v <= 0) {
        return Send(writer, JsonError(400, "give the version as ?v=N (N >= 1)"));
      }
      return SendJson(overview_.VersionJson(v), writer);
    }
    if (path == "/api/stream") return Stream(request, writer);
    if (path == "/prometheus/targets") {
      if (!overview_.Serving()) {
        // Reports reach the leader only: a follower's list would be stale.
        return Send(writer, JsonError(503, "this controller follows; ask the leader"));
      }
      return SendJson(overview_.TargetsJson(RequestHost(request)), writer);
    }
    return Send(writer, JsonError(404, absl::StrCat("no page ", path)));
  }

  static http::Response MethodNotAllowed(absl::string_view allowed) {
    http::Response r = http::Response::Text(405, absl::StrCat("use ", allowed));
    r.headers.emplace_back("Allow", std::string(allowed));
    return r;
  }

  void ServeAsset(absl::string_view name, http::ResponseWriter& writer) {
    std::optional<absl::string_view> asset = Asset(name);
    if (!asset) return Send(writer, http::Response::Text(404, absl::StrCat("no asset ", name)));
    http::Response r = http::Response::Of(200, ContentType(name), std::string(*asset));
    r.headers.emplace_back("Cache-Control", "no-cache");
    Send(writer, std::move(r));
  }

  void SendJson(const absl::StatusOr<std::string>& json, http::ResponseWriter& writer) {
    if (!json.ok()) {
      return Send(writer, JsonError(HttpStatusOf(json.status()), json.status().message()));
    }
    Send(writer, Json(200, *json));
  }

  void Login(const http::Request& request, const http::Peer& peer, http::ResponseWriter& writer) {
    if (!SameOrigin(request)) {
      return Send(writer, LoginPage(403, absl::StrCat("a login from another site (Origin ",
                                                      request.Header("origin").value_or(""),
                                                      ") is refused")));
    }
    if (!server_->tls()) return Send(writer, http::Response::Redirect("/"));
    const std::map<std::string, std::string> form = http::ParseUrlEncoded(request.body);
    auto token = form.find("token");
    if (token == form.end() || token->second.empty()) {
      return Send(writer, LoginPage(400, "paste the token `bamctl web login` printed"));
    }
    absl::StatusOr<std::string> session = sessions_.Redeem(token->second);
    if (!session.ok()) {
      spdlog::warn("web login from {} refused: {}", peer.address,
                   std::string(session.status().message()));
      return Send(writer, LoginPage(401, session.status().message()));
    }
    const std::optional<WebUser> user = sessions_.Lookup(*session);
    spdlog::info("web login: {} ({}) from {}", user ? user->name : "?", user ? user->role : "?",
                 peer.address);
    http::Response r = http::Response::Redirect("/");
    r.headers.emplace_back("Set-Cookie", absl::StrCat(kCookie, "=", *session,
                                                      "; Path=/; Secure; HttpOnly; "
                                                      "SameSite=Strict; Max-Age=",
                                                      sessions_.session_lifetime_ms() / 1000));
    Send(writer, std::move(r));
  }

  // Server-sent events: the overview whenever it changed, checked twice a
  // second; a comment every 15 s keeps proxies from closing the stream.
  void Stream(const http::Request& request, http::ResponseWriter& writer) {
    if (!writer.StartStream(200, {{"Content-Type", "text/event-stream"},
                                  {"Cache-Control", "no-store"},
                                  {"X-Content-Type-Options", "nosniff"}})) {
      return;
    }
    const std::optional<std::string> cookie = request.Cookie(kCookie);
    std::string last;
    int quiet_rounds = 0;
    while (true) {
      // A session that ended (logout, expiry) ends its streams.
      if (cookie && !sessions_.Lookup(*cookie)) return;
      absl::StatusOr<std::string> json = overview_.Json();
      // Only a change is sent: the JSON without its leading now_ms, which
      // changes every time (the page ages its times by itself).
      const absl::string_view content =
          json.ok() ? absl::string_view(*json).substr(json->find(',') + 1) : "";
      if (json.ok() && content != last) {
        if (!writer.Write(absl::StrCat("event: overview\ndata: ", *json, "\n\n"))) return;
        last = std::string(content);
        quiet_rounds = 0;
      } else if (++quiet_rounds >= 30) {
        if (!writer.Write(": keepalive\n\n")) return;
        quiet_rounds = 0;
      }
      if (writer.WaitStopping(absl::Milliseconds(500))) return;
    }
  }

  const WebOptions options_;
  Overview overview_;
  WebSessions sessions_;
  std::unique_ptr<http::Server> server_;
  std::string url_;
};

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(WebOptions options,
                                                            OverviewSources sources,
                                                            const Clock* clock) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(sources), clock);
  RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() { Shutdown(); }
absl::StatusOr<v1::CreateWebLoginResponse> WebServer::CreateLogin(WebUser user) {
  return impl_->CreateLogin(std::move(user));
}
int WebServer::port() const { return impl_->port(); }
std::string WebServer::url() const { return impl_->url(); }
void WebServer::Shutdown() { impl_->Shutdown(); }

}  // namespace bamctl
