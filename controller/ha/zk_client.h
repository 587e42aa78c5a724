#ifndef BAMCTL_CONTROLLER_HA_ZK_CLIENT_H_
#define BAMCTL_CONTROLLER_HA_ZK_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

typedef struct _zhandle zhandle_t;  // NOLINT: the C client's own name

namespace bamctl {

// The session of a ZooKeeper client, as the C client reports it.
enum class ZkSessionState {
  kConnecting,  // no server yet, or between servers; the session may live on
  kConnected,   // requests go through
  kExpired,     // the ensemble ended the session: its ephemerals are gone
  kAuthFailed,  // the ensemble refused our credentials
  kClosed,      // Close() ran
};
const char* ZkSessionStateName(ZkSessionState state);

enum class ZkCreateMode { kPersistent, kEphemeral, kPersistentSequential, kEphemeralSequential };

// A znode's data and the version a conditional write names.
struct ZkNode {
  std::string data;
  int32_t version = 0;
  int64_t ephemeral_owner = 0;  // the owning session, 0 for a persistent node
};

// One operation of a Multi: all apply or none does.
struct ZkOp {
  enum class Kind { kCreate, kDelete, kSet, kCheck };
  Kind kind = Kind::kCheck;
  std::string path;
  std::string data;                               // kCreate, kSet
  int32_t version = -1;                           // kDelete, kSet, kCheck; -1: any
  ZkCreateMode mode = ZkCreateMode::kPersistent;  // kCreate

  static ZkOp Create(std::string path, std::string data,
                     ZkCreateMode mode = ZkCreateMode::kPersistent);
  static ZkOp Delete(std::string path, int32_t version = -1);
  static ZkOp Set(std::string path, std::string data, int32_t version = -1);
  // Holds only while `path` exists with `version` (-1: exists at all): the
  // fencing check of a leader's writes.
  static ZkOp Check(std::string path, int32_t version = -1);
};

struct ZkOptions {
  // "host:port,host:port,...": the ensemble's client addresses.
  std::string servers;
  std::chrono::milliseconds session_timeout{10'000};
  // "user:password" for ZooKeeper's digest scheme; nodes this client
  // creates are then readable and writable by that identity only. Empty:
  // no credentials, and nodes are open to every client (tests only).
  std::string digest;
};

// A ZooKeeper client over the C client (libzookeeper_mt): blocking calls
// returning absl::Status, with errors that name the operation, the path and
// the servers. Watches are one-shot callbacks; they and the session
// listener run on the C client's event thread and must not call back into
// this client (they should only signal another thread). Thread-safe.
class ZkClient {
 public:
  using Watch = std::function<void()>;
  using SessionListener = std::function<void(ZkSessionState)>;

  // Starts a session and waits up to `timeout` for it to connect (and for
  // the digest credentials to be accepted).
  static absl::StatusOr<std::unique_ptr<ZkClient>> Connect(const ZkOptions& options,
                                                           std::chrono::milliseconds timeout);
  ~ZkClient();
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Ends the session now (its ephemerals go at once, not after the timeout).
  void Close();
  ZkSessionState state() const;
  int64_t session_id() const;
  // The session's id and password (16 bytes): another handle given them
  // takes the session over (a test ends a session with it, as the server
  // does for a client away too long). Id 0 when closed.
  struct SessionKey {
    int64_t id = 0;
    std::string password;
  };
  SessionKey session_key() const;
  // Called on every session state change (see the class comment).
  void SetSessionListener(SessionListener listener);

  // The created node's path (with the sequence number for sequential modes).
  absl::StatusOr<std::string> Create(const std::string& path, const std::string& data,
                                     ZkCreateMode mode);
  // Creates `path` and its missing parents as empty persistent nodes.
  absl::Status EnsurePath(const std::string& path);
  // NotFound when absent. `watch` fires once when the node changes or goes.
  absl::StatusOr<ZkNode> Get(const std::string& path, Watch watch = nullptr);
  // nullopt when absent; `watch` fires once when it is created, changes or
  // goes.
  absl::StatusOr<std::optional<ZkNode>> Exists(const std::string& path, Watch watch = nullptr);
  // Child names, sorted. `watch` fires once when the children change.
  absl::StatusOr<std::vector<std::string>> Children(const std::string& path, Watch watch = nullptr);
  // FailedPrecondition when `version` is given and differs.
  absl::Status Set(const std::string& path, const std::string& data, int32_t version = -1);
  absl::Status Delete(const std::string& path, int32_t version = -1);
  // All of `ops` or none. Returns the path each op names (the created path
  // for a create). An error names the first op that failed and why.
  absl::StatusOr<std::vector<std::string>> Multi(const std::vector<ZkOp>& ops);

  // The largest znode this client writes (ZooKeeper's jute.maxbuffer is
  // 1 MiB, headers included).
  static constexpr size_t kMaxNodeBytes = 1000 * 1024;

 private:
  explicit ZkClient(ZkOptions options);
  static void OnEvent(zhandle_t* zh, int type, int state, const char* path, void* context);
  static void OnWatch(zhandle_t* zh, int type, int state, const char* path, void* context);
  void OnSessionEvent(int state);
  // A watch's context: an id in `watches_`, so a watch the C client never
  // fires (session gone) is freed with the client, and one fired twice is
  // harmless.
  void* AddWatch(Watch watch);
  void RunWatch(intptr_t id);
  // Forgets a watch whose call failed (the C client will not fire it).
  void DropWatch(void* context);
  absl::Status Error(int rc, absl::string_view op, absl::string_view path) const;
  zhandle_t* handle() const;

  const ZkOptions options_;
  // Held shared by every call that uses the handle, exclusively by Close:
  // the handle is never freed under a call.
  absl::Mutex use_mu_;
  mutable absl::Mutex mu_;
  zhandle_t* zh_ ABSL_GUARDED_BY(mu_) = nullptr;
  ZkSessionState state_ ABSL_GUARDED_BY(mu_) = ZkSessionState::kConnecting;
  SessionListener listener_ ABSL_GUARDED_BY(mu_);
  std::map<intptr_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
  intptr_t next_watch_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_HA_ZK_CLIENT_H_
