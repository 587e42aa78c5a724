#include "agentd/hostfs/safe_fs.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace bamctl::safefs {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kFileFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

absl::Status Errno(absl::string_view what, absl::string_view path, int err = errno) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

// What a directory to create looks like.
struct Create {
  mode_t mode = 0755;
  std::optional<Owner> hand_to;  // owner of the last component, when made
};

// A directory whose owner, group or others (without the sticky bit) may
// write, other than root, the agent and `role`: such a user could swap what
// the agent is about to write for something of theirs.
absl::Status CheckWriters(const struct stat& st, const std::optional<Owner>& role,
                          absl::string_view path) {
  const bool role_uid = role.has_value() && st.st_uid == role->uid;
  const bool role_gid = role.has_value() && st.st_gid == role->gid;
  if (st.st_uid != 0 && st.st_uid != geteuid() && !role_uid) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, " is owned by uid ", st.st_uid,
                     ": directories on the way must belong to root, the agent or the role's user"));
  }
  if ((st.st_mode & S_IWGRP) != 0 && st.st_gid != 0 && st.st_gid != getegid() && !role_gid) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, " is writable by group ", st.st_gid,
                     ": directories on the way must be writable only by root, the agent or the "
                     "role's user"));
  }
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        path,
        " is writable by everyone: directories on the way must be writable only by root, "
        "the agent or the role's user"));
  }
  return absl::OkStatus();
}

// Why `name` in `dir` could not be opened without following a link.
absl::Status OpenError(int dir, const std::string& name, const std::string& path, int err) {
  struct stat st;
  if ((err == ELOOP || err == ENOTDIR) &&
      fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, " is a symbolic link: the agent never follows one"));
    }
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  }
  if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
  return Errno("open", path, err);
}

absl::StatusOr<UniqueFd> Walk(const std::string& path, const std::optional<Owner>& role,
                              bool check_writers, const std::optional<Create>& create) {
  if (absl::Status valid = CheckPath(path); !valid.ok()) return valid;
  UniqueFd dir(open("/", kDirFlags));
  if (dir.get() < 0) return Errno("open", "/");
  std::string walked;
  const std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  for (size_t i = 0; i <= parts.size(); ++i) {
    struct stat st;
    if (fstat(dir.get(), &st) != 0) return Errno("stat", walked.empty() ? "/" : walked);
    if (check_writers) {
      if (absl::Status ok = CheckWriters(st, role, walked.empty() ? "/" : walked); !ok.ok()) {
        return ok;
      }
    }
    if (i == parts.size()) break;
    const std::string& name = parts[i];
    walked = absl::StrCat(walked, "/", name);
    int next = openat(dir.get(), name.c_str(), kDirFlags);
    if (next < 0 && errno == ENOENT && create.has_value()) {
      const bool last = i + 1 == parts.size();
      const mode_t mode = last ? create->mode : 0755;
      if (mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
        return Errno("mkdir", walked);
      }
      next = openat(dir.get(), name.c_str(), kDirFlags);
      if (next < 0) return OpenError(dir.get(), name, walked, errno);
      UniqueFd made(next);
      // mkdir's mode went through the umask; the owner is set on the
      // descriptor, so a link swapped in meanwhile is never chowned.
      if (fchmod(made.get(), mode) != 0) return Errno("chmod", walked);
      if (last && create->hand_to.has_value() && geteuid() == 0 &&
          fchown(made.get(), create->hand_to->uid, create->hand_to->gid) != 0) {
        return Errno("chown", walked);
      }
      dir = std::move(made);
      continue;
    }
    if (next < 0) return OpenError(dir.get(), name, walked, errno);
    dir = UniqueFd(next);
  }
  return dir;
}

std::pair<std::string, std::string> SplitParent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == 0) return {"/", path.substr(1)};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// Opens an existing regular file or directory `name` in `dir` for fchown or
// fchmod: never a link, a device or a FIFO, never a file with other hard
// links (it could be /etc/shadow linked into a role's directory).
absl::StatusOr<UniqueFd> OpenForChange(const std::string& path) {
  if (absl::Status valid = CheckPath(path); !valid.ok()) return valid;
  if (path == "/") return absl::PermissionDeniedError("the agent never changes / itself");
  auto [parent, name] = SplitParent(path);
  absl::StatusOr<UniqueFd> dir = Walk(parent, std::nullopt, false, std::nullopt);
  if (!dir.ok()) return dir.status();
  const int fd = openat(dir->get(), name.c_str(), kFileFlags);
  if (fd < 0) return OpenError(dir->get(), name, path, errno);
  UniqueFd file(fd);
  struct stat st;
  if (fstat(file.get(), &st) != 0) return Errno("stat", path);
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, " is neither a regular file nor a directory"));
  }
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    return absl::PermissionDeniedError(absl::StrCat(
        path, " has ", st.st_nlink, " hard links: the agent changes only its own files"));
  }
  return file;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

std::optional<Owner> LookUpOwner(const std::string& user) {
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return Owner{pw.pw_uid, pw.pw_gid};
}

absl::Status CheckPath(absl::string_view path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(absl::StrCat("path \"", path, "\" is not absolute"));
  }
  if (path == "/") return absl::OkStatus();
  for (absl::string_view part : absl::StrSplit(path.substr(1), '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat(
          "path \"", path, "\" is not normalized (no empty, \".\" or \"..\" components)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> OpenDirectory(const std::string& path, std::optional<Owner> owner,
                                       std::optional<mode_t> create_mode) {
  std::optional<Create> create;
  if (create_mode.has_value()) create = Create{*create_mode, owner};
  return Walk(path, owner, true, create);
}

absl::StatusOr<std::optional<std::string>> ReadFile(const std::string& path, size_t max_bytes) {
  if (absl::Status valid = CheckPath(path); !valid.ok()) return valid;
  auto [parent, name] = SplitParent(path);
  absl::StatusOr<UniqueFd> dir = Walk(parent, std::nullopt, false, std::nullopt);
  if (absl::IsNotFound(dir.status())) return std::optional<std::string>();
  if (!dir.ok()) return dir.status();
  const int fd = openat(dir->get(), name.c_str(), kFileFlags);
  if (fd < 0 && errno == ENOENT) return std::optional<std::string>();
  if (fd < 0) return OpenError(dir->get(), name, path, errno);
  UniqueFd file(fd);
  struct stat st;
  if (fstat(file.get(), &st) != 0) return Errno("stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(absl::StrCat(
        path, " is not a regular file (a directory, FIFO or device): the agent reads only files"));
  }
  if (st.st_nlink > 1) {
    return absl::PermissionDeniedError(absl::StrCat(
        path, " has ", st.st_nlink, " hard links: the agent reads only its own files"));
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, " is ", st.st_size, " bytes, more than the ", max_bytes, " allowed"));
  }
  std::string content;
  char buf[8192];
  while (true) {
    const ssize_t n = read(file.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read", path);
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > max_bytes) {  // grew while read
      return absl::PermissionDeniedError(
          absl::StrCat(path, " is more than the ", max_bytes, " bytes allowed"));
    }
  }
  return std::optional<std::string>(std::move(content));
}

absl::StatusOr<std::string> ReadSecret(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> content = ReadFile(path, kMaxSecretBytes);
  if (!content.ok()) {
    return absl::Status(content.status().code(),
                        absl::StrCat("secret file: ", content.status().message()));
  }
  if (!content->has_value()) {
    return absl::NotFoundError(absl::StrCat("secret file ", path, " does not exist"));
  }
  return std::move(**content);
}

absl::Status WriteFile(const std::string& path, absl::string_view content, mode_t mode,
                       std::optional<Owner> owner) {
  if (absl::Status valid = CheckPath(path); !valid.ok()) return valid;
  if (path == "/") return absl::InvalidArgumentError("cannot write a file at /");
  auto [parent, name] = SplitParent(path);
  absl::StatusOr<UniqueFd> dir = Walk(parent, owner, true, Create{0755, std::nullopt});
  if (!dir.ok()) return dir.status();
  static std::atomic<int> counter{0};
  const std::string tmp = absl::StrCat(".", name, ".tmp.", getpid(), ".", counter++);
  const int fd =
      openat(dir->get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", absl::StrCat(parent, "/", tmp));
  UniqueFd file(fd);
  auto fail = [&](absl::string_view what) {
    absl::Status error = Errno(what, path);
    unlinkat(dir->get(), tmp.c_str(), 0);
    return error;
  };
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(file.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (owner.has_value() && geteuid() == 0 && fchown(file.get(), owner->uid, owner->gid) != 0) {
    return fail("chown");
  }
  if (fchmod(file.get(), mode) != 0) return fail("chmod");
  if (fsync(file.get()) != 0) return fail("fsync");
  // rename replaces a symlink at `path` itself, never what it points to.
  if (renameat(dir->get(), tmp.c_str(), dir->get(), name.c_str()) != 0) return fail("rename");
  if (fsync(dir->get()) != 0) return Errno("fsync", parent);
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path, mode_t mode, std::optional<Owner> owner) {
  return OpenDirectory(path, owner, mode).status();
}

absl::Status Chmod(const std::string& path, mode_t mode) {
  absl::StatusOr<UniqueFd> fd = OpenForChange(path);
  if (!fd.ok()) return fd.status();
  if (fchmod(fd->get(), mode) != 0) return Errno("chmod", path);
  return absl::OkStatus();
}

absl::Status Chown(const std::string& path, Owner owner) {
  absl::StatusOr<UniqueFd> fd = OpenForChange(path);
  if (!fd.ok()) return fd.status();
  if (fchown(fd->get(), owner.uid, owner.gid) != 0) return Errno("chown", path);
  return absl::OkStatus();
}

}  // namespace bamctl::safefs
