#include "roles/cassandra/cassandra_yaml.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "roles/spec/cassandra_tokens.h"

namespace bamctl {
namespace {

// One line of the file: its text without the terminator, and the terminator
// itself ("\n", "\r\n", or "" for a last line without one), so unchanged
// lines are written back byte for byte.
struct Line {
  absl::string_view text;
  absl::string_view eol;
};

std::vector<Line> SplitLines(absl::string_view text) {
  std::vector<Line> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == absl::string_view::npos) {
      lines.push_back({text.substr(start), ""});
      break;
    }
    size_t end = (nl > start && text[nl - 1] == '\r') ? nl - 1 : nl;
    lines.push_back({text.substr(start, end - start), text.substr(end, nl + 1 - end)});
    start = nl + 1;
  }
  return lines;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

size_t Indent(absl::string_view s) {
  size_t i = 0;
  while (i < s.size() && IsBlank(s[i])) ++i;
  return i;
}

bool IsCommentOrBlank(absl::string_view s) {
  size_t i = Indent(s);
  return i == s.size() || s[i] == '#';
}

// A block sequence item ("- x" or a bare "-") starting at `at`.
bool IsSequenceItemAt(absl::string_view s, size_t at) {
  return at < s.size() && s[at] == '-' && (at + 1 == s.size() || IsBlank(s[at + 1]));
}

// When `s` starts with `key:` (blanks allowed before the colon, a blank or
// the end after it), the key, with the colon's position in `*colon`.
std::optional<absl::string_view> KeyAtStart(absl::string_view s, size_t* colon) {
  size_t i = 0;
  while (i < s.size() && (absl::ascii_isalnum(s[i]) || s[i] == '_')) ++i;
  if (i == 0) return std::nullopt;
  size_t key_end = i;
  while (i < s.size() && IsBlank(s[i])) ++i;
  if (i == s.size() || s[i] != ':') return std::nullopt;
  if (i + 1 < s.size() && !IsBlank(s[i + 1])) return std::nullopt;
  *colon = i;
  return s.substr(0, key_end);
}

// A `key: value` line cut into the parts a patch keeps (head, spacing, tail)
// and the one it replaces (value).
struct ValueLine {
  absl::string_view head;   // through the colon: "rpc_port:", "    - seeds:"
  absl::string_view sep;    // blanks between the colon and the value
  absl::string_view value;  // as written, quotes included; may be empty
  absl::string_view tail;   // blanks and comment after the value
};

ValueLine SplitValueLine(absl::string_view line, size_t colon) {
  ValueLine v;
  v.head = line.substr(0, colon + 1);
  absl::string_view rest = line.substr(colon + 1);
  size_t start = 0;
  while (start < rest.size() && IsBlank(rest[start])) ++start;
  if (start == rest.size() || rest[start] == '#') {
    // No value: the blanks belong to the comment, if there is one.
    if (start == rest.size()) {
      v.sep = rest;
    } else {
      v.tail = rest;
    }
    return v;
  }
  v.sep = rest.substr(0, start);
  absl::string_view body = rest.substr(start);
  // Skip a quoted scalar first: a '#' inside quotes is not a comment.
  size_t i = 0;
  if (body[0] == '\'') {
    for (i = 1; i < body.size(); ++i) {
      if (body[i] != '\'') continue;
      if (i + 1 < body.size() && body[i + 1] == '\'') {
        ++i;
      } else {
        ++i;
        break;
      }
    }
  } else if (body[0] == '"') {
    for (i = 1; i < body.size(); ++i) {
      if (body[i] == '\\') {
        ++i;
      } else if (body[i] == '"') {
        ++i;
        break;
      }
    }
  }
  size_t end = body.size();
  for (size_t p = std::max<size_t>(i, 1); p < body.size(); ++p) {
    if (body[p] == '#' && IsBlank(body[p - 1])) {
      end = p;
      break;
    }
  }
  while (end > 0 && IsBlank(body[end - 1])) --end;
  v.value = body.substr(0, end);
  v.tail = body.substr(v.value.size());
  return v;
}

// End (exclusive) of the lines after `first` that continue the value of a
// key at column `indent`: deeper lines, block sequence items at the key's
// own column, and comments or blank lines between them. Trailing comments
// and blank lines are left out: they introduce what follows. Stops at
// `limit`.
size_t ValueEnd(const std::vector<Line>& lines, size_t first, size_t indent, size_t limit) {
  size_t end = first + 1;
  while (end < limit) {
    absl::string_view s = lines[end].text;
    size_t at = Indent(s);
    if (!IsCommentOrBlank(s) && at < indent) break;
    if (!IsCommentOrBlank(s) && at == indent && !IsSequenceItemAt(s, at)) break;
    ++end;
  }
  while (end > first + 1 && IsCommentOrBlank(lines[end - 1].text)) --end;
  return end;
}

// Lines [begin, end) replaced by `lines`.
struct Edit {
  size_t begin;
  size_t end;
  std::vector<std::string> lines;
};

// The replacement for a `key: value` line: the new value between the kept
// head and tail. A value-less line gets one blank after the colon.
std::string WithValue(const ValueLine& v, absl::string_view value) {
  return absl::StrCat(v.head, v.sep.empty() ? " " : v.sep, value, v.tail);
}

std::string SingleQuoted(absl::string_view s) {
  return absl::StrCat("'", absl::StrReplaceAll(s, {{"'", "''"}}), "'");
}

std::string DoubleQuoted(absl::string_view s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

// `s` as a YAML scalar: plain when Cassandra's YAML 1.1 reader (SnakeYAML)
// reads it back as that string, single-quoted otherwise.
std::string Scalar(absl::string_view s) {
  bool plain = !s.empty() && s[0] != '-';
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '/' && c != '-') plain = false;
  }
  // Booleans and null in YAML 1.1.
  for (absl::string_view word : {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}) {
    if (absl::EqualsIgnoreCase(s, word)) plain = false;
  }
  // Numbers (1, 1.5, 1e5, 0x1f, .inf), but not dotted addresses.
  if (plain && (absl::ascii_isdigit(s[0]) || s[0] == '.') &&
      std::count(s.begin(), s.end(), '.') <= 1) {
    plain = false;
  }
  return plain ? std::string(s) : SingleQuoted(s);
}

enum class Kind { kScalar, kBlockList, kSeedProvider };

// One owned top-level key and its rendered value (the seeds for
// kSeedProvider, the one item for kBlockList).
struct Owned {
  absl::string_view key;
  Kind kind;
  std::string value;
  std::optional<size_t> line;  // where it is in the file
};

absl::Status CheckText(absl::string_view file_name, absl::string_view field,
                       absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": the plan's cassandra.", field, " is empty"));
  }
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ": the plan's cassandra.", field,
                                                     " \"", absl::CEscape(value),
                                                     "\" has a control character or line break"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Port(absl::string_view file_name, absl::string_view field,
                                 uint32_t port) {
  if (port == 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": the plan's cassandra.", field, " ",
                                                   port, " is not a port (1-65535)"));
  }
  return absl::StrCat(port);
}

// The owned keys with their values, in the stock file's order (which is
// also the order absent keys are appended in).
absl::StatusOr<std::vector<Owned>> OwnedValues(absl::string_view file_name,
                                               const v1::CassandraPlan& plan) {
  std::optional<Partitioner> partitioner = ParsePartitioner(plan.partitioner());
  if (!partitioner.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": unknown partitioner \"",
                                                   plan.partitioner(),
                                                   "\"; valid: ", ValidPartitionersForError()));
  }
  // Cassandra refuses to start with a token outside its partitioner's range.
  absl::StatusOr<std::string> token = CanonicalToken(*partitioner, plan.initial_token());
  if (!token.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": initial_token for ",
                                                   PartitionerClassName(*partitioner), ": ",
                                                   token.status().message()));
  }
  struct Text {
    absl::string_view field;
    const std::string& value;
  };
  for (const Text& t :
       {Text{"cluster_name", plan.cluster_name()}, Text{"listen_address", plan.listen_address()},
        Text{"rpc_address", plan.rpc_address()}, Text{"data_dir", plan.data_dir()},
        Text{"commitlog_dir", plan.commitlog_dir()},
        Text{"saved_caches_dir", plan.saved_caches_dir()}}) {
    if (absl::Status s = CheckText(file_name, t.field, t.value); !s.ok()) return s;
  }
  if (plan.seeds().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": the plan has no Cassandra seeds"));
  }
  for (const std::string& seed : plan.seeds()) {
    if (absl::Status s = CheckText(file_name, "seeds", seed); !s.ok()) return s;
    if (absl::StrContains(seed, ',')) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ": seed \"", seed,
                       "\" contains ',', which separates seeds in cassandra.yaml"));
    }
  }
  absl::StatusOr<std::string> rpc_port = Port(file_name, "rpc_port", plan.rpc_port());
  if (!rpc_port.ok()) return rpc_port.status();
  absl::StatusOr<std::string> storage_port = Port(file_name, "storage_port", plan.storage_port());
  if (!storage_port.ok()) return storage_port.status();

  std::vector<Owned> owned = {
      {"cluster_name", Kind::kScalar, SingleQuoted(plan.cluster_name()), std::nullopt},
      {"initial_token", Kind::kScalar, *token, std::nullopt},
      {"partitioner", Kind::kScalar, std::string(PartitionerClassName(*partitioner)), std::nullopt},
      {"data_file_directories", Kind::kBlockList, Scalar(plan.data_dir()), std::nullopt},
      {"commitlog_directory", Kind::kScalar, Scalar(plan.commitlog_dir()), std::nullopt},
      {"saved_caches_directory", Kind::kScalar, Scalar(plan.saved_caches_dir()), std::nullopt},
      {"seed_provider", Kind::kSeedProvider, DoubleQuoted(absl::StrJoin(plan.seeds(), ",")),
       std::nullopt},
      {"storage_port", Kind::kScalar, *storage_port, std::nullopt},
      {"listen_address", Kind::kScalar, Scalar(plan.listen_address()), std::nullopt},
      {"rpc_address", Kind::kScalar, Scalar(plan.rpc_address()), std::nullopt},
      {"rpc_port", Kind::kScalar, *rpc_port, std::nullopt},
  };
  return owned;
}

std::string At(absl::string_view file_name, size_t line_index) {
  return absl::StrCat(file_name, ":", line_index + 1, ": ");
}

// The edit that sets the seeds under the seed_provider key at `key_line`.
absl::StatusOr<Edit> SeedsEdit(absl::string_view file_name, const std::vector<Line>& lines,
                               size_t key_line, const std::string& seeds) {
  size_t block_end = ValueEnd(lines, key_line, 0, lines.size());
  struct Found {
    size_t line;
    size_t key_column;
    size_t colon;
  };
  std::vector<Found> found;
  for (size_t i = key_line + 1; i < block_end; ++i) {
    absl::string_view s = lines[i].text;
    size_t at = Indent(s);
    if (IsSequenceItemAt(s, at)) at += 1 + Indent(s.substr(at + 1));
    size_t colon = 0;
    std::optional<absl::string_view> key = KeyAtStart(s.substr(at), &colon);
    if (key.has_value() && *key == "seeds") found.push_back({i, at, at + colon});
  }
  if (found.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(At(file_name, key_line),
                     "seed_provider has no `- seeds:` entry to write the seeds into; give it "
                     "the stock form (class_name, parameters, - seeds: \"host,...\")"));
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(At(file_name, found[1].line), "seed_provider has a second `seeds:` entry (",
                     "the first is on line ", found[0].line + 1, "); keep one"));
  }
  const Found& f = found[0];
  ValueLine v = SplitValueLine(lines[f.line].text, f.colon);
  return Edit{f.line, ValueEnd(lines, f.line, f.key_column, block_end), {WithValue(v, seeds)}};
}

absl::StatusOr<Edit> OwnedEdit(absl::string_view file_name, const std::vector<Line>& lines,
                               const Owned& owned) {
  size_t line = *owned.line;
  size_t colon = 0;
  KeyAtStart(lines[line].text, &colon);
  ValueLine v = SplitValueLine(lines[line].text, colon);
  size_t end = ValueEnd(lines, line, 0, lines.size());
  switch (owned.kind) {
    case Kind::kScalar:
      return Edit{line, end, {WithValue(v, owned.value)}};
    case Kind::kBlockList: {
      // Keep the item indentation the file uses; the stock file uses 4.
      std::string indent = "    ";
      for (size_t i = line + 1; i < end; ++i) {
        size_t at = Indent(lines[i].text);
        if (IsSequenceItemAt(lines[i].text, at)) {
          indent = std::string(lines[i].text.substr(0, at));
          break;
        }
      }
      // A value on the key line (a flow list) goes; a comment stays, blanks
      // alone do not (patching again would take them for the separator).
      const absl::string_view tail =
          v.tail.find('#') == absl::string_view::npos ? absl::string_view() : v.tail;
      return Edit{line, end, {absl::StrCat(v.head, tail), absl::StrCat(indent, "- ", owned.value)}};
    }
    case Kind::kSeedProvider:
      return SeedsEdit(file_name, lines, line, owned.value);
  }
  return absl::InternalError("unreachable");
}

// A fresh entry for an owned key the file lacks, in the stock file's layout.
std::vector<std::string> NewEntry(const Owned& owned) {
  switch (owned.kind) {
    case Kind::kScalar:
      return {absl::StrCat(owned.key, ": ", owned.value)};
    case Kind::kBlockList:
      return {absl::StrCat(owned.key, ":"), absl::StrCat("    - ", owned.value)};
    case Kind::kSeedProvider:
      return {absl::StrCat(owned.key, ":"),
              "    - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
              "      parameters:", absl::StrCat("          - seeds: ", owned.value)};
  }
  return {};
}

}  // namespace

absl::StatusOr<std::string> PatchCassandraYaml(absl::string_view file_name, absl::string_view text,
                                               const v1::CassandraPlan& plan) {
  absl::StatusOr<std::vector<Owned>> owned_or = OwnedValues(file_name, plan);
  if (!owned_or.ok()) return owned_or.status();
  std::vector<Owned>& owned = *owned_or;
  // YAML also breaks lines at a lone CR, which this line-based patcher does
  // not: such a file would be read otherwise than it is patched.
  for (size_t at = text.find('\r'); at != absl::string_view::npos; at = text.find('\r', at + 1)) {
    if (at + 1 == text.size() || text[at + 1] != '\n') {
      const size_t line = static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n'));
      return absl::InvalidArgumentError(absl::StrCat(
          At(file_name, line),
          "a carriage return without a line feed; cassandra.yaml must end its lines with LF "
          "or CRLF"));
    }
  }
  std::vector<Line> lines = SplitLines(text);

  for (size_t i = 0; i < lines.size(); ++i) {
    // Only column-0 keys are top-level; commented-out keys start with '#'.
    size_t colon = 0;
    std::optional<absl::string_view> key = KeyAtStart(lines[i].text, &colon);
    if (!key.has_value()) continue;
    for (Owned& o : owned) {
      if (o.key != *key) continue;
      if (o.line.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat(At(file_name, i), "duplicate key ", o.key,
                                                       " (first on line ", *o.line + 1,
                                                       "); keep one"));
      }
      o.line = i;
    }
  }

  std::vector<Edit> edits;
  std::vector<std::string> appended;
  for (const Owned& o : owned) {
    if (!o.line.has_value()) {
      for (std::string& l : NewEntry(o)) appended.push_back(std::move(l));
      continue;
    }
    absl::StatusOr<Edit> edit = OwnedEdit(file_name, lines, o);
    if (!edit.ok()) return edit.status();
    edits.push_back(*std::move(edit));
  }
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });

  // New lines take the file's own line ending.
  absl::string_view eol = "\n";
  for (const Line& l : lines) {
    if (!l.eol.empty()) {
      eol = l.eol;
      break;
    }
  }
  std::string out;
  out.reserve(text.size() + 512);
  size_t next = 0;
  // The ending the file's last line gets when lines are appended after it:
  // the one it would have had, so that the next patch sees the same.
  absl::string_view last_eol = eol;
  for (const Edit& e : edits) {
    for (; next < e.begin; ++next) absl::StrAppend(&out, lines[next].text, lines[next].eol);
    // New lines end as the block's first line did, so that patching again
    // finds the same endings even when the file mixes them; the last one
    // has none when the block ended the file without one.
    absl::string_view block_eol = lines[e.begin].eol.empty() ? eol : lines[e.begin].eol;
    for (size_t k = 0; k < e.lines.size(); ++k) {
      const bool last = k + 1 == e.lines.size();
      absl::StrAppend(&out, e.lines[k],
                      last && lines[e.end - 1].eol.empty() ? absl::string_view() : block_eol);
    }
    next = e.end;
    last_eol = block_eol;
  }
  if (next < lines.size()) last_eol = eol;
  for (; next < lines.size(); ++next) absl::StrAppend(&out, lines[next].text, lines[next].eol);
  if (!appended.empty() && !out.empty() && out.back() != '\n') absl::StrAppend(&out, last_eol);
  for (const std::string& l : appended) absl::StrAppend(&out, l, eol);
  return out;
}

}  // namespace bamctl
