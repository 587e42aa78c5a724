#ifndef BAMCTL_COMMON_STATUS_LOG_H_
#define BAMCTL_COMMON_STATUS_LOG_H_

// WARN_IF_ERROR: for best-effort calls whose failure the caller cannot act
// on (marking a node disconnected, saving a progress message the next pass
// writes again): the failure is logged with context, never dropped
// silently with (void). As Kudu's WARN_NOT_OK. Header-only; users link
// spdlog.

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

// WARN_IF_ERROR(expr, format, args...): evaluates `expr` (an absl::Status,
// bound to a const reference: a temporary lives on, a named one is not
// copied); when it is not OK, logs a warning "CONTEXT: STATUS" where
// CONTEXT is spdlog's `format` applied to `args`.
#define WARN_IF_ERROR(expr, ...)                                             \
  do {                                                                       \
    if (const absl::Status& _warn_st = (expr); !_warn_st.ok()) {             \
      spdlog::warn("{}: {}", fmt::format(__VA_ARGS__), _warn_st.ToString()); \
    }                                                                        \
  } while (0)

#endif  // BAMCTL_COMMON_STATUS_LOG_H_
