#include "agentd/hosts/hosts_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace bamctl {
namespace {

constexpr absl::string_view kBeginPrefix = "# BEGIN bamctl cluster ";
constexpr absl::string_view kEndPrefix = "# END bamctl cluster ";
constexpr mode_t kDefaultMode = 0644;

// A line of the file: `text` without its terminator, `full` with it (the
// last line may have none).
struct Line {
  absl::string_view text;
  absl::string_view full;
};

Line LineAt(absl::string_view data, size_t pos) {
  const size_t newline = data.find('\n', pos);
  const size_t end = newline == absl::string_view::npos ? data.size() : newline + 1;
  const size_t text_end = newline == absl::string_view::npos ? data.size() : newline;
  return Line{data.substr(pos, text_end - pos), data.substr(pos, end - pos)};
}

// Trailing blanks (and a '\r' from a file edited on Windows) do not make a
// marker someone else's.
bool IsAnyBegin(absl::string_view text) {
  return absl::StartsWith(absl::StripTrailingAsciiWhitespace(text), kBeginPrefix);
}

bool IsBeginOf(absl::string_view text, absl::string_view cluster) {
  text = absl::StripTrailingAsciiWhitespace(text);
  if (!absl::ConsumePrefix(&text, kBeginPrefix)) return false;
  // The cluster name is the next word; "a" must not claim the block of "ab".
  const size_t space = text.find(' ');
  return text.substr(0, space) == cluster;
}

bool IsEndOf(absl::string_view text, absl::string_view cluster) {
  text = absl::StripTrailingAsciiWhitespace(text);
  return absl::ConsumePrefix(&text, kEndPrefix) && text == cluster;
}

std::string RenderBlock(absl::string_view cluster, const std::vector<v1::HostEntry>& entries) {
  if (entries.empty()) return "";
  std::string block =
      absl::StrCat(kBeginPrefix, cluster, " (managed by bam-agentd; edits here are overwritten)\n");
  for (const v1::HostEntry& entry : entries) {
    absl::StrAppend(&block, entry.address(), "\t", entry.name(), "\n");
  }
  absl::StrAppend(&block, kEndPrefix, cluster, "\n");
  return block;
}

bool HasBlank(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// A name or address with a blank or '#' would turn into a different hosts
// line than intended (or a comment), and a newline into extra lines.
absl::Status CheckWritable(absl::string_view cluster, const std::vector<v1::HostEntry>& entries) {
  if (cluster.empty() || HasBlank(cluster)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster name \"", cluster, "\" cannot mark a hosts file block"));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const v1::HostEntry& entry = entries[i];
    for (absl::string_view field :
         {absl::string_view(entry.name()), absl::string_view(entry.address())}) {
      if (field.empty() || HasBlank(field) || absl::StrContains(field, '#')) {
        return absl::InvalidArgumentError(absl::StrCat("host entry ", i, " (name \"", entry.name(),
                                                       "\", address \"", entry.address(),
                                                       "\") cannot be written as a hosts line"));
      }
    }
  }
  return absl::OkStatus();
}

// The file to write: `path` itself, or the target of the symlink `path` is,
// so that replacing the file does not replace the link.
absl::StatusOr<std::string> ResolveTarget(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hosts file ", path, " is a symlink that does not resolve: ", std::strerror(errno)));
  }
  return std::string(resolved);
}

// Whether `path` is a mount point of its own, as /etc/hosts is where it
// is bind-mounted in (a container's, `ip netns exec`'s): rename() onto it
// fails with EBUSY there. Read from /proc/self/mountinfo (field 5, with
// spaces and other bytes escaped as \ooo).
bool IsMountPoint(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> info = ReadFileIfExists("/proc/self/mountinfo");
  if (!info.ok() || !info->has_value()) return false;
  for (absl::string_view line : absl::StrSplit(**info, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 5) continue;
    std::string mount_point;
    absl::string_view f = fields[4];
    for (size_t i = 0; i < f.size(); ++i) {
      if (f[i] == '\\' && i + 3 < f.size()) {
        mount_point.push_back(static_cast<char>(((f[i + 1] - '0') << 6) | ((f[i + 2] - '0') << 3) |
                                                (f[i + 3] - '0')));
        i += 3;
      } else {
        mount_point.push_back(f[i]);
      }
    }
    if (mount_point == path) return true;
  }
  return false;
}

// Rewrites a file that cannot be replaced (a mount point) in place: not
// atomic, so a reader may see it half written for a moment, as Docker's
// own updates of a container's /etc/hosts are.
absl::Status RewriteInPlace(const std::string& path, absl::string_view content) {
  const int fd = open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  }
  auto fail = [&](absl::string_view what) {
    absl::Status s = absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
    close(fd);
    return s;
  };
  struct stat st;
  if (fstat(fd, &st) != 0) return fail("fstat");
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  if (ftruncate(fd, 0) != 0) return fail("truncate");
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n =
        pwrite(fd, content.data() + written, content.size() - written, static_cast<off_t>(written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync");
  if (close(fd) != 0) {
    return absl::InternalError(absl::StrCat("close ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string UpdateHostsBlock(absl::string_view current, absl::string_view cluster,
                             const std::vector<v1::HostEntry>& entries) {
  const std::string block = RenderBlock(cluster, entries);
  std::string out;
  out.reserve(current.size() + block.size() + 1);
  bool placed = false;
  size_t pos = 0;
  while (pos < current.size()) {
    const Line line = LineAt(current, pos);
    pos += line.full.size();
    if (!IsBeginOf(line.text, cluster)) {
      out.append(line.full.data(), line.full.size());
      continue;
    }
    // Skip the old block: through its END, or up to the next block's BEGIN
    // (or the end of the file) when the END is missing.
    while (pos < current.size()) {
      const Line inner = LineAt(current, pos);
      if (IsAnyBegin(inner.text)) break;
      pos += inner.full.size();
      if (IsEndOf(inner.text, cluster)) break;
    }
    if (!placed) out += block;
    placed = true;
  }
  if (!placed && !block.empty()) {
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += block;
  }
  return out;
}

absl::StatusOr<bool> SyncHostsFile(const std::string& path, absl::string_view cluster,
                                   const std::vector<v1::HostEntry>& entries) {
  RETURN_IF_ERROR(Annotate(CheckWritable(cluster, entries), absl::StrCat("hosts file ", path)));
  ASSIGN_OR_RETURN(const std::string target, ResolveTarget(path));
  ASSIGN_OR_RETURN(std::optional<std::string> current, ReadFileIfExists(target));
  if (!current.has_value() && entries.empty()) return false;
  const std::string updated = UpdateHostsBlock(current.value_or(""), cluster, entries);
  if (current.has_value() && updated == *current) return false;

  mode_t mode = kDefaultMode;
  if (current.has_value()) {
    struct stat st;
    if (stat(target.c_str(), &st) == 0) {
      mode = st.st_mode & 07777;
    } else if (errno != ENOENT) {  // gone since the read: write it new
      return absl::InternalError(
          absl::StrCat("cannot stat hosts file ", target, ": ", std::strerror(errno)));
    }
  }
  if (current.has_value() && IsMountPoint(target)) {
    RETURN_IF_ERROR(
        Annotate(RewriteInPlace(target, updated), absl::StrCat("update hosts file ", path)));
    return true;
  }
  RETURN_IF_ERROR(Annotate(WriteFileAtomically(target, updated, mode),
                           absl::StrCat("update hosts file ", path)));
  return true;
}

}  // namespace bamctl
