#ifndef BAMCTL_ROLES_SPEC_PROTO_YAML_H_
#define BAMCTL_ROLES_SPEC_PROTO_YAML_H_

#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "roles/spec/diagnostic.h"

namespace bamctl {

// Reads one YAML document into `message` (cleared first), driven by the
// message's descriptor: YAML keys are proto field names, sequences fill
// repeated fields. Records the position of every field written in `sources`
// and reports every problem to `sink` instead of stopping at the first:
// syntax errors, unknown fields (with the valid ones and a likely intended
// one), duplicate keys, wrong types, out-of-range numbers, empty values.
// A mapping key with no value (`hadoop:`) stands for an empty section.
void ParseYamlInto(absl::string_view yaml_text, google::protobuf::Message* message,
                   SourceMap* sources, DiagnosticSink* sink);

// Writes `message` as block YAML that ParseYamlInto reads back to an equal
// message. Fields come in descriptor order and every scalar is written, so
// the output is deterministic; unset sub-messages are left out. Strings
// that YAML would read as another type ("0", "true", "") are quoted.
std::string ProtoToYaml(const google::protobuf::Message& message);

}  // namespace bamctl

#endif  // BAMCTL_ROLES_SPEC_PROTO_YAML_H_
