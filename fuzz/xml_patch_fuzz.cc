// Fuzz target: the XML patcher that edits the products' stock files
// (carbon.xml, master-datasources.xml, registry.xml, ...). Properties, from
// the library's contract:
//  - escaping then unescaping any text gives it back;
//  - a document that round-trips exactly serializes to its input byte for
//    byte;
//  - a patched document parses again, and patching it again with the same
//    values changes nothing (drivers patch on every pass).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_check.h"
#include "roles/patch/xml_patch.h"

namespace {

namespace patch = bamctl::patch;
using bamctl::fuzz::Check;

// The edits drivers make: an attribute and a nested element's text, with
// every character XML escapes.
absl::Status Patch(patch::XmlDocument& doc) {
  absl::Status attribute = patch::SetXmlAttribute(doc.root(), "bamctl", "a\"<&'>b");
  if (!attribute.ok()) return attribute;
  return patch::SetChildText(doc.root(), "Ports/Offset", "1 < 2 & \"3\"");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text = bamctl::fuzz::AsText(data, size);
  Check(patch::UnescapeXml(patch::EscapeXmlText(text)) == text, "unescape(escape(text)) == text");
  Check(patch::UnescapeXml(patch::EscapeXmlAttribute(text)) == text,
        "unescape(escape_attribute(text)) == text");

  absl::StatusOr<std::unique_ptr<patch::XmlDocument>> doc =
      patch::ParseXmlForPatch(text, "fuzz.xml");
  if (!doc.ok()) return 0;
  if ((*doc)->round_trips_exactly()) {
    Check(patch::SerializeXml(**doc) == text, "an exact round trip gives the input back");
  }
  if (!Patch(**doc).ok()) return 0;  // e.g. Ports/Offset has child elements: refused
  const std::string patched = patch::SerializeXml(**doc);
  absl::StatusOr<std::unique_ptr<patch::XmlDocument>> again =
      patch::ParseXmlForPatch(patched, "fuzz.xml");
  Check(again.ok(), "a patched document parses again");
  Check(Patch(**again).ok(), "a patched document can be patched again");
  Check(patch::SerializeXml(**again) == patched, "patching twice is patching once");
  return 0;
}
