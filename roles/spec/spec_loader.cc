#include "roles/spec/spec_loader.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_format.h"
#include "common/utf8.h"
#include "roles/spec/defaults.h"
#include "roles/spec/proto_yaml.h"
#include "roles/spec/validate.h"

namespace bamctl {

LoadedSpec LoadSpec(absl::string_view yaml_text) {
  LoadedSpec loaded;
  DiagnosticSink sink(&loaded.sources);
  if (yaml_text.size() > kMaxSpecBytes) {
    sink.ErrorAt("", {},
                 absl::StrFormat("the spec is %d bytes; at most %d (4 MiB) are accepted",
                                 yaml_text.size(), kMaxSpecBytes));
    loaded.diagnostics = sink.Take();
    return loaded;
  }
  // Checked before YAML parsing, which would report a bad byte as some other
  // error or take it into a value: the text is refused with where it breaks.
  if (std::optional<size_t> bad = FirstInvalidUtf8(yaml_text)) {
    const absl::string_view before = yaml_text.substr(0, *bad);
    const size_t line_start = before.rfind('\n');
    SourcePos pos;
    pos.line = static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1;
    pos.column =
        static_cast<int>(line_start == absl::string_view::npos ? *bad + 1 : *bad - line_start);
    sink.ErrorAt("", pos,
                 absl::StrFormat("not UTF-8 text: invalid byte 0x%02x at offset %d; a spec is "
                                 "UTF-8 YAML",
                                 static_cast<unsigned char>(yaml_text[*bad]), *bad));
    loaded.diagnostics = sink.Take();
    return loaded;
  }
  ParseYamlInto(yaml_text, &loaded.spec, &loaded.sources, &sink);
  if (loaded.spec.nodes_size() > kMaxSpecNodes) {
    sink.ErrorAt("nodes", loaded.sources.Lookup("nodes"),
                 absl::StrFormat("%d nodes; a cluster spec may have at most %d",
                                 loaded.spec.nodes_size(), kMaxSpecNodes));
  }
  loaded.diagnostics = sink.Take();
  if (!loaded.ok()) return loaded;
  ApplyDefaults(&loaded.spec);
  loaded.diagnostics = ValidateSpec(loaded.spec, loaded.sources);
  std::stable_sort(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::pair(a.pos.line, a.pos.column) <
                            std::pair(b.pos.line, b.pos.column);
                   });
  return loaded;
}

}  // namespace bamctl
