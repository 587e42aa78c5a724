#include "roles/spec/spec_loader.h"

#include <algorithm>

#include "roles/spec/defaults.h"
#include "roles/spec/proto_yaml.h"
#include "roles/spec/validate.h"

namespace bamctl {

LoadedSpec LoadSpec(absl::string_view yaml_text) {
  LoadedSpec loaded;
  DiagnosticSink sink(&loaded.sources);
  ParseYamlInto(yaml_text, &loaded.spec, &loaded.sources, &sink);
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
