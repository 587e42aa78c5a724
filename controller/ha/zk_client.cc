#include "controller/ha/zk_client.h"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/utf8.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

int CreateFlags(ZkCreateMode mode) {
  switch (mode) {
    case ZkCreateMode::kPersistent:
      return ZOO_PERSISTENT;
    case ZkCreateMode::kEphemeral:
      return ZOO_EPHEMERAL;
    case ZkCreateMode::kPersistentSequential:
      return ZOO_PERSISTENT_SEQUENTIAL;
    case ZkCreateMode::kEphemeralSequential:
      return ZOO_EPHEMERAL_SEQUENTIAL;
  }
  return ZOO_PERSISTENT;
}

// The C client's log lines, into ours.
void LogLine(const char* message) { spdlog::debug("zookeeper client: {}", message); }

absl::StatusCode CodeOf(int rc) {
  if (rc == ZNONODE) return absl::StatusCode::kNotFound;
  if (rc == ZNODEEXISTS) return absl::StatusCode::kAlreadyExists;
  if (rc == ZBADVERSION || rc == ZNOTEMPTY || rc == ZNOCHILDRENFOREPHEMERALS) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (rc == ZNOAUTH || rc == ZAUTHFAILED) return absl::StatusCode::kPermissionDenied;
  if (rc == ZBADARGUMENTS) return absl::StatusCode::kInvalidArgument;
  if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
      rc == ZINVALIDSTATE || rc == ZCLOSING) {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

const char* OpName(ZkOp::Kind kind) {
  switch (kind) {
    case ZkOp::Kind::kCreate:
      return "create";
    case ZkOp::Kind::kDelete:
      return "delete";
    case ZkOp::Kind::kSet:
      return "set";
    case ZkOp::Kind::kCheck:
      return "check";
  }
  return "?";
}

}  // namespace

const char* ZkSessionStateName(ZkSessionState state) {
  switch (state) {
    case ZkSessionState::kConnecting:
      return "connecting";
    case ZkSessionState::kConnected:
      return "connected";
    case ZkSessionState::kExpired:
      return "expired";
    case ZkSessionState::kAuthFailed:
      return "auth-failed";
    case ZkSessionState::kClosed:
      return "closed";
  }
  return "?";
}

ZkOp ZkOp::Create(std::string path, std::string data, ZkCreateMode mode) {
  ZkOp op;
  op.kind = Kind::kCreate;
  op.path = std::move(path);
  op.data = std::move(data);
  op.mode = mode;
  return op;
}

ZkOp ZkOp::Delete(std::string path, int32_t version) {
  ZkOp op;
  op.kind = Kind::kDelete;
  op.path = std::move(path);
  op.version = version;
  return op;
}

ZkOp ZkOp::Set(std::string path, std::string data, int32_t version) {
  ZkOp op;
  op.kind = Kind::kSet;
  op.path = std::move(path);
  op.data = std::move(data);
  op.version = version;
  return op;
}

ZkOp ZkOp::Check(std::string path, int32_t version) {
  ZkOp op;
  op.kind = Kind::kCheck;
  op.path = std::move(path);
  op.version = version;
  return op;
}

ZkClient::ZkClient(ZkOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<ZkClient>> ZkClient::Connect(const ZkOptions& options,
                                                            std::chrono::milliseconds timeout) {
  if (options.servers.empty()) {
    return absl::InvalidArgumentError("no ZooKeeper servers given (HOST:PORT,...)");
  }
  if (!options.digest.empty() && options.digest.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "the ZooKeeper digest credentials must be USER:PASSWORD (no ':' found)");
  }
  static const bool quiet = [] {
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    return true;
  }();
  (void)quiet;
  std::unique_ptr<ZkClient> client(new ZkClient(options));
  zhandle_t* zh = zookeeper_init2(options.servers.c_str(), &ZkClient::OnEvent,
                                  static_cast<int>(options.session_timeout.count()), nullptr,
                                  client.get(), 0, &LogLine);
  if (zh == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot start a ZooKeeper session with \"", CutText(options.servers, 200),
                     "\": ", zerror(errno), " (expected HOST:PORT,...)"));
  }
  {
    absl::MutexLock lock(&client->mu_);
    client->zh_ = zh;
  }
  absl::Condition settled(
      +[](ZkSessionState* s) { return *s != ZkSessionState::kConnecting; }, &client->state_);
  {
    absl::MutexLock lock(&client->mu_);
    client->mu_.AwaitWithTimeout(settled, absl::FromChrono(timeout));
    if (client->state_ != ZkSessionState::kConnected) {
      return absl::UnavailableError(
          absl::StrCat("no ZooKeeper server of ", options.servers, " answered within ",
                       timeout.count(), " ms (session ", ZkSessionStateName(client->state_), ")"));
    }
  }
  if (!options.digest.empty()) {
    struct AuthResult {
      absl::Mutex mu;
      bool done ABSL_GUARDED_BY(mu) = false;
      int rc ABSL_GUARDED_BY(mu) = ZOK;
    };
    auto result = std::make_shared<AuthResult>();
    // The completion may run after a timed-out wait: it owns a reference.
    auto* held = new std::shared_ptr<AuthResult>(result);
    const int rc = zoo_add_auth(
        zh, "digest", options.digest.data(), static_cast<int>(options.digest.size()),
        +[](int rc, const void* data) {
          auto* r = static_cast<std::shared_ptr<AuthResult>*>(const_cast<void*>(data));
          {
            absl::MutexLock lock(&(*r)->mu);
            (*r)->done = true;
            (*r)->rc = rc;
          }
          delete r;
        },
        held);
    if (rc != ZOK) {
      delete held;
      return client->Error(rc, "authenticate (digest)", "");
    }
    absl::MutexLock lock(&result->mu);
    result->mu.AwaitWithTimeout(absl::Condition(&result->done), absl::FromChrono(timeout));
    if (!result->done) {
      return absl::UnavailableError(
          absl::StrCat("ZooKeeper at ", options.servers, " did not answer the digest credentials"));
    }
    if (result->rc != ZOK) return client->Error(result->rc, "authenticate (digest)", "");
  }
  return client;
}

ZkClient::~ZkClient() { Close(); }

void ZkClient::Close() {
  absl::MutexLock use(&use_mu_);  // waits for calls in flight
  zhandle_t* zh = nullptr;
  {
    absl::MutexLock lock(&mu_);
    std::swap(zh, zh_);
    if (zh == nullptr) return;
    state_ = ZkSessionState::kClosed;
  }
  // Outside the lock: closing delivers the last events, which take it.
  zookeeper_close(zh);
  absl::MutexLock lock(&mu_);
  watches_.clear();
}

ZkSessionState ZkClient::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

int64_t ZkClient::session_id() const {
  absl::MutexLock lock(&mu_);
  if (zh_ == nullptr) return 0;
  const clientid_t* id = zoo_client_id(zh_);
  return id == nullptr ? 0 : id->client_id;
}

ZkClient::SessionKey ZkClient::session_key() const {
  absl::MutexLock lock(&mu_);
  SessionKey key;
  if (zh_ == nullptr) return key;
  const clientid_t* id = zoo_client_id(zh_);
  if (id == nullptr) return key;
  key.id = id->client_id;
  key.password.assign(id->passwd, sizeof(id->passwd));
  return key;
}

void ZkClient::SetSessionListener(SessionListener listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

zhandle_t* ZkClient::handle() const {
  absl::MutexLock lock(&mu_);
  return zh_;
}

void ZkClient::OnEvent(zhandle_t* /*zh*/, int type, int state, const char* /*path*/,
                       void* context) {
  if (type != ZOO_SESSION_EVENT) return;  // node events go to their watches
  static_cast<ZkClient*>(context)->OnSessionEvent(state);
}

void ZkClient::OnSessionEvent(int state) {
  SessionListener listener;
  ZkSessionState now;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == ZkSessionState::kClosed) return;
    if (state == ZOO_CONNECTED_STATE) {
      state_ = ZkSessionState::kConnected;
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
      state_ = ZkSessionState::kExpired;
    } else if (state == ZOO_AUTH_FAILED_STATE) {
      state_ = ZkSessionState::kAuthFailed;
    } else if (state_ != ZkSessionState::kExpired && state_ != ZkSessionState::kAuthFailed) {
      state_ = ZkSessionState::kConnecting;
    }
    now = state_;
    listener = listener_;
  }
  if (listener) listener(now);
}

void* ZkClient::AddWatch(Watch watch) {
  absl::MutexLock lock(&mu_);
  const intptr_t id = next_watch_++;
  watches_.emplace(id, std::move(watch));
  // The context is an opaque word to the C client: an id, never dereferenced.
  return reinterpret_cast<void*>(id);  // NOLINT(performance-no-int-to-ptr)
}

void ZkClient::DropWatch(void* context) {
  if (context == nullptr) return;
  absl::MutexLock lock(&mu_);
  watches_.erase(reinterpret_cast<intptr_t>(context));
}

void ZkClient::OnWatch(zhandle_t* zh, int type, int /*state*/, const char* /*path*/,
                       void* context) {
  // Session events reach every watch without ending it; the node's own
  // event (or the client's end) does.
  if (type == ZOO_SESSION_EVENT) return;
  auto* client = static_cast<ZkClient*>(const_cast<void*>(zoo_get_context(zh)));
  client->RunWatch(reinterpret_cast<intptr_t>(context));
}

void ZkClient::RunWatch(intptr_t id) {
  Watch watch;
  {
    absl::MutexLock lock(&mu_);
    auto it = watches_.find(id);
    if (it == watches_.end()) return;
    watch = std::move(it->second);
    watches_.erase(it);
  }
  watch();
}

absl::Status ZkClient::Error(int rc, absl::string_view op, absl::string_view path) const {
  std::string detail = zerror(rc);
  if (rc == ZBADVERSION) detail = "the node changed since it was read (version mismatch)";
  if (rc == ZNOAUTH) detail = "not allowed by the node's ACL (other digest credentials?)";
  return absl::Status(CodeOf(rc), absl::StrCat("ZooKeeper ", op, path.empty() ? "" : " ", path,
                                               " at ", options_.servers, ": ", detail));
}

absl::StatusOr<std::string> ZkClient::Create(const std::string& path, const std::string& data,
                                             ZkCreateMode mode) {
  if (data.size() > kMaxNodeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("ZooKeeper create ", path, ": ", data.size(),
                                                   " bytes, more than a znode holds (",
                                                   kMaxNodeBytes, ")"));
  }
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "create", path);
  std::string created(path.size() + 32, '\0');
  const int rc = zoo_create(zh, path.c_str(), data.data(), static_cast<int>(data.size()),
                            options_.digest.empty() ? &ZOO_OPEN_ACL_UNSAFE : &ZOO_CREATOR_ALL_ACL,
                            CreateFlags(mode), created.data(), static_cast<int>(created.size()));
  if (rc != ZOK) return Error(rc, "create", path);
  created.resize(created.find('\0'));
  return created;
}

absl::Status ZkClient::EnsurePath(const std::string& path) {
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&prefix, "/", part);
    absl::StatusOr<std::string> made = Create(prefix, "", ZkCreateMode::kPersistent);
    if (!made.ok() && !absl::IsAlreadyExists(made.status())) return made.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<ZkNode> ZkClient::Get(const std::string& path, Watch watch) {
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "get", path);
  std::string buffer(kMaxNodeBytes + size_t{64} * 1024, '\0');
  int length = static_cast<int>(buffer.size());
  struct Stat stat = {};
  void* context = watch ? AddWatch(std::move(watch)) : nullptr;
  const int rc = zoo_wget(zh, path.c_str(), context != nullptr ? &ZkClient::OnWatch : nullptr,
                          context, buffer.data(), &length, &stat);
  if (rc != ZOK) {
    DropWatch(context);
    return Error(rc, "get", path);
  }
  buffer.resize(length < 0 ? 0 : static_cast<size_t>(length));
  return ZkNode{std::move(buffer), stat.version, stat.ephemeralOwner};
}

absl::StatusOr<std::optional<ZkNode>> ZkClient::Exists(const std::string& path, Watch watch) {
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "exists", path);
  struct Stat stat = {};
  void* context = watch ? AddWatch(std::move(watch)) : nullptr;
  const int rc = zoo_wexists(zh, path.c_str(), context != nullptr ? &ZkClient::OnWatch : nullptr,
                             context, &stat);
  // An exists watch on an absent node stays set: it fires on creation.
  if (rc == ZNONODE) return std::nullopt;
  if (rc != ZOK) {
    DropWatch(context);
    return Error(rc, "exists", path);
  }
  return ZkNode{"", stat.version, stat.ephemeralOwner};
}

absl::StatusOr<std::vector<std::string>> ZkClient::Children(const std::string& path, Watch watch) {
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "children", path);
  struct String_vector names = {};
  void* context = watch ? AddWatch(std::move(watch)) : nullptr;
  const int rc = zoo_wget_children(
      zh, path.c_str(), context != nullptr ? &ZkClient::OnWatch : nullptr, context, &names);
  if (rc != ZOK) {
    DropWatch(context);
    return Error(rc, "children", path);
  }
  std::vector<std::string> out(names.data, names.data + names.count);
  deallocate_String_vector(&names);
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status ZkClient::Set(const std::string& path, const std::string& data, int32_t version) {
  if (data.size() > kMaxNodeBytes) {
    return absl::InvalidArgumentError(absl::StrCat("ZooKeeper set ", path, ": ", data.size(),
                                                   " bytes, more than a znode holds (",
                                                   kMaxNodeBytes, ")"));
  }
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "set", path);
  const int rc = zoo_set(zh, path.c_str(), data.data(), static_cast<int>(data.size()), version);
  return rc == ZOK ? absl::OkStatus() : Error(rc, "set", path);
}

absl::Status ZkClient::Delete(const std::string& path, int32_t version) {
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "delete", path);
  const int rc = zoo_delete(zh, path.c_str(), version);
  return rc == ZOK ? absl::OkStatus() : Error(rc, "delete", path);
}

absl::StatusOr<std::vector<std::string>> ZkClient::Multi(const std::vector<ZkOp>& ops) {
  if (ops.empty()) return std::vector<std::string>();
  absl::ReaderMutexLock use(&use_mu_);
  zhandle_t* zh = handle();
  if (zh == nullptr) return Error(ZCLOSING, "multi", "");
  // libzookeeper_mt 3.8's zoo_amulti, handed a session that is already
  // expired, fails the first sub-request and then frees the uninitialized
  // path of each later one, which in practice is the previous one's path:
  // ours, freed a second time when the op goes (a controller paused past
  // its session died of it on waking). So a multi goes only on a connected
  // session, refused before anything is sent ("nothing was committed"),
  // and the paths the C client sees are its own copies, abandoned to it
  // if it fails that way in the moment the session expires after this
  // check.
  if (zoo_state(zh) != ZOO_CONNECTED_STATE) {
    return absl::FailedPreconditionError(
        absl::StrCat("ZooKeeper multi at ", options_.servers, ": the session is ",
                     zoo_state(zh) < 0 ? "expired" : "not connected", "; nothing was sent"));
  }
  std::vector<std::unique_ptr<char, decltype(&free)>> c_paths;
  c_paths.reserve(ops.size());
  for (const ZkOp& op : ops) c_paths.emplace_back(strdup(op.path.c_str()), &free);
  std::vector<zoo_op_t> zops(ops.size());
  std::vector<zoo_op_result_t> results(ops.size());
  std::vector<std::string> created(ops.size());
  const struct ACL_vector* acl =
      options_.digest.empty() ? &ZOO_OPEN_ACL_UNSAFE : &ZOO_CREATOR_ALL_ACL;
  for (size_t i = 0; i < ops.size(); ++i) {
    const ZkOp& op = ops[i];
    if (op.data.size() > kMaxNodeBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("ZooKeeper ", OpName(op.kind), " ", op.path, ": ", op.data.size(),
                       " bytes, more than a znode holds (", kMaxNodeBytes, ")"));
    }
    switch (op.kind) {
      case ZkOp::Kind::kCreate:
        created[i].assign(op.path.size() + 32, '\0');
        zoo_create_op_init(&zops[i], c_paths[i].get(), op.data.data(),
                           static_cast<int>(op.data.size()), acl, CreateFlags(op.mode),
                           created[i].data(), static_cast<int>(created[i].size()));
        break;
      case ZkOp::Kind::kDelete:
        zoo_delete_op_init(&zops[i], c_paths[i].get(), op.version);
        break;
      case ZkOp::Kind::kSet:
        zoo_set_op_init(&zops[i], c_paths[i].get(), op.data.data(),
                        static_cast<int>(op.data.size()), op.version, nullptr);
        break;
      case ZkOp::Kind::kCheck:
        zoo_check_op_init(&zops[i], c_paths[i].get(), op.version);
        break;
    }
  }
  const int rc = zoo_multi(zh, static_cast<int>(zops.size()), zops.data(), results.data());
  if (rc == ZINVALIDSTATE || rc == ZBADARGUMENTS) {
    // Refused before sending; the C client may have freed one of the paths.
    for (auto& path : c_paths) (void)path.release();
  }
  if (rc != ZOK) {
    // The op that failed carries the reason; the others say "rolled back".
    for (size_t i = 0; i < ops.size(); ++i) {
      if (results[i].err != ZOK && results[i].err != ZRUNTIMEINCONSISTENCY) {
        return Error(
            results[i].err,
            absl::StrCat("multi (op ", i + 1, " of ", ops.size(), ": ", OpName(ops[i].kind), ")"),
            ops[i].path);
      }
    }
    return Error(rc, "multi", "");
  }
  std::vector<std::string> paths(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == ZkOp::Kind::kCreate) {
      paths[i] = created[i].substr(0, created[i].find('\0'));
    } else {
      paths[i] = ops[i].path;
    }
  }
  return paths;
}

}  // namespace bamctl
