# Writes OUT: a C++ table of the FILES (comma-separated) under DIR as raw
# string literals.
string(REPLACE "," ";" FILES "${FILES}")
set(_body "// Generated from roles/stock by embed.cmake. Do not edit.\n#include \"roles/stock/stock.h\"\n\nnamespace bamctl {\n\nextern const StockFileEntry kStockFiles[];\nextern const int kStockFileCount;\n\nconst StockFileEntry kStockFiles[] = {\n")
set(_count 0)
foreach(f IN LISTS FILES)
  file(READ ${DIR}/${f} _content)
  string(APPEND _body "    {\"${f}\", R\"bamctl_stock(${_content})bamctl_stock\"},\n")
  math(EXPR _count "${_count} + 1")
endforeach()
string(APPEND _body "};\nconst int kStockFileCount = ${_count};\n\n}  // namespace bamctl\n")
file(WRITE ${OUT} "${_body}")
