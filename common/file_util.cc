#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path, int err = errno) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::Status EnsureFileMode(const std::string& path, mode_t mode) {
  int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST) fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno),
                                               errno == ELOOP ? " (a symlink)" : ""));
  }
  struct stat st {};
  absl::Status status;
  if (fstat(fd, &st) != 0) {
    status = absl::UnavailableError(absl::StrCat("cannot stat ", path, ": ", std::strerror(errno)));
  } else if (!S_ISREG(st.st_mode)) {
    status = absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  } else if ((st.st_mode & 07777 & ~mode) != 0 && fchmod(fd, st.st_mode & mode & 07777) != 0) {
    status =
        absl::UnavailableError(absl::StrCat("cannot chmod ", path, ": ", std::strerror(errno)));
  }
  close(fd);
  return status;
}

absl::Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty() || path == "/" || path == ".") return absl::OkStatus();
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a directory"));
  }
  // Missing parents get 0755, as with mkdir -p: a 0750 root-owned /opt
  // made on the way would keep the role user from its own data dir.
  if (absl::Status parent = MakeDirs(ParentDirectory(path), 0755); !parent.ok()) return parent;
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return ErrnoError("mkdir", path);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode) {
  const std::string dir = ParentDirectory(path);
  if (absl::Status made = MakeDirs(dir, 0755); !made.ok()) return made;
  std::string tmp = absl::StrCat(path, ".tmp.XXXXXX");
  // mkstemp creates the file 0600, so a secret is never readable by others.
  int fd = mkstemp(tmp.data());
  if (fd < 0) return ErrnoError("create temp file for", path);
  auto fail = [&](absl::string_view what) {
    absl::Status status = ErrnoError(what, tmp);
    close(fd);
    unlink(tmp.c_str());
    return status;
  };
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    written += static_cast<size_t>(n);
  }
  if (fchmod(fd, mode) != 0) return fail("chmod");
  if (fsync(fd) != 0) return fail("fsync");
  if (close(fd) != 0) {
    absl::Status status = ErrnoError("close", tmp);
    unlink(tmp.c_str());
    return status;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status status = ErrnoError("rename onto", path);
    unlink(tmp.c_str());
    return status;
  }
  return SyncDirectory(dir);
}

absl::Status WriteNewFile(const std::string& path, absl::string_view content, mode_t mode) {
  std::random_device random;
  const std::string tmp = absl::StrCat(path, ".tmp.", random(), random());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return ErrnoError("create", tmp);
  size_t written = 0;
  int err = 0;
  while (written < content.size() && err == 0) {
    const ssize_t n = write(fd, content.data() + written, content.size() - written);
    if (n >= 0) {
      written += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      err = errno;
    }
  }
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    unlink(tmp.c_str());
    return ErrnoError("write", tmp, err);
  }
  // link(2) fails with EEXIST instead of replacing, unlike rename(2).
  if (link(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    unlink(tmp.c_str());
    if (err == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, " exists; refusing to overwrite it"));
    }
    return ErrnoError("link into place", path, err);
  }
  unlink(tmp.c_str());
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open directory", dir);
  const int err = fsync(fd) == 0 ? 0 : errno;
  close(fd);
  return err == 0 ? absl::OkStatus() : ErrnoError("fsync directory", dir, err);
}

std::string ParentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return ErrnoError("stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("open", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return ErrnoError("read", path);
  return std::optional<std::string>(text.str());
}

}  // namespace bamctl
