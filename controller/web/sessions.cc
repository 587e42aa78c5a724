#include "controller/web/sessions.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "openssl/rand.h"

namespace bamctl {
namespace {

absl::StatusOr<std::string> RandomSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("the system's random source failed; no login made");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

void WebSessions::DropExpiredLocked(std::map<std::string, Entry>& entries, int64_t now) {
  for (auto it = entries.begin(); it != entries.end();) {
    it = it->second.expires_ms <= now ? entries.erase(it) : std::next(it);
  }
  // Still full: the entry closest to expiry goes (a flood of logins cannot
  // grow the map, and pushes out only other logins).
  while (entries.size() >= options_.max_entries) {
    auto oldest = entries.begin();
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it->second.expires_ms < oldest->second.expires_ms) oldest = it;
    }
    entries.erase(oldest);
  }
}

absl::StatusOr<WebSessions::Login> WebSessions::IssueToken(WebUser user) {
  absl::StatusOr<std::string> token = RandomSecret();
  if (!token.ok()) return token.status();
  const int64_t now = clock_->NowMillis();
  Login login{*token, now + options_.token_lifetime_ms};
  absl::MutexLock lock(&mu_);
  DropExpiredLocked(tokens_, now);
  tokens_[Sha256Hex(*token)] = Entry{std::move(user), login.expires_ms};
  return login;
}

absl::StatusOr<std::string> WebSessions::Redeem(absl::string_view token) {
  const int64_t now = clock_->NowMillis();
  absl::StatusOr<std::string> session = RandomSecret();
  if (!session.ok()) return session.status();
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(Sha256Hex(token));
  if (it == tokens_.end()) {
    return absl::UnauthenticatedError(
        "this login token is unknown or was used already; make a new one with `bamctl web login`");
  }
  Entry entry = std::move(it->second);
  tokens_.erase(it);
  if (entry.expires_ms <= now) {
    return absl::UnauthenticatedError(
        "this login token expired; make a new one with `bamctl web login`");
  }
  DropExpiredLocked(sessions_, now);
  entry.expires_ms = now + options_.session_lifetime_ms;
  sessions_[Sha256Hex(*session)] = std::move(entry);
  return *session;
}

std::optional<WebUser> WebSessions::Lookup(absl::string_view session) {
  const int64_t now = clock_->NowMillis();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(Sha256Hex(session));
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires_ms <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

void WebSessions::End(absl::string_view session) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(Sha256Hex(session));
}

}  // namespace bamctl
