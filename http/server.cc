#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <list>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/openssl_error.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"

namespace bamctl::http {
namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// "host:port" or "[v6]:port" into getaddrinfo's two strings.
absl::StatusOr<std::pair<std::string, std::string>> SplitListen(absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", address, "' is not HOST:PORT (127.0.0.1:9443, [::1]:9443, :9443)"));
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(std::move(host), absl::StrCat(port));
}

absl::StatusOr<int> OpenListener(absl::string_view address) {
  ASSIGN_OR_RETURN(const auto host_port, SplitListen(address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host_port.first.empty() ? nullptr : host_port.first.c_str(),
                             host_port.second.c_str(), &hints, &found);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address, "': ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  std::string last_error = "no address";
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = strerror(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0) return fd;
    last_error = strerror(errno);
    close(fd);
  }
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", last_error));
}

absl::StatusOr<SslCtxPtr> MakeSslContext(const ServerOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("a TLS certificate file needs its key file, and back");
  }
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", DrainOpenSslErrors()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.cert_file, ": not a usable certificate: ", DrainOpenSslErrors()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.key_file, ": not a usable private key: ", DrainOpenSslErrors()));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.key_file, " is not the key of ", options.cert_file));
  }
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.client_ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.client_ca_file, ": not a usable CA: ", DrainOpenSslErrors()));
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx.get(), names);
    // Optional: a browser without a certificate logs in with a token.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    // Resuming a session (browsers do, on every new connection) needs this
    // with client verification, or OpenSSL fails the handshake ("session id
    // context uninitialized").
    static constexpr unsigned char kSessionContext[] = "bamctl-http";
    SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof(kSessionContext) - 1);
  }
  return ctx;
}

bool IsLoopback(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

std::string AddressText(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof(buf));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

void SetTimeouts(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Handler handler, int listen_fd, SslCtxPtr ssl)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        listen_fd_(listen_fd),
        wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        ssl_(std::move(ssl)) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~Impl() {
    Shutdown();
    close(listen_fd_);
    close(wake_fd_);
  }

  int port() const { return port_; }
  bool tls() const { return ssl_ != nullptr; }
  int connections() {
    absl::MutexLock lock(&mu_);
    int open = 0;
    for (const Connection& c : connections_) open += c.done ? 0 : 1;
    return open;
  }

  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
      // Blocked reads and writes of every connection return at once.
      for (Connection& c : connections_) shutdown(c.fd, SHUT_RDWR);
    }
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
    accept_thread_.join();
    std::list<Connection> left;
    {
      absl::MutexLock lock(&mu_);
      left.swap(connections_);
    }
    for (Connection& c : left) c.thread.join();
  }

  bool WaitStopping(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), timeout);
    return stopping_;
  }

 private:
  struct Connection {
    int fd = -1;
    bool done = false;
    std::thread thread;
  };

  class Writer;

  void AcceptLoop() {
    NameThisThread("http-accept");
    while (true) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[1].revents != 0) break;
      if ((fds[0].revents & POLLIN) == 0) continue;
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
      if (fd < 0) continue;
      SetTimeouts(fd, options_.io_timeout);
      absl::MutexLock lock(&mu_);
      ReapLocked();
      if (stopping_ || static_cast<int>(connections_.size()) >= options_.max_connections) {
        close(fd);  // over the limit: the client retries; a TLS alert would cost a handshake
        continue;
      }
      Peer peer;
      peer.address = AddressText(addr);
      peer.loopback = IsLoopback(addr);
      peer.tls = tls();
      connections_.push_back(Connection{fd, false, {}});
      auto it = std::prev(connections_.end());
      it->thread = std::thread([this, it, peer]() mutable { Serve(it, std::move(peer)); });
    }
  }

  // Joins the threads of connections that ended.
  void ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->done) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Serve(std::list<Connection>::iterator self, Peer peer);

  const ServerOptions options_;
  const Handler handler_;
  const int listen_fd_;
  const int wake_fd_;
  const SslCtxPtr ssl_;
  int port_ = 0;
  std::thread accept_thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::list<Connection> connections_ ABSL_GUARDED_BY(mu_);
};

// One connection's reads and writes, plain or TLS.
class Server::Impl::Writer : public ResponseWriter {
 public:
  Writer(Impl* server, int fd, SSL* ssl) : server_(server), fd_(fd), ssl_(ssl) {}

  // Reads what is there (blocking up to the timeout); 0 at the end.
  ssize_t Read(char* buf, size_t size) {
    if (ssl_ != nullptr) {
      const int n = SSL_read(ssl_, buf, static_cast<int>(size));
      return n > 0 ? n : 0;
    }
    while (true) {
      const ssize_t n = recv(fd_, buf, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n > 0 ? n : 0;
    }
  }

  bool WriteAll(absl::string_view data) {
    while (!data.empty()) {
      ssize_t n = 0;
      if (ssl_ != nullptr) {
        const int w = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        n = w > 0 ? w : -1;
      } else {
        n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) {
        broken_ = true;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void Begin(bool head_only, bool keep_alive) {
    head_only_ = head_only;
    keep_alive_ = keep_alive;
    answered_ = false;
    streamed_ = false;
  }

  void Send(Response response) override {
    if (answered_) return;
    answered_ = true;
    std::string out = SerializeHead(response.status, response.headers,
                                    static_cast<long long>(response.body.size()), keep_alive_);
    if (!head_only_) out += response.body;
    WriteAll(out);
  }

  bool StartStream(int status, Headers headers) override {
    if (answered_) return false;
    answered_ = true;
    streamed_ = true;
    return WriteAll(SerializeHead(status, headers, -1, false));
  }

  bool Write(absl::string_view chunk) override {
    if (!streamed_ || broken_ || head_only_) return false;
    return WriteAll(chunk);
  }

  bool WaitStopping(absl::Duration timeout) override { return server_->WaitStopping(timeout); }

  bool answered() const { return answered_; }
  bool reusable() const { return keep_alive_ && !streamed_ && !broken_; }

 private:
  Impl* const server_;
  const int fd_;
  SSL* const ssl_;
  bool head_only_ = false;
  bool keep_alive_ = false;
  bool answered_ = false;
  bool streamed_ = false;
  bool broken_ = false;
};

void Server::Impl::Serve(std::list<Connection>::iterator self, Peer peer) {
  NameThisThread("http-conn");
  const int fd = self->fd;
  SslPtr ssl;
  bool ok = true;
  if (ssl_ != nullptr) {
    ssl.reset(SSL_new(ssl_.get()));
    ok = ssl != nullptr && SSL_set_fd(ssl.get(), fd) == 1 && SSL_accept(ssl.get()) == 1;
    if (ok) {
      X509* cert = SSL_get0_peer_certificate(ssl.get());
      if (cert != nullptr && SSL_get_verify_result(ssl.get()) == X509_V_OK) {
        BIO* bio = BIO_new(BIO_s_mem());
        if (bio != nullptr && PEM_write_bio_X509(bio, cert) == 1) {
          char* data = nullptr;
          const long len = BIO_get_mem_data(bio, &data);
          peer.verified_certificate_pem.assign(data, static_cast<size_t>(len));
        }
        BIO_free(bio);
      }
    }
    ERR_clear_error();
  }
  Writer writer(this, fd, ssl.get());
  std::string buffer;
  char chunk[16 * 1024];
  while (ok) {
    ParseResult parsed = ParseRequest(buffer);
    if (parsed.state == ParseResult::State::kIncomplete) {
      const ssize_t n = writer.Read(chunk, sizeof(chunk));
      if (n <= 0) break;  // closed, timed out, or the server stops
      buffer.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (parsed.state == ParseResult::State::kRefused) {
      writer.Begin(false, false);
      writer.Send(Response::Text(parsed.status, parsed.error));
      break;
    }
    const Request& request = parsed.request;
    writer.Begin(request.method == "HEAD", request.KeepAlive());
    handler_(request, peer, writer);
    if (!writer.answered()) writer.Send(Response::Text(500, "the handler gave no answer"));
    if (!writer.reusable()) break;
    buffer.erase(0, parsed.consumed);
    absl::MutexLock lock(&mu_);
    if (stopping_) break;
  }
  if (ssl != nullptr && ok) SSL_shutdown(ssl.get());
  ssl.reset();
  ERR_clear_error();
  absl::MutexLock lock(&mu_);
  shutdown(fd, SHUT_RDWR);
  close(fd);
  self->fd = -1;
  self->done = true;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options, Handler handler) {
  // OpenSSL writes with write(2): a client that leaves mid-answer must not
  // kill the daemon with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  SslCtxPtr ssl;
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    ASSIGN_OR_RETURN(ssl, MakeSslContext(options));
  }
  ASSIGN_OR_RETURN(const int fd, OpenListener(options.listen));
  return std::unique_ptr<Server>(new Server(
      std::make_unique<Impl>(std::move(options), std::move(handler), fd, std::move(ssl))));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
int Server::port() const { return impl_->port(); }
bool Server::tls() const { return impl_->tls(); }
int Server::connections() const { return impl_->connections(); }
void Server::Shutdown() { impl_->Shutdown(); }

}  // namespace bamctl::http
