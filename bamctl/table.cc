#include "bamctl/table.h"

#include <algorithm>
#include <cstddef>
#include <utility>

namespace bamctl {
namespace {

// Display width of UTF-8 text: code points, not bytes (wide characters are
// rare enough in names and comments to ignore).
size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string Clean(std::string cell) {
  if (cell.empty()) return "-";
  for (char& c : cell) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return cell;
}

}  // namespace

TextTable::TextTable(std::vector<std::string> header) { AddRow(std::move(header)); }

void TextTable::AddRow(std::vector<std::string> cells) {
  const size_t columns = rows_.empty() ? cells.size() : rows_[0].size();
  cells.resize(columns);
  for (std::string& cell : cells) cell = Clean(std::move(cell));
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render() const {
  std::vector<size_t> widths(rows_[0].size(), 0);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - Width(row[i]) + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace bamctl
