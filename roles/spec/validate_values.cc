#include "roles/spec/validate_values.h"

#include <array>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/user_name.h"

namespace bamctl {
namespace {

constexpr absl::string_view kPathAllowed =
    "an absolute path of letters, digits and / . _ - + with no empty, \".\" or \"..\" "
    "components";

// Directories that hold the system itself: a role that owned one (its data,
// home or config directory is created owned by the role user) would own
// the machine. Subdirectories such as /var/lib/cassandra stay allowed.
constexpr std::array<absl::string_view, 33> kSystemDirs = {
    "/",        "/bin",     "/boot",      "/dev",      "/etc",        "/home", "/lib",
    "/lib32",   "/lib64",   "/libx32",    "/media",    "/mnt",        "/opt",  "/proc",
    "/root",    "/run",     "/sbin",      "/srv",      "/sys",        "/tmp",  "/usr",
    "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share",  "/var",  "/var/lib",
    "/var/log", "/var/run", "/var/tmp",   "/etc/ssh",  "/etc/systemd"};

// Kernel and device trees: nothing of a role belongs anywhere below them.
constexpr std::array<absl::string_view, 3> kKernelTrees = {"/proc", "/sys", "/dev"};

// The value as the message shows it: control characters escaped, so a
// newline in a value cannot break the diagnostic's own line.
std::string Shown(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (absl::ascii_iscntrl(c)) {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool HasControl(absl::string_view value) {
  for (char c : value) {
    if (absl::ascii_iscntrl(c)) return true;
  }
  return false;
}

// Why `value` is not an absolute normalized path of safe characters, or
// nullopt when it is one.
std::optional<std::string> PathProblem(absl::string_view value) {
  if (HasControl(value)) return "contains a control character";
  if (value.empty() || value.front() != '/') return "is not absolute";
  if (value == "/") return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(value.substr(1), '/');
  for (absl::string_view part : parts) {
    if (part.empty()) return "has an empty component (\"//\" or a trailing \"/\")";
    if (part == "." || part == "..") return absl::StrCat("has a \"", part, "\" component");
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("/._-+", c)) {
      return absl::StrCat("contains '", std::string(1, c), "'");
    }
  }
  return std::nullopt;
}

bool IsSystemDir(absl::string_view value) {
  for (absl::string_view dir : kSystemDirs) {
    if (value == dir) return true;
  }
  for (absl::string_view tree : kKernelTrees) {
    if (absl::StartsWith(value, absl::StrCat(tree, "/"))) return true;
  }
  return false;
}

class ValueChecker {
 public:
  ValueChecker(const v1::ClusterSpec& spec, const SourceMap& sources, DiagnosticSink* sink)
      : spec_(spec), sources_(sources), sink_(sink) {}

  void Run() {
    CheckPaths();
    CheckUsers();
    CheckDataSources();
    // cassandra.yaml quotes it, but a YAML single-quoted scalar folds line
    // breaks, so Cassandra would see another name than the spec's.
    if (HasControl(spec_.cassandra().cluster_name())) {
      sink_->Error("cassandra.cluster_name",
                   absl::StrCat(Shown(spec_.cassandra().cluster_name()),
                                " contains a control character; use printable characters only"));
    }
  }

 private:
  enum class Dir { kProgram, kOwned };

  // Defaulted paths derive from a written one (java_home, a home) that gets
  // its own error, so only written paths are checked: one typo, one error.
  void CheckPath(const std::string& path, const std::string& value, Dir dir) {
    if (!sources_.Contains(path)) return;
    if (std::optional<std::string> problem = PathProblem(value)) {
      sink_->Error(path, absl::StrCat("must be an absolute path, got ", Shown(value), ", which ",
                                      *problem, "; use ", kPathAllowed));
      return;
    }
    if (dir == Dir::kOwned && IsSystemDir(value)) {
      sink_->Error(path, absl::StrCat(Shown(value),
                                      " is a system directory, which the role user would own; "
                                      "use a directory of its own, e.g. /var/lib/bamctl/<role>"));
    }
  }

  void CheckPaths() {
    CheckPath("java_home", spec_.java_home(), Dir::kProgram);
    const auto& h = spec_.hadoop();
    CheckPath("hadoop.home", h.home(), Dir::kOwned);
    CheckPath("hadoop.java_home", h.java_home(), Dir::kProgram);
    CheckPath("hadoop.tmp_dir", h.tmp_dir(), Dir::kOwned);
    CheckPath("hadoop.name_dir", h.name_dir(), Dir::kOwned);
    CheckPath("hadoop.data_dir", h.data_dir(), Dir::kOwned);
    CheckPath("hadoop.mapred_system_dir", h.mapred_system_dir(), Dir::kOwned);
    const auto& c = spec_.cassandra();
    CheckPath("cassandra.home", c.home(), Dir::kOwned);
    CheckPath("cassandra.java_home", c.java_home(), Dir::kProgram);
    CheckPath("cassandra.data_dir", c.data_dir(), Dir::kOwned);
    CheckPath("cassandra.commitlog_dir", c.commitlog_dir(), Dir::kOwned);
    CheckPath("cassandra.saved_caches_dir", c.saved_caches_dir(), Dir::kOwned);
    const auto& z = spec_.zookeeper();
    CheckPath("zookeeper.home", z.home(), Dir::kOwned);
    CheckPath("zookeeper.java_home", z.java_home(), Dir::kProgram);
    CheckPath("zookeeper.data_dir", z.data_dir(), Dir::kOwned);
    CheckPath("zookeeper.conf_dir", z.conf_dir(), Dir::kOwned);
    const auto& b = spec_.bam();
    CheckPath("bam.home", b.home(), Dir::kOwned);
    CheckPath("bam.java_home", b.java_home(), Dir::kProgram);
    // An HDFS path, never a host one, but Hive splices it into its own
    // configuration and scripts all the same.
    CheckPath("bam.hive_warehouse_dir", b.hive_warehouse_dir(), Dir::kProgram);
  }

  void CheckUser(const std::string& path, const std::string& user) {
    if (std::optional<std::string> problem = RoleUserProblem(user)) {
      sink_->Error(path, absl::StrCat("role user ", Shown(user), DefaultNote(path), " ", *problem,
                                      "; roles never run as root: give a user name of up to 32 "
                                      "letters, digits, '_', '-' and '.' (not starting with a "
                                      "digit, not root) or a numeric uid other than 0"));
    }
  }

  void CheckUsers() {
    CheckUser("hadoop.user", spec_.hadoop().user());
    CheckUser("cassandra.user", spec_.cassandra().user());
    CheckUser("zookeeper.user", spec_.zookeeper().user());
    CheckUser("bam.user", spec_.bam().user());
  }

  // Names that go into the MySQL client options file, a shell command line
  // and JDBC URLs: MySQL's unquoted-identifier characters and nothing else.
  void CheckDataSource(const std::string& path, const v1::DataSourceSpec& ds) {
    const std::string pf = path + ".password_file";
    if (sources_.Contains(pf) && !ds.password_file().empty() && ds.password_file().front() == '/') {
      if (std::optional<std::string> problem = PathProblem(ds.password_file())) {
        sink_->Error(pf, absl::StrCat("secret file reference ", Shown(ds.password_file()), " ",
                                      *problem, "; use ", kPathAllowed));
      }
    }
    auto check_name = [&](const std::string& field, const std::string& value,
                          absl::string_view extra, absl::string_view allowed, size_t max) {
      if (value.empty()) return;  // validate.cc says when it is required
      bool ok = value.size() <= max;
      for (char c : value) {
        ok = ok && (absl::ascii_isalnum(c) || c == '_' || absl::StrContains(extra, c));
      }
      if (!ok) {
        sink_->Error(path + "." + field,
                     absl::StrCat(Shown(value), " is not a plain MySQL name: use ", allowed,
                                  ", at most ", max));
      }
    };
    check_name("database", ds.database(), "", "letters, digits and '_'", 64);
    check_name("username", ds.username(), "-.", "letters, digits, '_', '-' and '.'", 32);
  }

  void CheckDataSources() {
    CheckDataSource("bam.registry_datasource", spec_.bam().registry_datasource());
    CheckDataSource("bam.summary_datasource", spec_.bam().summary_datasource());
  }

  std::string DefaultNote(const std::string& path) const {
    return sources_.Contains(path) ? "" : " (the default)";
  }

  const v1::ClusterSpec& spec_;
  const SourceMap& sources_;
  DiagnosticSink* sink_;
};

}  // namespace

void CheckValues(const v1::ClusterSpec& spec, const SourceMap& sources, DiagnosticSink* sink) {
  ValueChecker(spec, sources, sink).Run();
}

}  // namespace bamctl
