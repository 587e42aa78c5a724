#include "roles/driver/render_context.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "roles/stock/stock.h"

namespace bamctl {

absl::StatusOr<std::string> RedactingSecretSource::Read(absl::string_view) const {
  return std::string(kRedacted);
}

std::string RenderContext::Path(absl::string_view host_path) const {
  return absl::StrCat(root, host_path);
}

absl::StatusOr<std::optional<std::string>> RenderContext::ReadHostFile(
    absl::string_view path) const {
  if (base == nullptr) return std::optional<std::string>();
  return base->Read(path);
}

absl::StatusOr<std::string> RenderContext::ReadShippedFile(absl::string_view path,
                                                           absl::string_view stock_name) const {
  absl::StatusOr<std::optional<std::string>> current = ReadHostFile(path);
  if (!current.ok()) return current.status();
  if (current->has_value()) return **current;
  if (fall_back_to_stock) {
    if (std::optional<absl::string_view> stock = StockFile(stock_name)) return std::string(*stock);
  }
  return absl::NotFoundError(absl::StrCat(path, " does not exist; it ships with the product (",
                                          stock_name, "): is the product installed there?"));
}

}  // namespace bamctl
