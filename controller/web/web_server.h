#ifndef BAMCTL_CONTROLLER_WEB_WEB_SERVER_H_
#define BAMCTL_CONTROLLER_WEB_WEB_SERVER_H_

// The controller's web endpoint (docs/web.md): the status page (built-in
// assets), its JSON and live event stream, and Prometheus's HTTP service
// discovery. Read-only. Over TLS every request needs a session (from a
// one-time token of `bamctl web login`) or a client certificate of the
// cluster CA that may read (Prometheus uses one); a plaintext endpoint is
// only allowed on loopback, as the plaintext gRPC listener is.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "controller/web/overview.h"
#include "controller/web/sessions.h"
#include "http/server.h"
#include "proto/controller.grpc.pb.h"

namespace bamctl {

struct WebOptions {
  std::string listen;  // "host:port"
  // TLS: the controller's certificate and key, and the CA client
  // certificates must chain to. All empty: plaintext, loopback only.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // The address people open, for `bamctl web login` ("https://ctl1:9443");
  // empty: made from `listen` (with `advertise_host` for a wildcard).
  std::string public_url;
  std::string advertise_host;
  // Who a verified client certificate (PEM) is, when it may read the
  // page; an error otherwise. Null: client certificates count for nothing.
  std::function<absl::StatusOr<WebUser>(absl::string_view certificate_pem)> certificate_user;
};

class WebServer {
 public:
  static absl::StatusOr<std::unique_ptr<WebServer>> Start(WebOptions options,
                                                          OverviewSources sources,
                                                          const Clock* clock);
  ~WebServer();

  // A one-time login for `user` (who may read), and the URL that uses it.
  absl::StatusOr<v1::CreateWebLoginResponse> CreateLogin(WebUser user);

  int port() const;
  std::string url() const;  // the public URL
  void Shutdown();

  class Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One built-in asset of controller/web/assets (generated table).
struct WebAsset {
  const char* name;
  const char* content;
  int size;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_WEB_WEB_SERVER_H_
