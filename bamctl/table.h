#ifndef BAMCTL_BAMCTL_TABLE_H_
#define BAMCTL_BAMCTL_TABLE_H_

#include <string>
#include <vector>

namespace bamctl {

// A plain-text table with left-aligned columns two spaces apart, for
// people and for `grep`/`awk`: one line per row, no borders, no trailing
// blanks. Control characters in cells (a comment's newline) become spaces so
// a row stays one line; an empty cell shows as "-" so columns stay countable.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);

  // Adds a row; missing cells are empty, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  // The header and every row, each ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

}  // namespace bamctl

#endif  // BAMCTL_BAMCTL_TABLE_H_
