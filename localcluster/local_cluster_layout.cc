#include "localcluster/local_cluster_layout.h"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "roles/spec/diagnostic.h"
#include "roles/spec/proto_yaml.h"
#include "roles/spec/role_kind.h"
#include "roles/spec/spec_loader.h"

extern char** environ;

namespace bamctl {
namespace {

namespace fs = std::filesystem;

std::string CurrentUserName() {
  struct passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

absl::Status RunInstall(const std::string& emulator, const std::string& product,
                        const std::string& dest, const std::string& bind_address = "") {
  std::vector<std::string> args = {emulator, "install", product, dest};
  if (!bind_address.empty()) args.push_back("--bind-address=" + bind_address);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Its "installed ..." line is noise here; failures show in the status.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, emulator.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run ", emulator, ": ", std::strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat(emulator, " install ", product, " ", dest, " failed (status ", status, ")"));
  }
  return absl::OkStatus();
}

// The user the roles run as: the given or current one, except that the
// spec refuses root as a role user, so run as root the local cluster hands
// its trees to "nobody", as an operator hands an install to its role user.
struct RoleUser {
  std::string name;
  bool handed_over = false;  // root runs the harness; `name` must own the trees
};

RoleUser ChooseRoleUser(const std::string& requested) {
  const std::string user = requested.empty() ? CurrentUserName() : requested;
  struct passwd* pw = getpwnam(user.c_str());
  if (user == "root" || (pw != nullptr && pw->pw_uid == 0)) return {"nobody", true};
  return {user, false};
}

absl::Status HandOver(const fs::path& tree, const std::string& user, bool recursive = true) {
  struct passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) return absl::FailedPreconditionError(absl::StrCat("no user ", user));
  auto own = [&](const fs::path& p) -> absl::Status {
    if (lchown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("chown ", p.string(), ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(own(tree));
  if (!recursive) return absl::OkStatus();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tree, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    RETURN_IF_ERROR(own(it->path()));
  }
  if (ec) return absl::InternalError(absl::StrCat("walk ", tree.string(), ": ", ec.message()));
  return absl::OkStatus();
}

bool HasAny(const v1::NodeSpec& node, bool (*pred)(RoleKind)) {
  for (const std::string& role : node.roles()) {
    std::optional<RoleKind> kind = ParseRoleName(role);
    if (kind && pred(*kind)) return true;
  }
  return false;
}

}  // namespace

// dfs.safemode.extension of a local cluster (Hadoop's default: 30 s).
constexpr uint32_t kLocalSafeModeExtensionMs = 2000;

absl::StatusOr<LocalClusterLayout> PrepareLocalCluster(const std::string& spec_text,
                                                       const LocalClusterOptions& options) {
  LoadedSpec loaded = LoadSpec(spec_text);
  if (!loaded.ok()) {
    std::string out = "the spec is not valid:";
    for (const Diagnostic& d : loaded.diagnostics) {
      absl::StrAppend(&out, "\n", FormatDiagnostic("spec", d));
    }
    return absl::InvalidArgumentError(out);
  }
  v1::ClusterSpec spec = loaded.spec;
  const RoleUser role_user = ChooseRoleUser(options.user);
  const std::string& user = role_user.name;
  if (role_user.handed_over) {
    // mkdtemp made the run dir 0700: the role user must reach its trees.
    std::error_code ec;
    fs::permissions(options.dir, fs::perms(0755), ec);
    if (ec) return absl::InternalError(absl::StrCat("chmod ", options.dir, ": ", ec.message()));
  }
  spec.set_render_addresses(true);
  spec.set_java_home(options.java_home);
  if (spec.has_hadoop()) {
    spec.mutable_hadoop()->set_user(user);
    spec.mutable_hadoop()->set_java_home(options.java_home);
    // An emulated namespace has no blocks to wait for: a short safe mode
    // keeps starts quick and still shows the namenode leaving it.
    spec.mutable_hadoop()->set_safemode_extension_ms(kLocalSafeModeExtensionMs);
  }
  if (spec.has_cassandra()) {
    spec.mutable_cassandra()->set_user(user);
    spec.mutable_cassandra()->set_java_home(options.java_home);
  }
  if (spec.has_zookeeper()) {
    spec.mutable_zookeeper()->set_user(user);
    spec.mutable_zookeeper()->set_java_home(options.java_home);
    spec.mutable_zookeeper()->set_home(options.zookeeper_home);
    spec.mutable_zookeeper()->set_version(options.zookeeper_version);
  }
  if (spec.has_bam()) {
    spec.mutable_bam()->set_user(user);
    spec.mutable_bam()->set_java_home(options.java_home);
  }

  LocalClusterLayout layout;
  for (int i = 0; i < spec.nodes_size(); ++i) {
    v1::NodeSpec* node = spec.mutable_nodes(i);
    node->set_address(absl::StrCat(options.address_base, ".", i + 1));
    LocalNode local;
    local.name = node->name();
    local.address = node->address();
    const fs::path node_dir = fs::path(options.dir) / node->name();
    local.root = (node_dir / "root").string();
    local.state_dir = (node_dir / "state").string();
    local.log_dir = (node_dir / "log").string();
    for (const std::string& dir : {local.root, local.state_dir, local.log_dir}) {
      RETURN_IF_ERROR(MakeDirs(dir, 0755));
    }
    if (role_user.handed_over) {
      // The emulated products make their own dirs (/tmp/hadoop, /var/lib/
      // cassandra) under the node root, as the role user.
      RETURN_IF_ERROR(HandOver(local.root, user, /*recursive=*/false));
    }
    for (const std::string& link : options.links) {
      const fs::path at = local.root + link;
      std::error_code ec;
      if (fs::is_symlink(at, ec) || !fs::exists(link, ec)) continue;
      fs::create_directories(at.parent_path(), ec);
      fs::create_directory_symlink(link, at, ec);
      if (ec) return absl::InternalError(absl::StrCat("link ", at.string(), ": ", ec.message()));
    }
    if (!options.emulator.empty()) {
      if (HasAny(*node, IsHadoopRole)) {
        RETURN_IF_ERROR(RunInstall(options.emulator, "hadoop", local.root + spec.hadoop().home()));
        if (role_user.handed_over) {
          RETURN_IF_ERROR(HandOver(local.root + spec.hadoop().home(), user));
        }
      }
      if (HasAny(*node, [](RoleKind k) { return k == RoleKind::kCassandra; })) {
        RETURN_IF_ERROR(
            RunInstall(options.emulator, "cassandra", local.root + spec.cassandra().home()));
        if (role_user.handed_over) {
          RETURN_IF_ERROR(HandOver(local.root + spec.cassandra().home(), user));
        }
      }
      if (HasAny(*node, IsBamRole)) {
        // Carbon binds every interface; on one machine the BAM nodes share
        // ports, so the emulated server binds the node's address instead.
        RETURN_IF_ERROR(
            RunInstall(options.emulator, "bam", local.root + spec.bam().home(), local.address));
        if (role_user.handed_over) {
          RETURN_IF_ERROR(HandOver(local.root + spec.bam().home(), user));
        }
        // Secrets, as an operator would put them on the BAM hosts.
        for (const v1::DataSourceSpec* ds :
             {&spec.bam().registry_datasource(), &spec.bam().summary_datasource()}) {
          if (ds->password_file().empty()) continue;
          const std::string path = local.root + ds->password_file();
          if (fs::exists(path)) continue;
          RETURN_IF_ERROR(WriteFileAtomically(path, "local-demo-password\n", 0600));
        }
      }
    }
    layout.nodes.push_back(std::move(local));
  }
  layout.spec_text = absl::StrCat(
      "# Generated by bam-local-cluster for a one-machine cluster: node addresses\n"
      "# mapped to ",
      options.address_base, ".N, files render addresses, roles run as ", user,
      ",\n# ZooKeeper is Debian's real server; Hadoop, Cassandra and WSO2 BAM are\n"
      "# emulated installs (tests/emulators). Every default is written out.\n",
      ProtoToYaml(spec));
  // The rewritten spec must still be valid (e.g. addresses stay unique).
  LoadedSpec check = LoadSpec(layout.spec_text);
  if (!check.ok()) {
    std::string out = "the local spec is not valid:";
    for (const Diagnostic& d : check.diagnostics) {
      absl::StrAppend(&out, "\n", FormatDiagnostic("local-cluster.yaml", d));
    }
    return absl::InternalError(out);
  }
  return layout;
}

}  // namespace bamctl
