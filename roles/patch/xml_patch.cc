#include "roles/patch/xml_patch.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace bamctl::patch {
namespace {

// Byte-preserving parse: keep every node, keep whitespace-only text (also
// outside the root, which needs parse_fragment), expand nothing.
constexpr unsigned kParseFlags =
    (pugi::parse_full | pugi::parse_ws_pcdata | pugi::parse_fragment) &
    ~(pugi::parse_eol | pugi::parse_escapes | pugi::parse_wconv_attribute);

constexpr absl::string_view kDefaultIndentUnit = "    ";
constexpr absl::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

bool IsBlank(absl::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

bool IsWhitespaceText(pugi::xml_node node) {
  return node.type() == pugi::node_pcdata && IsBlank(node.value());
}

bool HasElementChild(pugi::xml_node node) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return true;
  }
  return false;
}

// Name and attributes as raw text, to tell whether a patch changed a tag.
std::string Canonical(pugi::xml_node node) {
  std::string out = node.name();
  for (pugi::xml_attribute a : node.attributes()) {
    absl::StrAppend(&out, "\x01", a.name(), "\x02", a.value());
  }
  if (node.type() != pugi::node_element) absl::StrAppend(&out, "\x03", node.value());
  return out;
}

// One attribute as written in a start tag: where its value is, and where
// the attribute ends (after the closing quote).
struct WrittenAttribute {
  std::string name;
  size_t value_begin = 0;
  size_t value_end = 0;
  size_t end = 0;
};

// The attributes of `tag` ("<name attrs", as OriginalMarkup keeps it), in
// order; nullopt when it does not read as a plain start tag.
std::optional<std::vector<WrittenAttribute>> WrittenAttributes(absl::string_view tag) {
  std::vector<WrittenAttribute> attributes;
  size_t i = 1;  // past '<'
  auto skip_space = [&] {
    while (i < tag.size() && absl::ascii_isspace(static_cast<unsigned char>(tag[i]))) ++i;
  };
  while (i < tag.size() && !absl::ascii_isspace(static_cast<unsigned char>(tag[i]))) ++i;  // name
  while (true) {
    skip_space();
    if (i >= tag.size()) return attributes;
    WrittenAttribute a;
    const size_t name_begin = i;
    while (i < tag.size() && tag[i] != '=' &&
           !absl::ascii_isspace(static_cast<unsigned char>(tag[i]))) {
      ++i;
    }
    a.name = std::string(tag.substr(name_begin, i - name_begin));
    skip_space();
    if (i >= tag.size() || tag[i] != '=') return std::nullopt;
    ++i;
    skip_space();
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) return std::nullopt;
    const char quote = tag[i++];
    a.value_begin = i;
    while (i < tag.size() && tag[i] != quote) ++i;
    if (i >= tag.size()) return std::nullopt;
    a.value_end = i++;
    a.end = i;
    attributes.push_back(std::move(a));
  }
}

// `tag` with the attribute values of `node`: changed values replaced where
// they stand, new attributes appended after the last one, every other byte
// (line breaks, indentation, quotes) kept. nullopt when an attribute was
// removed or renamed, or the tag does not read: then it is written anew.
std::optional<std::string> RewriteStartTag(absl::string_view tag, pugi::xml_node node) {
  std::optional<std::vector<WrittenAttribute>> written = WrittenAttributes(tag);
  if (!written) return std::nullopt;
  std::vector<pugi::xml_attribute> current;
  for (pugi::xml_attribute a : node.attributes()) current.push_back(a);
  if (current.size() < written->size()) return std::nullopt;
  std::string out;
  size_t at = 0;
  for (size_t k = 0; k < written->size(); ++k) {
    const WrittenAttribute& w = (*written)[k];
    if (w.name != current[k].name()) return std::nullopt;
    // A value may not hold the quote it stands in (single quotes).
    if (absl::StrContains(current[k].value(), tag[w.value_end])) return std::nullopt;
    absl::StrAppend(&out, tag.substr(at, w.value_begin - at), current[k].value());
    at = w.value_end;
  }
  const size_t last_end = written->empty() ? tag.find_first_of(" \t\r\n") : written->back().end;
  const size_t insert_at = last_end == absl::string_view::npos ? tag.size() : last_end;
  absl::StrAppend(&out, tag.substr(at, insert_at - at));
  for (size_t k = written->size(); k < current.size(); ++k) {
    absl::StrAppend(&out, " ", current[k].name(), "=\"", current[k].value(), "\"");
  }
  absl::StrAppend(&out, tag.substr(insert_at));
  return out;
}

// The end of the markup starting at `begin` ('<'): the offset of the first
// '>' outside quoted attribute values, or npos.
size_t EndOfTag(absl::string_view text, size_t begin) {
  char quote = 0;
  for (size_t i = begin; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return absl::string_view::npos;
}

// 1-based line and column of byte `offset`, for parse errors.
std::string Position(absl::string_view text, size_t offset) {
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return absl::StrCat(line, ":", column);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The code point of a character reference's body ("#233", "#xE9"), or
// nullopt when `entity` is not one.
std::optional<uint32_t> CharacterReference(absl::string_view entity) {
  if (!absl::ConsumePrefix(&entity, "#")) return std::nullopt;
  const bool hex = absl::ConsumePrefix(&entity, "x");
  if (entity.empty()) return std::nullopt;
  for (char c : entity) {
    if (!(hex ? absl::ascii_isxdigit(c) : absl::ascii_isdigit(c))) return std::nullopt;
  }
  uint32_t cp = 0;
  const bool parsed = hex ? absl::SimpleHexAtoi(entity, &cp) : absl::SimpleAtoi(entity, &cp);
  if (!parsed || cp > 0x10FFFF) return std::nullopt;
  return cp;
}

// The indentation of `node`: what follows the last line break in the
// whitespace text right before it, or nullopt when it does not start a line.
std::optional<std::string> IndentOf(pugi::xml_node node) {
  pugi::xml_node prev = node.previous_sibling();
  if (!prev || prev.type() != pugi::node_pcdata) return std::nullopt;
  absl::string_view ws = prev.value();
  size_t nl = ws.find_last_of('\n');
  if (nl == absl::string_view::npos) return std::nullopt;
  absl::string_view indent = ws.substr(nl + 1);
  if (!IsBlank(indent)) return std::nullopt;
  return std::string(indent);
}

// The line break the file uses: the first one in the whitespace around
// `near`'s siblings and ancestors, "\n" when none is found.
std::string LineBreakNear(pugi::xml_node near) {
  for (pugi::xml_node scope = near; scope; scope = scope.parent()) {
    for (pugi::xml_node c = scope.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_pcdata) continue;
      absl::string_view v = c.value();
      size_t nl = v.find('\n');
      if (nl != absl::string_view::npos) return nl > 0 && v[nl - 1] == '\r' ? "\r\n" : "\n";
    }
  }
  return "\n";
}

// The root element of the document holding `node`.
pugi::xml_node RootElementOf(pugi::xml_node node) {
  for (pugi::xml_node c = node.root().first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return c;
  }
  return pugi::xml_node();
}

// One indentation step, learnt from the first element indented deeper
// than its parent element.
std::string IndentUnit(pugi::xml_node any) {
  pugi::xml_node root = RootElementOf(any);
  std::string unit(kDefaultIndentUnit);
  struct Walker : pugi::xml_tree_walker {
    std::string* unit;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() != pugi::node_element) return true;
      pugi::xml_node parent = node.parent();
      if (parent.type() != pugi::node_element) return true;
      std::optional<std::string> mine = IndentOf(node);
      std::optional<std::string> theirs = IndentOf(parent);
      if (!theirs && parent == RootElementOf(parent)) theirs = "";
      if (mine && theirs && mine->size() > theirs->size() && absl::StartsWith(*mine, *theirs)) {
        *unit = mine->substr(theirs->size());
        return false;
      }
      return true;
    }
  } walker;
  walker.unit = &unit;
  if (root) root.traverse(walker);
  return unit;
}

// The indentation of `element`, "" for an element that does not start a
// line (the root after a comment, an inline element).
std::string IndentOrEmpty(pugi::xml_node element) { return IndentOf(element).value_or(""); }

}  // namespace

const XmlDocument::OriginalMarkup* XmlDocument::Original(pugi::xml_node node) const {
  auto it = original_.find(node.internal_object());
  if (it == original_.end() || it->second.canonical != Canonical(node)) return nullptr;
  return &it->second;
}

std::optional<std::string> XmlDocument::KeptLayout(pugi::xml_node node) const {
  auto it = original_.find(node.internal_object());
  if (it == original_.end()) return std::nullopt;
  // The same element name: the parsed text starts "<name".
  const absl::string_view text = it->second.text;
  const std::string prefix = absl::StrCat("<", node.name());
  if (!absl::StartsWith(text, prefix) ||
      (text.size() > prefix.size() &&
       !absl::ascii_isspace(static_cast<unsigned char>(text[prefix.size()])))) {
    return std::nullopt;
  }
  return RewriteStartTag(text, node);
}

void XmlDocument::Write(pugi::xml_node node, std::string* out) const {
  switch (node.type()) {
    case pugi::node_document:
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) Write(c, out);
      return;
    case pugi::node_pcdata:
      out->append(node.value());
      return;
    case pugi::node_cdata:
      absl::StrAppend(out, "<![CDATA[", node.value(), "]]>");
      return;
    case pugi::node_comment:
      absl::StrAppend(out, "<!--", node.value(), "-->");
      return;
    case pugi::node_declaration:
    case pugi::node_pi:
    case pugi::node_doctype:
      if (const OriginalMarkup* orig = Original(node)) {
        out->append(orig->text);
      } else if (node.type() == pugi::node_doctype) {
        absl::StrAppend(out, "<!DOCTYPE ", node.value(), ">");
      } else {
        absl::StrAppend(out, "<?", node.name());
        for (pugi::xml_attribute a : node.attributes()) {
          absl::StrAppend(out, " ", a.name(), "=\"", a.value(), "\"");
        }
        if (*node.value() != '\0') absl::StrAppend(out, " ", node.value());
        out->append("?>");
      }
      return;
    case pugi::node_element: {
      const OriginalMarkup* orig = Original(node);
      const bool empty = !node.first_child();
      if (orig != nullptr) {
        if (empty) {
          absl::StrAppend(out, orig->text, orig->self_closing ? "/>" : ">");
          if (!orig->self_closing) absl::StrAppend(out, "</", node.name(), ">");
          return;
        }
        // A once self-closing tag that gained children loses the blank
        // before its "/>" as well.
        absl::StrAppend(out,
                        orig->self_closing ? absl::StripTrailingAsciiWhitespace(orig->text)
                                           : absl::string_view(orig->text),
                        ">");
      } else if (std::optional<std::string> kept = KeptLayout(node)) {
        // Only attribute values changed or were added: the tag keeps its
        // layout (attributes on lines of their own, trailing blanks).
        const bool self_closing = original_.at(node.internal_object()).self_closing;
        if (empty) {
          absl::StrAppend(out, *kept, self_closing ? "/>" : ">");
          if (!self_closing) absl::StrAppend(out, "</", node.name(), ">");
          return;
        }
        absl::StrAppend(
            out,
            self_closing ? absl::StripTrailingAsciiWhitespace(*kept) : absl::string_view(*kept),
            ">");
      } else {
        absl::StrAppend(out, "<", node.name());
        for (pugi::xml_attribute a : node.attributes()) {
          absl::StrAppend(out, " ", a.name(), "=\"", a.value(), "\"");
        }
        if (empty) {
          out->append("/>");
          return;
        }
        out->append(">");
      }
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) Write(c, out);
      absl::StrAppend(out, "</", node.name(), ">");
      return;
    }
    case pugi::node_null:
      return;
  }
}

absl::StatusOr<std::unique_ptr<XmlDocument>> ParseXmlForPatch(absl::string_view text,
                                                              absl::string_view file_name) {
  auto doc = std::make_unique<XmlDocument>();
  // encoding_utf8 also for ISO-8859-1 files: bytes pass through untouched,
  // and every byte the patch matches or writes is ASCII.
  pugi::xml_parse_result result =
      doc->dom_.load_buffer(text.data(), text.size(), kParseFlags, pugi::encoding_utf8);
  if (!result) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ":", Position(text, result.offset),
                                                   ": malformed XML: ", result.description()));
  }
  int roots = 0;
  for (pugi::xml_node c = doc->dom_.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) ++roots;
    if (c.type() == pugi::node_pcdata && !IsBlank(c.value())) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_name, ":", Position(text, c.offset_debug()), ": text outside the root element"));
    }
  }
  if (roots != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": expected one root element, found ", roots));
  }

  // Remember how each markup node was spelled, so the writer can reproduce
  // it. Offsets are only valid before the first change.
  struct Recorder : pugi::xml_tree_walker {
    absl::string_view text;
    XmlDocument* doc;
    size_t malformed = absl::string_view::npos;  // a declaration or PI not ended by "?>"
    bool for_each(pugi::xml_node& node) override {
      const pugi::xml_node_type type = node.type();
      if (type != pugi::node_element && type != pugi::node_declaration && type != pugi::node_pi &&
          type != pugi::node_doctype) {
        return true;
      }
      ptrdiff_t at = node.offset_debug();
      if (at <= 0 || static_cast<size_t>(at) > text.size()) return true;
      XmlDocument::OriginalMarkup m;
      m.canonical = Canonical(node);
      if (type == pugi::node_doctype) {
        // The offset is that of the value; the markup opens before it.
        size_t begin = text.rfind("<!DOCTYPE", at);
        size_t end = static_cast<size_t>(at) + std::strlen(node.value());
        if (begin == absl::string_view::npos || end >= text.size() || text[end] != '>') {
          return true;
        }
        m.text = std::string(text.substr(begin, end + 1 - begin));
      } else if (type == pugi::node_element) {
        size_t begin = static_cast<size_t>(at) - 1;  // the offset is that of the name
        size_t end = EndOfTag(text, begin);
        if (end == absl::string_view::npos) return true;
        m.self_closing = end > begin && text[end - 1] == '/';
        m.text = std::string(text.substr(begin, end - begin - (m.self_closing ? 1 : 0)));
      } else {
        size_t begin = static_cast<size_t>(at) - 2;  // "<?" precedes the name
        size_t end = text.find("?>", at);
        if (end == absl::string_view::npos) return true;
        // pugixml ends a malformed declaration ("/>" for "?>") early, and
        // may rewrite the text up to the next "?>": refused, not patched.
        pugi::xml_node after = node;
        while (after && !after.next_sibling()) after = after.parent();
        if (after && after.next_sibling().offset_debug() >= 0 &&
            static_cast<size_t>(after.next_sibling().offset_debug()) < end + 2) {
          malformed = begin;
          return false;
        }
        m.text = std::string(text.substr(begin, end + 2 - begin));
      }
      doc->original_.emplace(node.internal_object(), std::move(m));
      return true;
    }
  } recorder;
  recorder.text = text;
  recorder.doc = doc.get();
  doc->dom_.traverse(recorder);
  if (recorder.malformed != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ":", Position(text, recorder.malformed),
                     ": malformed XML: a declaration or processing instruction must end with "
                     "\"?>\""));
  }
  doc->byte_order_mark_ = absl::StartsWith(text, kUtf8ByteOrderMark);
  doc->round_trips_exactly_ = SerializeXml(*doc) == text;
  return doc;
}

std::string SerializeXml(const XmlDocument& doc) {
  std::string out(doc.byte_order_mark_ ? kUtf8ByteOrderMark : "");
  doc.Write(doc.dom_, &out);
  return out;
}

absl::StatusOr<std::string> PatchXmlText(absl::string_view text, absl::string_view file_name,
                                         const std::function<absl::Status(XmlDocument&)>& patch) {
  absl::StatusOr<std::unique_ptr<XmlDocument>> doc = ParseXmlForPatch(text, file_name);
  if (!doc.ok()) return doc.status();
  RETURN_IF_ERROR(Annotate(patch(**doc), file_name));
  return SerializeXml(**doc);
}

std::string EscapeXmlText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeXmlAttribute(absl::string_view value) {
  std::string out;
  for (char c : EscapeXmlText(value)) {
    if (c == '"') {
      out.append("&quot;");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string UnescapeXml(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  size_t i = 0;
  while (i < raw.size()) {
    size_t amp = raw.find('&', i);
    if (amp == absl::string_view::npos) break;
    absl::StrAppend(&out, raw.substr(i, amp - i));
    size_t semi = raw.find(';', amp);
    absl::string_view entity =
        semi == absl::string_view::npos ? "" : raw.substr(amp + 1, semi - amp - 1);
    std::optional<char> named;
    if (entity == "lt") named = '<';
    if (entity == "gt") named = '>';
    if (entity == "amp") named = '&';
    if (entity == "quot") named = '"';
    if (entity == "apos") named = '\'';
    std::optional<uint32_t> code_point = CharacterReference(entity);
    const bool known = named.has_value() || code_point.has_value();
    if (named) out.push_back(*named);
    if (code_point) AppendUtf8(*code_point, &out);
    if (known) {
      i = semi + 1;
    } else {
      out.push_back('&');
      i = amp + 1;
    }
  }
  if (i < raw.size()) absl::StrAppend(&out, raw.substr(i));
  return out;
}

std::string XmlText(pugi::xml_node element, bool trim) {
  std::string out;
  for (pugi::xml_node c = element.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata) absl::StrAppend(&out, UnescapeXml(c.value()));
    if (c.type() == pugi::node_cdata) absl::StrAppend(&out, c.value());
  }
  if (trim) absl::StripAsciiWhitespace(&out);
  return out;
}

std::string XmlAttribute(pugi::xml_node element, absl::string_view name) {
  pugi::xml_attribute a = element.attribute(std::string(name).c_str());
  return a ? UnescapeXml(a.value()) : std::string();
}

absl::Status SetXmlText(pugi::xml_node element, absl::string_view text) {
  if (element.type() != pugi::node_element) {
    return absl::InvalidArgumentError("cannot set the text of a node that is not an element");
  }
  if (HasElementChild(element)) {
    return absl::FailedPreconditionError(
        absl::StrCat("<", element.name(), "> holds elements; refusing to replace them with text"));
  }
  if (XmlText(element, /*trim=*/false) == text) return absl::OkStatus();
  while (element.first_child()) element.remove_child(element.first_child());
  if (!text.empty()) {
    element.append_child(pugi::node_pcdata).set_value(EscapeXmlText(text).c_str());
  }
  return absl::OkStatus();
}

absl::Status SetXmlAttribute(pugi::xml_node element, absl::string_view name,
                             absl::string_view value) {
  if (element.type() != pugi::node_element) {
    return absl::InvalidArgumentError("cannot set an attribute of a node that is not an element");
  }
  const std::string key(name);
  pugi::xml_attribute a = element.attribute(key.c_str());
  if (a && UnescapeXml(a.value()) == value) return absl::OkStatus();
  if (!a) a = element.append_attribute(key.c_str());
  a.set_value(EscapeXmlAttribute(value).c_str());
  return absl::OkStatus();
}

pugi::xml_node FindElement(pugi::xml_node from, absl::string_view path) {
  pugi::xml_node node = from;
  for (absl::string_view step : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    node = node.child(std::string(step).c_str());
    if (!node) return node;
  }
  return node;
}

pugi::xml_node EnsureChild(pugi::xml_node parent, absl::string_view name, absl::string_view after) {
  const std::string key(name);
  if (pugi::xml_node existing = parent.child(key.c_str())) return existing;
  pugi::xml_node anchor;
  if (!after.empty()) anchor = parent.child(std::string(after).c_str());
  return InsertElement(parent, name, anchor);
}

pugi::xml_node InsertElement(pugi::xml_node parent, absl::string_view name, pugi::xml_node after) {
  const std::string key(name);
  if (!after) {
    for (pugi::xml_node c = parent.last_child(); c; c = c.previous_sibling()) {
      if (c.type() == pugi::node_element) {
        after = c;
        break;
      }
    }
  }
  const std::string nl = LineBreakNear(parent);
  if (after) {
    // Between `after` and whatever followed it (usually the parent's
    // closing indentation): a line break, the sibling's indent, the element.
    std::optional<std::string> indent = IndentOf(after);
    pugi::xml_node added = parent.insert_child_after(key.c_str(), after);
    if (indent) {
      parent.insert_child_before(pugi::node_pcdata, added)
          .set_value(absl::StrCat(nl, *indent).c_str());
    }
    return added;
  }
  // No sibling elements: one step deeper than the parent, and the parent's
  // closing tag back on its own line.
  const std::string parent_indent = IndentOrEmpty(parent);
  const std::string indent = absl::StrCat(parent_indent, IndentUnit(parent));
  pugi::xml_node only = parent.first_child();
  const bool only_whitespace = only && !only.next_sibling() && IsWhitespaceText(only);
  if (only_whitespace && absl::StrContains(only.value(), '\n')) {
    // Keep the existing inner whitespace (blank lines and all) after it.
    pugi::xml_node added = parent.insert_child_before(key.c_str(), only);
    parent.insert_child_before(pugi::node_pcdata, added)
        .set_value(absl::StrCat(nl, indent).c_str());
    return added;
  }
  if (only_whitespace) parent.remove_child(only);
  parent.append_child(pugi::node_pcdata).set_value(absl::StrCat(nl, indent).c_str());
  pugi::xml_node added = parent.append_child(key.c_str());
  parent.append_child(pugi::node_pcdata).set_value(absl::StrCat(nl, parent_indent).c_str());
  return added;
}

void RemoveElement(pugi::xml_node element) {
  pugi::xml_node parent = element.parent();
  if (!parent) return;
  pugi::xml_node prev = element.previous_sibling();
  if (prev && IsWhitespaceText(prev)) parent.remove_child(prev);
  parent.remove_child(element);
}

absl::Status SetChildText(pugi::xml_node parent, absl::string_view path, absl::string_view text) {
  if (parent.type() != pugi::node_element) {
    return absl::InvalidArgumentError(absl::StrCat("no element to set ", path, " in"));
  }
  pugi::xml_node node = parent;
  for (absl::string_view step : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    node = EnsureChild(node, step);
  }
  if (node == parent) return absl::InvalidArgumentError("empty element path");
  return Annotate(SetXmlText(node, text), path);
}

absl::Status UpsertElementByChild(pugi::xml_node parent, absl::string_view tag,
                                  absl::string_view key_child, absl::string_view key_value,
                                  const std::function<absl::Status(pugi::xml_node)>& build) {
  const std::string tag_name(tag);
  const std::string key_name(key_child);
  pugi::xml_node target;
  pugi::xml_node last_of_tag;
  for (pugi::xml_node c = parent.child(tag_name.c_str()); c; c = c.next_sibling(tag_name.c_str())) {
    last_of_tag = c;
    if (XmlText(c.child(key_name.c_str())) == key_value) {
      target = c;
      break;
    }
  }
  const std::string context = absl::StrCat("<", tag, "> with ", key_child, " ", key_value);
  if (!target) {
    target = InsertElement(parent, tag, last_of_tag);
    RETURN_IF_ERROR(Annotate(SetChildText(target, key_child, key_value), context));
  }
  return Annotate(build(target), context);
}

absl::Status UpsertElementByAttribute(pugi::xml_node parent, absl::string_view tag,
                                      absl::string_view key_attribute, absl::string_view key_value,
                                      const std::function<absl::Status(pugi::xml_node)>& build) {
  const std::string tag_name(tag);
  pugi::xml_node target;
  pugi::xml_node last_of_tag;
  for (pugi::xml_node c = parent.child(tag_name.c_str()); c; c = c.next_sibling(tag_name.c_str())) {
    last_of_tag = c;
    if (XmlAttribute(c, key_attribute) == key_value) {
      target = c;
      break;
    }
  }
  const std::string context = absl::StrCat("<", tag, " ", key_attribute, "=\"", key_value, "\">");
  if (!target) {
    target = InsertElement(parent, tag, last_of_tag);
    RETURN_IF_ERROR(Annotate(SetXmlAttribute(target, key_attribute, key_value), context));
  }
  return Annotate(build(target), context);
}

absl::Status SetHadoopProperty(XmlDocument& doc, absl::string_view name, absl::string_view value) {
  pugi::xml_node root = doc.root();
  if (std::strcmp(root.name(), "configuration") != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a Hadoop <configuration> file, found root <", root.name(), ">"));
  }
  return UpsertElementByChild(root, "property", "name", name, [&](pugi::xml_node property) {
    return Annotate(SetXmlText(EnsureChild(property, "value", "name"), value), "value");
  });
}

}  // namespace bamctl::patch
