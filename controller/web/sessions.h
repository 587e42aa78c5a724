#ifndef BAMCTL_CONTROLLER_WEB_SESSIONS_H_
#define BAMCTL_CONTROLLER_WEB_SESSIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace bamctl {

// Who is logged in to the web page: the name and role of the certificate
// that asked for the login (`bamctl web login`).
struct WebUser {
  std::string name;
  std::string role;  // "operator", "viewer"
};

// Logins to the web page. A browser has no client certificate, so a person
// who has one (through bamctl) asks for a one-time token, and the page
// trades it for a session cookie. Both are 256 random bits; only their
// SHA-256 is kept, so a memory dump or a log gives nothing to replay.
// In memory: a controller restart logs everyone out, which costs one
// `bamctl web login`.
class WebSessions {
 public:
  struct Options {
    int64_t token_lifetime_ms = int64_t{5} * 60 * 1000;       // to open the login link
    int64_t session_lifetime_ms = int64_t{12} * 3600 * 1000;  // then log in again
    size_t max_entries = 1024;                                // of each; the oldest go first
  };
  explicit WebSessions(const Clock* clock) : WebSessions(clock, Options()) {}
  WebSessions(const Clock* clock, Options options) : clock_(clock), options_(options) {}

  struct Login {
    std::string token;
    int64_t expires_ms = 0;
  };
  absl::StatusOr<Login> IssueToken(WebUser user);

  // A session for a token, which is used up whether or not this succeeds;
  // Unauthenticated for an unknown, used or expired token.
  absl::StatusOr<std::string> Redeem(absl::string_view token);

  // The user of a live session.
  std::optional<WebUser> Lookup(absl::string_view session);
  void End(absl::string_view session);

  int64_t session_lifetime_ms() const { return options_.session_lifetime_ms; }

 private:
  struct Entry {
    WebUser user;
    int64_t expires_ms = 0;
  };
  void DropExpiredLocked(std::map<std::string, Entry>& entries, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* clock_;
  const Options options_;
  absl::Mutex mu_;
  std::map<std::string, Entry> tokens_ ABSL_GUARDED_BY(mu_);    // by SHA-256
  std::map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);  // by SHA-256
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_WEB_SESSIONS_H_
