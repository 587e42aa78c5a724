#include "agentd/testing/agent_fakes.h"

#include <fnmatch.h>

namespace bamctl::testing {
namespace {

// Every proper ancestor of `path` ("/a/b/c": "/a", "/a/b").
std::vector<std::string> Parents(const std::string& path) {
  std::vector<std::string> out;
  for (size_t i = path.find('/', 1); i != std::string::npos; i = path.find('/', i + 1)) {
    out.push_back(path.substr(0, i));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> MemoryFilesystem::ReadFile(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second.content);
}

absl::Status MemoryFilesystem::WriteFile(const std::string& path, absl::string_view content,
                                         mode_t mode, const std::string& owner) {
  if (unwritable.count(path) > 0) {
    return absl::PermissionDeniedError(absl::StrCat("write ", path, ": read-only"));
  }
  for (const std::string& parent : Parents(path)) dirs.emplace(parent, File{"", 0755, ""});
  File& f = files[path];
  f.content = std::string(content);
  f.mode = mode;
  f.owner = owner;
  writes.push_back(path);
  return absl::OkStatus();
}

std::optional<PathInfo> MemoryFilesystem::Stat(const std::string& path) {
  // "" is the agent's (root); an unknown owner is no uid a user has.
  auto uid = [this](const std::string& owner) -> uid_t {
    if (owner.empty()) return 0;
    auto it = users.find(owner);
    return it == users.end() ? static_cast<uid_t>(-1) : it->second;
  };
  if (auto it = files.find(path); it != files.end()) {
    return PathInfo{false, it->second.mode, uid(it->second.owner), it->second.content.size()};
  }
  if (auto it = dirs.find(path); it != dirs.end()) {
    return PathInfo{true, it->second.mode, uid(it->second.owner)};
  }
  return std::nullopt;
}

absl::Status MemoryFilesystem::MakeDirs(const std::string& path, mode_t mode,
                                        const std::string& owner) {
  for (const std::string& parent : Parents(path)) dirs.emplace(parent, File{"", 0755, ""});
  dirs.emplace(path, File{"", mode, owner});
  return absl::OkStatus();
}

absl::Status MemoryFilesystem::Chmod(const std::string& path, mode_t mode) {
  if (auto it = files.find(path); it != files.end()) {
    it->second.mode = mode;
  } else if (auto d = dirs.find(path); d != dirs.end()) {
    d->second.mode = mode;
  } else {
    return absl::NotFoundError(absl::StrCat("chmod ", path));
  }
  return absl::OkStatus();
}

absl::Status MemoryFilesystem::Chown(const std::string& path, const std::string& user) {
  if (user.empty()) return absl::OkStatus();
  if (users.count(user) == 0) {
    return absl::NotFoundError(absl::StrCat("chown ", path, ": no user \"", user, "\""));
  }
  if (auto it = files.find(path); it != files.end()) {
    it->second.owner = user;
  } else if (auto d = dirs.find(path); d != dirs.end()) {
    d->second.owner = user;
  } else {
    return absl::NotFoundError(absl::StrCat("chown ", path));
  }
  return absl::OkStatus();
}

std::optional<uid_t> MemoryFilesystem::UserId(const std::string& user) {
  auto it = users.find(user);
  if (it == users.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MemoryFilesystem::RemoveMatching(const std::string& pattern) {
  std::vector<std::string> removed;
  for (auto* table : {&files, &dirs}) {
    for (auto it = table->begin(); it != table->end();) {
      if (fnmatch(pattern.c_str(), it->first.c_str(), FNM_PATHNAME) == 0) {
        removed.push_back(it->first);
        it = table->erase(it);
      } else {
        ++it;
      }
    }
  }
  return removed;
}

}  // namespace bamctl::testing
