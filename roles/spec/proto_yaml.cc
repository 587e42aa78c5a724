#include "roles/spec/proto_yaml.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace bamctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

SourcePos PosOf(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

// The documents of a YAML stream: where each starts and whether its root
// is null (an empty document, as a trailing "---" leaves). Only events, no
// nodes: YAML::LoadAll cannot be used, because yaml-cpp 0.7's parser returns
// an empty document without consuming anything, forever, for a tag or an
// anchor followed by ',' at the top level ("!x," hung bamctl and the
// controller; found by fuzz/spec_fuzz, fixed upstream after 0.8). A document
// that starts where the one before it did is that loop.
class DocumentScan : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;
    YAML::Mark root;  // the root node's mark
    bool null = true;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override {
    documents.push_back({mark, mark, true});
    has_root_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Root(mark, true); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Root(mark, false); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Root(mark, false);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Root(mark, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Root(mark, false);
  }
  void OnMapEnd() override {}

 private:
  void Root(const YAML::Mark& mark, bool null) {
    if (has_root_) return;
    has_root_ = true;
    documents.back().root = mark;
    documents.back().null = null;
  }
  bool has_root_ = false;
};

// Scans `text` up to its second non-empty document (enough to refuse it).
// Throws YAML::Exception on a syntax error, as YAML::Load does.
std::vector<DocumentScan::Document> ScanDocuments(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentScan scan;
  int non_null = 0;
  while (non_null < 2 && parser.HandleNextDocument(scan)) {
    const std::vector<DocumentScan::Document>& docs = scan.documents;
    if (docs.size() >= 2 && docs.back().start.pos == docs[docs.size() - 2].start.pos) {
      throw YAML::ParserException(docs.back().start, "the parser cannot go on from here");
    }
    if (!docs.back().null) ++non_null;
  }
  return scan.documents;
}

std::string FieldNames(const Descriptor& d) {
  std::vector<std::string> names;
  names.reserve(d.field_count());
  for (int i = 0; i < d.field_count(); ++i) names.push_back(d.field(i)->name());
  return absl::StrJoin(names, ", ");
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The field name closest to a misspelt key, if one is close enough to be a
// likely typo.
std::string ClosestField(const Descriptor& d, absl::string_view key) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, key.size() / 3) + 1;
  for (int i = 0; i < d.field_count(); ++i) {
    size_t distance = EditDistance(absl::AsciiStrToLower(key), d.field(i)->name());
    if (distance < best_distance) {
      best_distance = distance;
      best = d.field(i)->name();
    }
  }
  return best;
}

absl::string_view KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
}

class Reader {
 public:
  Reader(SourceMap* sources, DiagnosticSink* sink) : sources_(sources), sink_(sink) {}

  void ReadMessage(const YAML::Node& node, const std::string& path, Message* msg) {
    const Descriptor& desc = *msg->GetDescriptor();
    if (node.IsNull()) return;  // `section:` with nothing under it
    if (!node.IsMap()) {
      sink_->ErrorAt(path, PosOf(node.Mark()),
                     absl::StrCat("expected a mapping with fields (", FieldNames(desc), "), got ",
                                  KindOf(node)));
      return;
    }
    std::set<std::string> seen;
    // Range-for keeps the iterator's value proxy alive; `it->first` would
    // dangle once the full expression ends.
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (!key.IsScalar()) {
        sink_->ErrorAt(path, PosOf(key.Mark()), "mapping keys must be plain field names");
        continue;
      }
      const std::string& name = key.Scalar();
      std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
      SourcePos key_pos = PosOf(key.Mark());
      if (!seen.insert(name).second) {
        sink_->ErrorAt(field_path, key_pos,
                       absl::StrCat("field \"", name, "\" is given twice; keep one"));
        continue;
      }
      const FieldDescriptor* field = desc.FindFieldByName(name);
      if (field == nullptr) {
        std::string msg = absl::StrCat("unknown field \"", name, "\"; ");
        if (std::string close = ClosestField(desc, name); !close.empty()) {
          absl::StrAppend(&msg, "did you mean \"", close, "\"? ");
        }
        absl::StrAppend(&msg, "valid fields", path.empty() ? "" : absl::StrCat(" in ", path), ": ",
                        FieldNames(desc));
        sources_->Record(field_path, key_pos);
        sink_->ErrorAt(field_path, key_pos, msg);
        continue;
      }
      ReadField(value, field_path, key_pos, field, msg);
    }
  }

 private:
  void ReadField(const YAML::Node& value, const std::string& path, SourcePos key_pos,
                 const FieldDescriptor* field, Message* msg) {
    const Reflection& refl = *msg->GetReflection();
    if (field->is_repeated()) {
      sources_->Record(path, key_pos);
      if (value.IsNull()) return;  // `roles:` with nothing: an empty list
      if (!value.IsSequence()) {
        sink_->ErrorAt(path, PosOf(value.Mark()),
                       absl::StrCat("expected a list, got ", KindOf(value)));
        return;
      }
      for (size_t i = 0; i < value.size(); ++i) {
        const YAML::Node element = value[i];
        std::string element_path = absl::StrCat(path, "[", i, "]");
        sources_->Record(element_path, PosOf(element.Mark()));
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          ReadMessage(element, element_path, refl.AddMessage(msg, field));
        } else {
          ReadScalar(element, element_path, field, msg);
        }
      }
      return;
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      sources_->Record(path, key_pos);
      ReadMessage(value, path, refl.MutableMessage(msg, field));
      return;
    }
    sources_->Record(path, value.IsNull() ? key_pos : PosOf(value.Mark()));
    ReadScalar(value, path, field, msg);
  }

  template <typename T>
  bool ParseInteger(const YAML::Node& value, const std::string& path, T* out) {
    if (absl::SimpleAtoi(value.Scalar(), out)) return true;
    sink_->ErrorAt(
        path, PosOf(value.Mark()),
        absl::StrCat("expected ", std::is_signed_v<T> ? "an integer" : "a non-negative integer",
                     " from ", std::numeric_limits<T>::min(), " to ", std::numeric_limits<T>::max(),
                     ", got \"", value.Scalar(), "\""));
    return false;
  }

  void ReadScalar(const YAML::Node& value, const std::string& path, const FieldDescriptor* field,
                  Message* msg) {
    const Reflection& refl = *msg->GetReflection();
    if (value.IsNull()) {
      sink_->ErrorAt(path, sources_->Lookup(path),
                     "has no value; give one or leave the field out for its default");
      return;
    }
    if (!value.IsScalar()) {
      sink_->ErrorAt(path, PosOf(value.Mark()),
                     absl::StrCat("expected a single value, got ", KindOf(value)));
      return;
    }
    const bool repeated = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        repeated ? refl.AddString(msg, field, value.Scalar())
                 : refl.SetString(msg, field, value.Scalar());
        return;
      case FieldDescriptor::CPPTYPE_BOOL: {
        std::string text = absl::AsciiStrToLower(value.Scalar());
        if (text != "true" && text != "false") {
          sink_->ErrorAt(path, PosOf(value.Mark()),
                         absl::StrCat("expected true or false, got \"", value.Scalar(), "\""));
          return;
        }
        repeated ? refl.AddBool(msg, field, text == "true")
                 : refl.SetBool(msg, field, text == "true");
        return;
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v;
        if (ParseInteger(value, path, &v)) {
          repeated ? refl.AddInt32(msg, field, v) : refl.SetInt32(msg, field, v);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v;
        if (ParseInteger(value, path, &v)) {
          repeated ? refl.AddInt64(msg, field, v) : refl.SetInt64(msg, field, v);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v;
        if (ParseInteger(value, path, &v)) {
          repeated ? refl.AddUInt32(msg, field, v) : refl.SetUInt32(msg, field, v);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t v;
        if (ParseInteger(value, path, &v)) {
          repeated ? refl.AddUInt64(msg, field, v) : refl.SetUInt64(msg, field, v);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double v;
        if (!absl::SimpleAtod(value.Scalar(), &v)) {
          sink_->ErrorAt(path, PosOf(value.Mark()),
                         absl::StrCat("expected a number, got \"", value.Scalar(), "\""));
          return;
        }
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          repeated ? refl.AddFloat(msg, field, static_cast<float>(v))
                   : refl.SetFloat(msg, field, static_cast<float>(v));
        } else {
          repeated ? refl.AddDouble(msg, field, v) : refl.SetDouble(msg, field, v);
        }
        return;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* enum_value = field->enum_type()->FindValueByName(value.Scalar());
        if (enum_value == nullptr) {
          std::vector<std::string> names;
          names.reserve(field->enum_type()->value_count());
          for (int i = 0; i < field->enum_type()->value_count(); ++i) {
            names.push_back(field->enum_type()->value(i)->name());
          }
          sink_->ErrorAt(path, PosOf(value.Mark()),
                         absl::StrCat("unknown value \"", value.Scalar(),
                                      "\"; valid: ", absl::StrJoin(names, ", ")));
          return;
        }
        repeated ? refl.AddEnum(msg, field, enum_value) : refl.SetEnum(msg, field, enum_value);
        return;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;  // handled by ReadField
    }
  }

  SourceMap* sources_;
  DiagnosticSink* sink_;
};

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  std::string lower = absl::AsciiStrToLower(s);
  if (lower == "true" || lower == "false" || lower == "null" || lower == "~" || lower == "yes" ||
      lower == "no" || lower == "on" || lower == "off") {
    return true;
  }
  double d;
  return absl::SimpleAtod(s, &d);
}

void EmitScalar(YAML::Emitter& out, const Message& msg, const FieldDescriptor* field, int index) {
  const Reflection& refl = *msg.GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? refl.GetRepeatedString(msg, field, index) : refl.GetString(msg, field);
      if (NeedsQuotes(s)) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      out << ((rep ? refl.GetRepeatedBool(msg, field, index) : refl.GetBool(msg, field)) ? "true"
                                                                                         : "false");
      return;
    case FieldDescriptor::CPPTYPE_INT32:
      out << (rep ? refl.GetRepeatedInt32(msg, field, index) : refl.GetInt32(msg, field));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      out << (rep ? refl.GetRepeatedInt64(msg, field, index) : refl.GetInt64(msg, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      out << (rep ? refl.GetRepeatedUInt32(msg, field, index) : refl.GetUInt32(msg, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      out << (rep ? refl.GetRepeatedUInt64(msg, field, index) : refl.GetUInt64(msg, field));
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      out << (rep ? refl.GetRepeatedDouble(msg, field, index) : refl.GetDouble(msg, field));
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      out << (rep ? refl.GetRepeatedFloat(msg, field, index) : refl.GetFloat(msg, field));
      return;
    case FieldDescriptor::CPPTYPE_ENUM:
      out << (rep ? refl.GetRepeatedEnum(msg, field, index) : refl.GetEnum(msg, field))->name();
      return;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return;  // handled by EmitMessage
  }
}

void EmitMessage(YAML::Emitter& out, const Message& msg) {
  const Descriptor& desc = *msg.GetDescriptor();
  const Reflection& refl = *msg.GetReflection();
  out << YAML::BeginMap;
  for (int i = 0; i < desc.field_count(); ++i) {
    const FieldDescriptor* field = desc.field(i);
    const bool is_message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (field->is_repeated()) {
      out << YAML::Key << field->name() << YAML::Value;
      int n = refl.FieldSize(msg, field);
      if (n == 0) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        continue;
      }
      out << YAML::BeginSeq;
      for (int j = 0; j < n; ++j) {
        if (is_message) {
          EmitMessage(out, refl.GetRepeatedMessage(msg, field, j));
        } else {
          EmitScalar(out, msg, field, j);
        }
      }
      out << YAML::EndSeq;
      continue;
    }
    if (field->has_presence() && !refl.HasField(msg, field)) continue;
    out << YAML::Key << field->name() << YAML::Value;
    if (is_message) {
      EmitMessage(out, refl.GetMessage(msg, field));
    } else {
      EmitScalar(out, msg, field, -1);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

void ParseYamlInto(absl::string_view yaml_text, Message* message, SourceMap* sources,
                   DiagnosticSink* sink) {
  message->Clear();
  const std::string text(yaml_text);
  std::vector<DocumentScan::Document> documents;
  YAML::Node root;
  try {
    documents = ScanDocuments(text);
    root = YAML::Load(text);  // the first document only
  } catch (const YAML::Exception& e) {
    sink->ErrorAt("", PosOf(e.mark), absl::StrCat("YAML syntax error: ", e.msg));
    return;
  }
  // A trailing "---" (or "...") leaves an empty document behind; ignore it.
  while (documents.size() > 1 && documents.back().null) documents.pop_back();
  if (documents.empty() || documents[0].null || root.IsNull()) {
    sink->ErrorAt("", {}, "the file holds no spec; expected a mapping starting with \"name:\"");
    return;
  }
  if (documents.size() > 1) {
    sink->ErrorAt("", PosOf(documents[1].root),
                  "the file holds more than one YAML document; a spec is exactly one");
    return;
  }
  // The root path "" is where messages about missing top-level fields point.
  sources->Record("", PosOf(root.Mark()));
  try {
    Reader(sources, sink).ReadMessage(root, "", message);
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports some malformed inputs only when nodes are accessed.
    sink->ErrorAt("", PosOf(e.mark), absl::StrCat("YAML error: ", e.msg));
  }
}

std::string ProtoToYaml(const Message& message) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitMessage(out, message);
  return std::string(out.c_str()) + "\n";
}

}  // namespace bamctl
