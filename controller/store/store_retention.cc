// The Store's retention: pruning old events and versions, and the errors
// for a version pruned (the rest is in store.cc).
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "controller/store/store.h"

namespace bamctl {
namespace {

// " (versions 1 to 7)"; a list when versions in use were skipped (or were
// pruned before), a range when it would be long.
std::string VersionsText(const std::vector<int64_t>& versions) {
  if (versions.size() == 1) return absl::StrCat(" (version ", versions.front(), ")");
  const bool contiguous =
      versions.back() - versions.front() + 1 == static_cast<int64_t>(versions.size());
  if (!contiguous && versions.size() <= 10) {
    return absl::StrCat(" (versions ", absl::StrJoin(versions, ", "), ")");
  }
  return absl::StrCat(" (versions ", versions.front(), " to ", versions.back(),
                      contiguous ? "" : ", but not those in use", ")");
}

std::string Count(int64_t n, absl::string_view noun) {
  return absl::StrCat(n, " ", noun, n == 1 ? "" : "s");
}

}  // namespace

absl::Status Store::MissingVersionLocked(int64_t version) {
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  if (current == 0) {
    return absl::NotFoundError(
        absl::StrCat("no version ", version, ": no desired state has been applied yet"));
  }
  if (version >= 1 && version < current) {
    ASSIGN_OR_RETURN(int64_t oldest,
                     QueryInt(*db_, "SELECT coalesce(min(version), 0) FROM spec_versions"));
    return absl::NotFoundError(absl::StrCat(
        "version ", version,
        " was pruned by the controller's retention (--retain_versions); the oldest version kept "
        "is ",
        oldest, " (bamctl desired-state history lists those kept)"));
  }
  return absl::NotFoundError(
      absl::StrCat("no version ", version, "; the current version is ", current));
}

absl::StatusOr<std::vector<int64_t>> Store::PruneVersionsLocked(const RetentionPolicy& policy) {
  if (policy.max_versions == 0) return std::vector<int64_t>();
  ASSIGN_OR_RETURN(int64_t current, CurrentVersionLocked());
  // Versions are numbered without gaps up to the current one, which is
  // never pruned: the newest max_versions are those above this.
  const int64_t newest_prunable = current - policy.max_versions;
  if (newest_prunable < 1) return std::vector<int64_t>();

  // Versions unfinished operations name (an auto-rollout waits for its
  // version). Few rows: only operations not finished are read.
  // A damaged row fails the pass: its version cannot be known, so no
  // version is pruned rather than its.
  ASSIGN_OR_RETURN(std::vector<v1::Operation> active,
                   ListOperationsLocked(std::numeric_limits<int>::max(), /*active_only=*/true));
  std::set<int64_t> in_use;
  for (const v1::Operation& op : active) {
    if (op.version() > 0) in_use.insert(op.version());
  }

  // The oldest candidates that no node reports holding; the LIMIT leaves
  // room for those in_use skips.
  ASSIGN_OR_RETURN(auto select, SqliteStmt::Prepare(*db_,
                                                    "SELECT version FROM spec_versions WHERE "
                                                    "version <= ? AND version NOT IN (SELECT "
                                                    "applied_version FROM nodes) ORDER BY "
                                                    "version LIMIT ?"));
  select->Bind(1, newest_prunable)
      .Bind(2, policy.versions_per_pass + static_cast<int64_t>(in_use.size()));
  std::vector<int64_t> pruned;
  while (static_cast<int64_t>(pruned.size()) < policy.versions_per_pass) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    if (!in_use.contains(select->Int(0))) pruned.push_back(select->Int(0));
  }

  // Children first (foreign keys): a kept version's reference to the one it
  // restored, then the plans. The host list is a column of the version row.
  ASSIGN_OR_RETURN(auto unlink,
                   SqliteStmt::Prepare(
                       *db_, "UPDATE spec_versions SET rollback_of = NULL WHERE rollback_of = ?"));
  ASSIGN_OR_RETURN(auto plans, SqliteStmt::Prepare(*db_, "DELETE FROM plans WHERE version = ?"));
  ASSIGN_OR_RETURN(auto version,
                   SqliteStmt::Prepare(*db_, "DELETE FROM spec_versions WHERE version = ?"));
  for (int64_t v : pruned) {
    for (SqliteStmt* stmt : {unlink.get(), plans.get(), version.get()}) {
      stmt->Bind(1, v);
      RETURN_IF_ERROR(stmt->Run());
      RETURN_IF_ERROR(stmt->Reset());
    }
  }
  return pruned;
}

absl::StatusOr<int64_t> Store::PruneEventsLocked(const RetentionPolicy& policy, bool appending) {
  int64_t deleted = 0;
  if (policy.max_event_age_ms > 0) {
    // Among the oldest events by id only: ids follow time (a step of the
    // wall clock aside), so a pass reads no more rows than it may delete.
    ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                    "DELETE FROM events WHERE id IN (SELECT id "
                                                    "FROM events ORDER BY id LIMIT ?) AND "
                                                    "time_ms < ?"));
    stmt->Bind(1, policy.events_per_pass).Bind(2, clock_->NowMillis() - policy.max_event_age_ms);
    RETURN_IF_ERROR(stmt->Run());
    deleted += sqlite3_changes(db_->get());
  }
  if (policy.max_events > 0 && deleted < policy.events_per_pass) {
    // Event ids have no gaps above the oldest but those a wall clock step
    // left to the age limit (AUTOINCREMENT; only pruning deletes, oldest
    // first), so the span of ids counts the events, or a few more.
    ASSIGN_OR_RETURN(auto range, SqliteStmt::Prepare(*db_,
                                                     "SELECT coalesce(min(id), 0), "
                                                     "coalesce(max(id), 0) FROM events"));
    ASSIGN_OR_RETURN(bool row, range->Step());
    const int64_t oldest = row ? range->Int(0) : 0;
    const int64_t newest = row ? range->Int(1) : 0;
    const int64_t span = newest == 0 ? 0 : newest - oldest + 1;
    // The retention event this pass appends is one of the max_events kept.
    const bool appends = appending || deleted > 0 || span > policy.max_events;
    if (appends && span >= policy.max_events) {
      ASSIGN_OR_RETURN(auto stmt, SqliteStmt::Prepare(*db_,
                                                      "DELETE FROM events WHERE id IN (SELECT "
                                                      "id FROM events WHERE id <= ? ORDER BY id "
                                                      "LIMIT ?)"));
      stmt->Bind(1, newest - policy.max_events + 1).Bind(2, policy.events_per_pass - deleted);
      RETURN_IF_ERROR(stmt->Run());
      deleted += sqlite3_changes(db_->get());
    }
  }
  return deleted;
}

absl::StatusOr<PruneResult> Store::Prune(const RetentionPolicy& policy) {
  if (policy.max_events < 0 || policy.max_event_age_ms < 0 || policy.max_versions < 0 ||
      policy.events_per_pass < 1 || policy.versions_per_pass < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retention limits must be >= 0 (0: no limit) and per-pass bounds >= 1; got max_events ",
        policy.max_events, ", max_event_age_ms ", policy.max_event_age_ms, ", max_versions ",
        policy.max_versions, ", events_per_pass ", policy.events_per_pass, ", versions_per_pass ",
        policy.versions_per_pass));
  }
  absl::MutexLock lock(&mu_);
  Transaction tx(*db_);
  RETURN_IF_ERROR(tx.Begin());
  ASSIGN_OR_RETURN(std::vector<int64_t> versions, PruneVersionsLocked(policy));
  ASSIGN_OR_RETURN(int64_t events, PruneEventsLocked(policy, !versions.empty()));
  PruneResult result;
  result.events = events;
  result.versions = static_cast<int64_t>(versions.size());
  result.more = events >= policy.events_per_pass || result.versions >= policy.versions_per_pass;
  if (events == 0 && versions.empty()) return result;  // nothing changed: the rollback is a no-op
  RETURN_IF_ERROR(AppendEvent("retention", "", "",
                              absl::StrCat("pruned ", Count(events, "event"), " and ",
                                           Count(static_cast<int64_t>(versions.size()), "version"),
                                           versions.empty() ? "" : VersionsText(versions)),
                              clock_->NowMillis()));
  RETURN_IF_ERROR(tx.Commit());
  return result;
}

}  // namespace bamctl
