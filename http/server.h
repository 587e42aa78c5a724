#ifndef BAMCTL_HTTP_SERVER_H_
#define BAMCTL_HTTP_SERVER_H_

// A small HTTP/1.1 server on OpenSSL for the controller's web endpoint: the
// status page, its JSON and event stream, and Prometheus service discovery.
// Debian's civetweb (which prometheus-cpp uses for /metrics) loads an
// unversioned libssl.so at run time, which only libssl-dev installs, so the
// TLS endpoint has its own server: one thread per connection, at most
// `max_connections` of them, every read and write bounded by a timeout.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "http/request.h"
#include "http/response.h"

namespace bamctl::http {

struct ServerOptions {
  std::string listen;  // "host:port"; port 0 picks a free one
  // Both or neither: TLS (1.2 or later) with this certificate chain and key.
  std::string cert_file;
  std::string key_file;
  // With TLS: ask clients for a certificate and verify it against this CA.
  // A client without one still connects (browsers log in instead); one whose
  // certificate fails verification does not.
  std::string client_ca_file;
  int max_connections = 64;
  // Bounds the TLS handshake, reading a request, a wait for the next one on
  // a kept-alive connection, and each write.
  absl::Duration io_timeout = absl::Seconds(30);
};

// Who is on the other end of a request.
struct Peer {
  std::string address;  // "127.0.0.1", "::1"
  bool loopback = false;
  bool tls = false;
  // The client certificate (PEM) the handshake verified against
  // client_ca_file; empty when none was presented.
  std::string verified_certificate_pem;
};

// How a handler answers: Send once, or StartStream and Write until the
// client leaves or the server stops.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void Send(Response response) = 0;
  // An answer without a length (text/event-stream): the head now, the body
  // in pieces; the connection closes after it. False when the client is gone.
  virtual bool StartStream(int status, Headers headers) = 0;
  virtual bool Write(absl::string_view chunk) = 0;
  // Waits up to `timeout`; returns early (true) once the server is stopping.
  virtual bool WaitStopping(absl::Duration timeout) = 0;
};

using Handler = std::function<void(const Request&, const Peer&, ResponseWriter&)>;

class Server {
 public:
  // Binds, loads the TLS files (errors name the file) and starts accepting.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, Handler handler);
  ~Server();  // Shutdown()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  bool tls() const;
  // Connections open now (accepted, not yet closed).
  int connections() const;
  // Stops accepting, ends streams and open connections, joins every thread.
  void Shutdown();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bamctl::http

#endif  // BAMCTL_HTTP_SERVER_H_
