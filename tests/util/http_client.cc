#include "tests/util/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "openssl/bio.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"

namespace bamctl::testing {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

absl::Status UsePem(SSL_CTX* ctx, const HttpClientOptions& options) {
  if (!options.ca_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.ca_pem.data(), static_cast<int>(options.ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (ca == nullptr) return absl::InvalidArgumentError("bad CA PEM");
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.cert_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(options.cert_pem.data(), static_cast<int>(options.cert_pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    bio = BIO_new_mem_buf(options.key_pem.data(), static_cast<int>(options.key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    const bool ok = cert != nullptr && key != nullptr && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                    SSL_CTX_use_PrivateKey(ctx, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!ok) return absl::InvalidArgumentError("bad client certificate or key PEM");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> HttpExchange(const std::string& host, int port, const std::string& raw,
                                         const HttpClientOptions& options,
                                         const std::function<bool(const std::string&)>& done) {
  Fd sock;
  sock.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", host));
  }
  const timeval tv = absl::ToTimeval(options.timeout);
  setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", host, ":", port, ": ", strerror(errno)));
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(nullptr, &SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, &SSL_free);
  if (options.tls) {
    ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (absl::Status s = UsePem(ctx.get(), options); !s.ok()) return s;
    ssl.reset(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), sock.fd);
    if (options.session != nullptr && !options.session->empty()) {
      const auto* der = reinterpret_cast<const unsigned char*>(options.session->data());
      SSL_SESSION* offered =
          d2i_SSL_SESSION(nullptr, &der, static_cast<long>(options.session->size()));
      if (offered != nullptr) SSL_set_session(ssl.get(), offered);
      SSL_SESSION_free(offered);
    }
    if (SSL_connect(ssl.get()) != 1) {
      char buf[256] = {0};
      ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
      return absl::UnavailableError(
          absl::StrCat("TLS handshake with ", host, ":", port, ": ", buf));
    }
  }
  const absl::Time deadline = absl::Now() + options.timeout;
  size_t sent = 0;
  while (sent < raw.size()) {
    const int n =
        options.tls
            ? SSL_write(ssl.get(), raw.data() + sent, static_cast<int>(raw.size() - sent))
            : static_cast<int>(send(sock.fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL));
    if (n <= 0) break;  // the server may answer and close before reading it all
    sent += static_cast<size_t>(n);
  }
  std::string got;
  char buf[16384];
  while (absl::Now() < deadline) {
    if (done && done(got)) break;
    const int n = options.tls ? SSL_read(ssl.get(), buf, sizeof(buf))
                              : static_cast<int>(recv(sock.fd, buf, sizeof(buf), 0));
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  if (options.tls && options.resumed != nullptr) {
    *options.resumed = SSL_session_reused(ssl.get()) == 1;
  }
  if (options.tls && options.session != nullptr) {
    SSL_SESSION* kept = SSL_get1_session(ssl.get());
    const int size = kept != nullptr ? i2d_SSL_SESSION(kept, nullptr) : 0;
    options.session->assign(static_cast<size_t>(size > 0 ? size : 0), '\0');
    auto* out = reinterpret_cast<unsigned char*>(options.session->data());
    if (size > 0) i2d_SSL_SESSION(kept, &out);
    SSL_SESSION_free(kept);
  }
  if (got.empty()) {
    return absl::DeadlineExceededError(absl::StrCat("no answer from ", host, ":", port));
  }
  return got;
}

absl::StatusOr<HttpAnswer> ParseHttpAnswer(const std::string& text) {
  const size_t head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return absl::DataLossError(absl::StrCat("no head in: ", text));
  std::vector<std::string> lines = absl::StrSplit(text.substr(0, head_end), "\r\n");
  HttpAnswer answer;
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &answer.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    answer.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  answer.body = text.substr(head_end + 4);
  if (answer.headers["transfer-encoding"] == "chunked") {
    // size in hex CRLF, data CRLF, ..., 0 CRLF CRLF
    std::string body;
    size_t at = 0;
    while (true) {
      const size_t eol = answer.body.find("\r\n", at);
      if (eol == std::string::npos) return absl::DataLossError("a chunk without its size line");
      size_t size = 0;
      if (!absl::SimpleHexAtoi(answer.body.substr(at, eol - at), &size)) {
        return absl::DataLossError("a malformed chunk size");
      }
      if (size == 0) break;
      body += answer.body.substr(eol + 2, size);
      at = eol + 2 + size + 2;
    }
    answer.body = std::move(body);
    return answer;
  }
  auto length = answer.headers.find("content-length");
  size_t n = 0;
  if (length != answer.headers.end() && absl::SimpleAtoi(length->second, &n) &&
      n < answer.body.size()) {
    answer.body.resize(n);
  }
  return answer;
}

absl::StatusOr<HttpAnswer> HttpGet(const std::string& host, int port, const std::string& path,
                                   const HttpClientOptions& options, const std::string& extra) {
  absl::StatusOr<std::string> raw =
      HttpExchange(host, port,
                   absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host, ":", port,
                                "\r\nConnection: close\r\n", extra, "\r\n"),
                   options);
  if (!raw.ok()) return raw.status();
  return ParseHttpAnswer(*raw);
}

absl::StatusOr<HttpAnswer> HttpPostForm(const std::string& host, int port, const std::string& path,
                                        const std::string& body, const HttpClientOptions& options,
                                        const std::string& extra) {
  absl::StatusOr<std::string> raw = HttpExchange(
      host, port,
      absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: ", host, ":", port,
                   "\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: ",
                   body.size(), "\r\n", extra, "\r\n", body),
      options);
  if (!raw.ok()) return raw.status();
  return ParseHttpAnswer(*raw);
}

}  // namespace bamctl::testing
