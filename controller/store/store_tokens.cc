// The Store's enrolment tokens (the rest is in store.cc).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "controller/store/store.h"

namespace bamctl {
namespace {

std::string Utc(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace

absl::Status Store::AddNodeToken(const std::string& token_hash, const NodeTokenRecord& token) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO node_tokens (token_hash, node, "
                                                  "created_by, created_ms, expires_ms) "
                                                  "VALUES (?, ?, ?, ?, ?)"));
  stmt->Bind(1, token_hash)
      .Bind(2, token.node)
      .Bind(3, token.created_by)
      .Bind(4, token.created_ms)
      .Bind(5, token.expires_ms);
  RETURN_IF_ERROR(stmt->Run());
  RETURN_IF_ERROR(
      AppendEvent("token", token.created_by, token.node,
                  absl::StrCat("enrolment token created, expires ", Utc(token.expires_ms))));
  return tx.Commit();
}

absl::StatusOr<std::string> Store::RedeemNodeToken(const std::string& token_hash) {
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(auto find, SqliteStmt::Prepare(*db_,
                                                  "SELECT node, expires_ms, used_ms FROM "
                                                  "node_tokens WHERE token_hash = ?"));
  find->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool found, find->Step());
  if (!found) {
    return absl::NotFoundError("unknown enrolment token (bamctl node token create NAME makes one)");
  }
  const std::string node = find->Text(0);
  const int64_t expires_ms = find->Int(1);
  const int64_t used_ms = find->Int(2);
  const int64_t now = clock_->NowMillis();
  if (used_ms != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("this enrolment token was used at ", Utc(used_ms), "; tokens are single use"));
  }
  if (now >= expires_ms) {
    return absl::FailedPreconditionError(
        absl::StrCat("this enrolment token expired at ", Utc(expires_ms)));
  }
  ASSIGN_OR_RETURN(auto use, SqliteStmt::Prepare(*db_,
                                                 "UPDATE node_tokens SET used_ms = ? WHERE "
                                                 "token_hash = ?"));
  use->Bind(1, now).Bind(2, token_hash);
  RETURN_IF_ERROR(use->Run());
  RETURN_IF_ERROR(AppendEvent("enrol", node, node, "enrolment token used"));
  RETURN_IF_ERROR(tx.Commit());
  return node;
}

absl::Status Store::RecordEvent(absl::string_view kind, absl::string_view actor,
                                absl::string_view node, absl::string_view message) {
  absl::MutexLock lock(&mu_);
  return AppendEvent(kind, actor, node, message);
}

}  // namespace bamctl
