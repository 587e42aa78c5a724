# Writes OUT: a C++ table of the FILES (comma-separated) under DIR. Bytes
# are emitted as hex, not raw string literals: compilers turn CRLF inside a
# raw literal into LF, and several stock files use CRLF.
string(REPLACE "," ";" FILES "${FILES}")
set(_body "// Generated from roles/stock by embed.cmake. Do not edit.\n#include \"roles/stock/stock.h\"\n\nnamespace bamctl {\nnamespace {\n\n")
set(_table "")
set(_count 0)
foreach(f IN LISTS FILES)
  file(READ ${DIR}/${f} _hex HEX)
  file(SIZE ${DIR}/${f} _size)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
  string(APPEND _body "const char kFile${_count}[] = {${_bytes}};\n")
  string(APPEND _table "    {\"${f}\", kFile${_count}, ${_size}},\n")
  math(EXPR _count "${_count} + 1")
endforeach()
string(APPEND _body "\n}  // namespace\n\nextern const StockFileEntry kStockFiles[];\nextern const int kStockFileCount;\n\nconst StockFileEntry kStockFiles[] = {\n${_table}};\nconst int kStockFileCount = ${_count};\n\n}  // namespace bamctl\n")
file(WRITE ${OUT} "${_body}")
