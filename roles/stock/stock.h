#ifndef BAMCTL_ROLES_STOCK_STOCK_H_
#define BAMCTL_ROLES_STOCK_STOCK_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace bamctl {

struct StockFileEntry {
  const char* name;     // "wso2-bam/cassandra.yaml"
  const char* content;  // not NUL-terminated
  size_t size;
};

// The stock copy of a shipped file by its name under roles/stock/, or
// nullopt for names not embedded.
std::optional<absl::string_view> StockFile(absl::string_view name);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_STOCK_STOCK_H_
