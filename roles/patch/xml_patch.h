#ifndef BAMCTL_ROLES_PATCH_XML_PATCH_H_
#define BAMCTL_ROLES_PATCH_XML_PATCH_H_

// Patching the products' XML configuration files in place.
//
// Drivers own a few elements of files the products ship (carbon.xml's
// Ports/Offset, a datasource in master-datasources.xml); everything else in
// those files (comments, blank lines, declaration, attribute layout, element
// order, line endings, entity spelling) must reach the host byte for byte.
// pugixml's own writer does not guarantee that, so this library parses with
// pugixml and writes with its own serializer:
//
//  - parsed as a fragment (pugixml otherwise drops whitespace outside the
//    root element), without end-of-line, entity or attribute-whitespace
//    normalization, bytes passed through as they are (no transcoding, so an
//    ISO-8859-1 file stays ISO-8859-1);
//  - every start tag, declaration, processing instruction and DOCTYPE is
//    written as its original text unless the patch changed its name or
//    attributes; `<a></a>` stays `<a></a>` and `<a />` stays `<a />`. A
//    start tag whose attribute values changed, or that gained attributes,
//    keeps its layout: values are replaced where they stand and new
//    attributes follow the last one.
//
// Consequence for callers: node values and attribute values in the DOM are
// raw XML text (entities not expanded). Read them with XmlText/XmlAttribute
// and write them with SetXmlText/SetXmlAttribute, which escape; pugixml's
// own setters would not.
//
// New elements are indented like their siblings (or one step deeper than
// their parent when they have none) and use the file's line ending. Setting
// a value that is already there changes nothing, so patching twice gives
// the same bytes as patching once.

#include <functional>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl::patch {

// A parsed XML file being patched. Not copyable; nodes handed out stay
// valid while the document lives.
class XmlDocument {
 public:
  XmlDocument() = default;
  XmlDocument(const XmlDocument&) = delete;
  XmlDocument& operator=(const XmlDocument&) = delete;

  // The document (root) element; never null for a parsed document.
  pugi::xml_node root() const { return dom_.document_element(); }
  pugi::xml_document& dom() { return dom_; }

  // True when serializing the document before any change reproduced the
  // parsed text exactly. Holds for every stock file under roles/stock; a
  // false here means some bytes the patch does not own would change
  // (for instance whitespace inside an end tag).
  bool round_trips_exactly() const { return round_trips_exactly_; }

 private:
  friend absl::StatusOr<std::unique_ptr<XmlDocument>> ParseXmlForPatch(absl::string_view text,
                                                                       absl::string_view file_name);
  friend std::string SerializeXml(const XmlDocument& doc);

  // How a markup node (element start tag, declaration, PI, DOCTYPE) was
  // written in the parsed text.
  struct OriginalMarkup {
    std::string text;       // for elements: "<name attrs" without the closing ">" or "/>"
    std::string canonical;  // the node's name and attributes when parsed
    bool self_closing = false;
  };
  const OriginalMarkup* Original(pugi::xml_node node) const;
  // An element's parsed start tag ("<name attrs") rewritten with its
  // current attributes, when only values changed or attributes were added;
  // nullopt otherwise.
  std::optional<std::string> KeptLayout(pugi::xml_node node) const;
  void Write(pugi::xml_node node, std::string* out) const;

  pugi::xml_document dom_;
  absl::flat_hash_map<const void*, OriginalMarkup> original_;
  bool byte_order_mark_ = false;  // pugixml drops a leading UTF-8 BOM
  bool round_trips_exactly_ = false;
};

// Parses `text` for patching. `file_name` only names the file in errors
// ("registry.xml:12:5: ..."). Fails on malformed XML and on anything but
// exactly one root element.
absl::StatusOr<std::unique_ptr<XmlDocument>> ParseXmlForPatch(absl::string_view text,
                                                              absl::string_view file_name);

// The document's bytes: the parsed text with the patch's changes applied.
std::string SerializeXml(const XmlDocument& doc);

// Parses `text`, runs `patch` on the document and serializes it; errors
// from either step are prefixed with `file_name`.
absl::StatusOr<std::string> PatchXmlText(absl::string_view text, absl::string_view file_name,
                                         const std::function<absl::Status(XmlDocument&)>& patch);

// `text` escaped for element content (&, <, >) or attribute values (also ").
std::string EscapeXmlText(absl::string_view text);
std::string EscapeXmlAttribute(absl::string_view value);
// `raw` with the five predefined entities and character references expanded;
// unknown entities are kept as written.
std::string UnescapeXml(absl::string_view raw);

// The text content of `element` (its text and CDATA children, unescaped),
// with leading and trailing whitespace removed when `trim` is set.
std::string XmlText(pugi::xml_node element, bool trim = true);
// The unescaped value of `element`'s attribute `name`, "" when absent.
std::string XmlAttribute(pugi::xml_node element, absl::string_view name);

// Makes `text` the content of `element`. Leaves the element untouched when
// it already holds exactly that text (spelled any way); refuses elements
// with child elements, whose structure would be lost.
absl::Status SetXmlText(pugi::xml_node element, absl::string_view text);
// Sets attribute `name` (appended when absent); untouched when the value is
// already `value`.
absl::Status SetXmlAttribute(pugi::xml_node element, absl::string_view name,
                             absl::string_view value);

// The element at `path` ("Ports/Offset": child names separated by '/')
// below `from`, or a null node when some step is missing. The first child
// of each name is taken.
pugi::xml_node FindElement(pugi::xml_node from, absl::string_view path);

// The first child element of `parent` named `name`. When there is none, a
// new empty one is inserted: right after the child element named `after`
// when given and present, else after the last child element.
pugi::xml_node EnsureChild(pugi::xml_node parent, absl::string_view name,
                           absl::string_view after = {});

// Inserts a new empty element `name` into `parent` after the child `after`
// (null: after the last child element; first when there is none), indented
// like its siblings.
pugi::xml_node InsertElement(pugi::xml_node parent, absl::string_view name,
                             pugi::xml_node after = pugi::xml_node());

// Removes `element` together with the indentation in front of it.
void RemoveElement(pugi::xml_node element);

// Sets the text of the element at `path` below `parent`, creating missing
// elements on the way (each after its last sibling element).
absl::Status SetChildText(pugi::xml_node parent, absl::string_view path, absl::string_view text);

// Finds the child element `tag` of `parent` whose child element `key_child`
// holds the text `key_value` (e.g. the <datasource> whose <name> is
// WSO2_REG_DB); when there is none, inserts one holding just that key after
// the last `tag` sibling (else after the last child element). Then runs
// `build` on it, which sets the rest.
absl::Status UpsertElementByChild(pugi::xml_node parent, absl::string_view tag,
                                  absl::string_view key_child, absl::string_view key_value,
                                  const std::function<absl::Status(pugi::xml_node)>& build);

// The same keyed by an attribute: <mount path="/_system/config">.
absl::Status UpsertElementByAttribute(pugi::xml_node parent, absl::string_view tag,
                                      absl::string_view key_attribute, absl::string_view key_value,
                                      const std::function<absl::Status(pugi::xml_node)>& build);

// For Hadoop-style files (core-site.xml, hadoop-policy.xml, hive-site.xml):
// a <configuration> root holding <property><name/><value/></property>.
// Sets property `name` to `value`: updates the <value> of the first property
// with that name (adding <value> after <name> when missing) and keeps its
// <description> and formatting; when no property has that name, appends
//   <property>
//     <name>NAME</name>
//     <value>VALUE</value>
//   </property>
// after the last property, indented like the others. Fails when the root
// element is not <configuration>. Example:
//   RETURN_IF_ERROR(SetHadoopProperty(doc, "security.job.submission.protocol.acl", "hadoop"));
absl::Status SetHadoopProperty(XmlDocument& doc, absl::string_view name, absl::string_view value);

}  // namespace bamctl::patch

#endif  // BAMCTL_ROLES_PATCH_XML_PATCH_H_
