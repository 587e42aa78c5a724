#ifndef BAMCTL_COMMON_STATUS_MACROS_H_
#define BAMCTL_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace bamctl {

// Returns `status` with `context` prepended to its message ("context: msg"),
// keeping the code. OK stays OK.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

// Logs a warning "context: status" when `status` is not OK, for best-effort
// calls whose failure the caller can live with (Kudu's WARN_NOT_OK); use
// through WARN_NOT_OK rather than discarding a status with (void).
void WarnNotOk(const absl::Status& status, absl::string_view context);

}  // namespace bamctl

#define WARN_NOT_OK(expr, context)              \
  do {                                          \
    if (absl::Status _st = (expr); !_st.ok()) { \
      ::bamctl::WarnNotOk(_st, (context));      \
    }                                           \
  } while (0)

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
