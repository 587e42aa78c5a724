#include "common/status_macros.h"

#include "spdlog/spdlog.h"

namespace bamctl {

void WarnNotOk(const absl::Status& status, absl::string_view context) {
  spdlog::warn("{}: {}", std::string(context), status.ToString());
}

}  // namespace bamctl
