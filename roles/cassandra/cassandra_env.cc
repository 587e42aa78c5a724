#include "roles/cassandra/cassandra_env.h"

#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace bamctl {

absl::StatusOr<std::string> PatchCassandraEnv(absl::string_view file_name, absl::string_view text,
                                              uint32_t heap_mb, uint32_t jmx_port) {
  if (heap_mb / 4 == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ": a heap of ", heap_mb, " MB leaves no young generation (HEAP_NEWSIZE)"));
  }
  struct Owned {
    absl::string_view name;
    std::string value;
    bool seen = false;
  };
  std::array<Owned, 3> owned = {{
      {"MAX_HEAP_SIZE", absl::StrCat(heap_mb, "M")},
      {"HEAP_NEWSIZE", absl::StrCat(heap_mb / 4, "M")},
      {"JMX_PORT", absl::StrCat(jmx_port)},
  }};
  std::string out;
  out.reserve(text.size() + 64);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == absl::string_view::npos ? text.size() : end + 1;
    const absl::string_view line = text.substr(start, end - start);
    // The line's content and its ending ("\n", "\r\n" or none), kept.
    size_t content_end = line.size();
    if (content_end > 0 && line[content_end - 1] == '\n') --content_end;
    if (content_end > 0 && line[content_end - 1] == '\r') --content_end;
    absl::string_view body = line.substr(0, content_end);
    absl::ConsumePrefix(&body, "#");
    bool replaced = false;
    for (Owned& o : owned) {
      if (absl::StartsWith(body, o.name) && body.substr(o.name.size(), 1) == "=") {
        absl::StrAppend(&out, o.name, "=\"", o.value, "\"", line.substr(content_end));
        o.seen = true;
        replaced = true;
        break;
      }
    }
    if (!replaced) absl::StrAppend(&out, line);
    start = end;
  }
  for (const Owned& o : owned) {
    if (!o.seen) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ": no line starts with ", o.name, "= (or #", o.name,
                       "=); Cassandra 1.x's cassandra-env.sh has one, so this file is not "
                       "one the driver can set ",
                       o.name, " in"));
    }
  }
  return out;
}

}  // namespace bamctl
