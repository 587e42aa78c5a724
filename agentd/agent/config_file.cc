#include "agentd/agent/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agentd/hostfs/safe_fs.h"

namespace bamctl {
namespace {

constexpr off_t kMaxConfigBytes = off_t{1} << 20;

// Whether `st` is owned by root or by us and writable by no one else.
absl::Status CheckTrusted(const std::string& path, const struct stat& st, const char* what) {
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": the agent's settings ", what, " is owned by uid ", st.st_uid,
                     "; it must be owned by root (it holds the host policy of a root daemon)"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        path, ": the agent's settings ", what, " is writable by group or others (mode ",
        absl::StrFormat("%04o", st.st_mode & 07777), "); chmod go-w it"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadAgentConfig(const std::string& path) {
  // O_NONBLOCK: a FIFO planted here must not hang the start.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  const safefs::UniqueFd closer(fd);
  struct stat st = {};
  if (fstat(fd, &st) != 0) {
    return absl::InternalError(absl::StrCat(path, ": fstat: ", std::strerror(errno)));
  }
  // `--config=/dev/null`: no settings file, said explicitly.
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) return std::string();
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the agent's settings file must be a regular file"));
  }
  if (absl::Status s = CheckTrusted(path, st, "file"); !s.ok()) return s;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  struct stat dir_st = {};
  if (stat(dir.empty() ? "." : dir.c_str(), &dir_st) != 0) {
    return absl::InternalError(absl::StrCat(dir, ": stat: ", std::strerror(errno)));
  }
  if (absl::Status s = CheckTrusted(dir.empty() ? "." : dir, dir_st, "file's directory"); !s.ok()) {
    return s;
  }
  if (st.st_size > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", st.st_size, " bytes; the agent's settings file may have at most ",
                     kMaxConfigBytes));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat(path, ": read: ", std::strerror(errno)));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return text;
}

absl::StatusOr<std::vector<std::string>> ParseAgentConfig(
    absl::string_view text, absl::string_view file_name,
    const std::function<bool(absl::string_view)>& is_flag,
    const std::vector<std::string>& valid_names) {
  std::vector<std::string> args;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    absl::ConsumePrefix(&line, "--");
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": expected `name = value`, got \"", line, "\""));
    }
    const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, eq));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (!is_flag(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file_name, ":", line_no, ": unknown setting \"", name,
                       "\"; valid settings: ", absl::StrJoin(valid_names, ", ")));
    }
    args.push_back(absl::StrCat("--", name, "=", value));
  }
  return args;
}

}  // namespace bamctl
