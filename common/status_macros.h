#ifndef BAMCTL_COMMON_STATUS_MACROS_H_
#define BAMCTL_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace bamctl {

// Returns `status` with `context` prepended to its message ("context: msg"),
// keeping the code and the payloads (which carry typed detail, e.g. why a
// rollout was refused). OK stays OK.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

// The same for a StatusOr: a value passes through, an error is annotated.
template <typename T>
absl::StatusOr<T> Annotate(absl::StatusOr<T> result, absl::string_view context) {
  if (result.ok()) return result;
  return Annotate(result.status(), context);
}

}  // namespace bamctl

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      return _st;                               \
    }                                           \
  } while (0)

#define BAMCTL_CONCAT_INNER_(a, b) a##b
#define BAMCTL_CONCAT_(a, b) BAMCTL_CONCAT_INNER_(a, b)

// ASSIGN_OR_RETURN(lhs, expr): evaluates an absl::StatusOr<T>; on error
// returns its status, else moves the value into `lhs` (which may declare).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(BAMCTL_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // BAMCTL_COMMON_STATUS_MACROS_H_
