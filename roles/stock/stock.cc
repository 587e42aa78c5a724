#include "roles/stock/stock.h"

namespace bamctl {

extern const StockFileEntry kStockFiles[];
extern const int kStockFilesCount;

std::optional<absl::string_view> StockFile(absl::string_view name) {
  for (int i = 0; i < kStockFilesCount; ++i) {
    if (name == kStockFiles[i].name) {
      return absl::string_view(kStockFiles[i].content, kStockFiles[i].size);
    }
  }
  return std::nullopt;
}

}  // namespace bamctl
