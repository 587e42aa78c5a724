#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "controller/store/store.h"
#include "proto/enum_text.h"

// The Store's operations and audit events (the rest is in store.cc).

namespace bamctl {

absl::Status Store::AppendEvent(absl::string_view kind, absl::string_view actor,
                                absl::string_view node, absl::string_view message, int64_t now) {
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "INSERT INTO events (time_ms, kind, actor, "
                                                  "node, message) VALUES (?, ?, ?, ?, ?)"));
  stmt->Bind(1, now).Bind(2, kind).Bind(3, actor).Bind(4, node).Bind(5, message);
  return stmt->Run();
}

absl::StatusOr<std::vector<EventRecord>> Store::ListEvents(int limit) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                  "SELECT id, time_ms, kind, actor, node, message "
                                                  "FROM events ORDER BY id DESC LIMIT ?"));
  stmt->Bind(1, limit);
  std::vector<EventRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.push_back(
        {stmt->Int(0), stmt->Int(1), stmt->Text(2), stmt->Text(3), stmt->Text(4), stmt->Text(5)});
  }
  return out;
}

absl::StatusOr<int64_t> Store::CreateOperation(v1::Operation op, absl::string_view event) {
  v1::StoreWrite write;
  v1::OperationWrite* w = write.mutable_operation();
  *w->mutable_operation() = std::move(op);
  w->set_event(std::string(event));
  w->set_create(true);
  ASSIGN_OR_RETURN(v1::StoreWriteResult result, Write(std::move(write)));
  return result.operation_id();
}

absl::Status Store::UpdateOperation(const v1::Operation& op, absl::string_view event) {
  v1::StoreWrite write;
  v1::OperationWrite* w = write.mutable_operation();
  *w->mutable_operation() = op;
  w->set_event(std::string(event));
  return Write(std::move(write)).status();
}

absl::StatusOr<int64_t> Store::CreateOperationLocked(v1::Operation op, absl::string_view event,
                                                     int64_t now) {
  ASSIGN_OR_RETURN(auto next, SqliteStmt::Prepare(*db_,
                                                  "SELECT COALESCE(MAX(id), 0) + 1 FROM "
                                                  "operations"));
  ASSIGN_OR_RETURN(bool row, next->Step());
  const int64_t id = row ? next->Int(0) : 1;
  op.set_id(id);
  op.set_created_ms(now);
  op.set_updated_ms(now);
  ASSIGN_OR_RETURN(auto insert,
                   SqliteStmt::Prepare(*db_,
                                       "INSERT INTO operations (id, kind, state, definition, "
                                       "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  insert->Bind(1, id)
      .Bind(2, EnumText(op.kind()))
      .Bind(3, EnumText(op.state()))
      .BindBlob(4, op.SerializeAsString());
  insert->Bind(5, now).Bind(6, now);
  RETURN_IF_ERROR(insert->Run());
  if (!event.empty()) {
    RETURN_IF_ERROR(AppendEvent("operation", op.author(), "",
                                absl::StrCat("operation ", id, ": ", event), now));
  }
  return id;
}

absl::Status Store::UpdateOperationLocked(v1::Operation op, absl::string_view event, int64_t now) {
  op.set_updated_ms(now);
  ASSIGN_OR_RETURN(auto update, SqliteStmt::Prepare(*db_,
                                                    "UPDATE operations SET state = ?, definition "
                                                    "= ?, updated_ms = ? WHERE id = ?"));
  update->Bind(1, EnumText(op.state()))
      .BindBlob(2, op.SerializeAsString())
      .Bind(3, op.updated_ms())
      .Bind(4, op.id());
  RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->get()) != 1) {
    return absl::NotFoundError(absl::StrCat("no operation ", op.id()));
  }
  if (!event.empty()) {
    RETURN_IF_ERROR(AppendEvent("operation", op.author(), "",
                                absl::StrCat("operation ", op.id(), ": ", event), now));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Operation> Store::GetOperation(int64_t id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, "SELECT definition FROM operations WHERE id = ?"));
  stmt->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no operation ", id));
  v1::Operation op;
  if (!op.ParseFromString(stmt->Text(0))) {
    return absl::DataLossError(absl::StrCat("operation ", id, " does not parse"));
  }
  return op;
}

absl::StatusOr<std::vector<v1::Operation>> Store::ListOperations(int limit, bool active_only) {
  absl::MutexLock lock(&mu_);
  return ListOperationsLocked(limit, active_only);
}

absl::StatusOr<std::vector<v1::Operation>> Store::ListOperationsLocked(int limit,
                                                                       bool active_only) {
  std::string where;
  if (active_only) {
    std::vector<std::string> states;
    for (v1::OperationState state : kActiveOperationStates) {
      states.push_back(absl::StrCat("'", EnumText(state), "'"));
    }
    where = absl::StrCat(" WHERE state IN (", absl::StrJoin(states, ", "), ")");
  }
  ASSIGN_OR_RETURN(auto stmt,
                   SqliteStmt::Prepare(*db_, absl::StrCat("SELECT definition FROM "
                                                          "operations",
                                                          where, " ORDER BY id DESC LIMIT ?")));
  stmt->Bind(1, limit);
  std::vector<v1::Operation> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    v1::Operation op;
    if (!op.ParseFromString(stmt->Text(0))) {
      return absl::DataLossError("an operation does not parse");
    }
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace bamctl
