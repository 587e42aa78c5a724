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
  v1::StoreWrite write;
  v1::TokenWrite* w = write.mutable_add_token();
  w->set_token_hash(token_hash);
  w->set_node(token.node);
  w->set_created_by(token.created_by);
  w->set_created_ms(token.created_ms);
  w->set_expires_ms(token.expires_ms);
  return Write(std::move(write)).status();
}

absl::StatusOr<std::string> Store::RedeemNodeToken(const std::string& token_hash) {
  v1::StoreWrite write;
  write.set_redeem_token_hash(token_hash);
  ASSIGN_OR_RETURN(v1::StoreWriteResult result, Write(std::move(write)));
  return result.node();
}

absl::Status Store::RecordEvent(absl::string_view kind, absl::string_view actor,
                                absl::string_view node, absl::string_view message) {
  v1::StoreWrite write;
  v1::EventWrite* w = write.mutable_event();
  w->set_kind(std::string(kind));
  w->set_actor(std::string(actor));
  w->set_node(std::string(node));
  w->set_message(std::string(message));
  return Write(std::move(write)).status();
}

absl::Status Store::AddNodeTokenLocked(const v1::TokenWrite& token, int64_t used_ms,
                                       int64_t event_ms) {
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO node_tokens (token_hash, node, "
                                                  "created_by, created_ms, expires_ms, used_ms) "
                                                  "VALUES (?, ?, ?, ?, ?, ?)"));
  stmt->Bind(1, token.token_hash())
      .Bind(2, token.node())
      .Bind(3, token.created_by())
      .Bind(4, token.created_ms())
      .Bind(5, token.expires_ms())
      .Bind(6, used_ms);
  RETURN_IF_ERROR(stmt->Run());
  if (event_ms == 0) return absl::OkStatus();
  return AppendEvent("token", token.created_by(), token.node(),
                     absl::StrCat("enrolment token created, expires ", Utc(token.expires_ms())),
                     event_ms);
}

absl::StatusOr<std::string> Store::RedeemNodeTokenLocked(const std::string& token_hash,
                                                         int64_t now) {
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
  RETURN_IF_ERROR(AppendEvent("enrol", node, node, "enrolment token used", now));
  return node;
}

}  // namespace bamctl
