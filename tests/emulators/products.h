#ifndef BAMCTL_TESTS_EMULATORS_PRODUCTS_H_
#define BAMCTL_TESTS_EMULATORS_PRODUCTS_H_

// The product stand-ins of bam-emulator: how Hadoop 1.x, Cassandra 1.2 and
// WSO2 BAM 2.x read their command line and their configuration files, what
// they refuse, what they write when they start, and which ports they bind.
// Each Prepare* function checks one invocation the way the product would and
// returns what to do; the process side (waiting, binding, serving, signals)
// is RunDaemon in daemon.h.

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl::emulator {

enum class Product { kHadoop, kCassandra, kBam };

// "hadoop", "cassandra", "bam"; nullopt for any other name.
std::optional<Product> ParseProduct(absl::string_view name);
absl::string_view ProductName(Product product);

// How an emulated port answers a connection (each is closed after the reply).
enum class Protocol {
  kTcp,         // accepted and closed: RPC, Thrift, storage; HTTPS too (no TLS)
  kHttpPage,    // GET answers 200 with a page naming the daemon (Hadoop web UIs)
  kHttpCarbon,  // GET /carbon/... answers 302 to the HTTPS port (Carbon's HTTP connector)
  // Cassandra's JMX port as nodetool uses it: one command line ("drain",
  // "status"), one answer. (Real JMX is RMI; nodetool is its only client.)
  kJmx,
  // The namenode's RPC port as `hadoop dfsadmin` uses it: one command line
  // ("safemode get|enter|leave", "saveNamespace"), one answer line. Other
  // clients (probes, datanodes) connect and close, as before.
  kNameNodeRpc,
  // Cassandra's storage port: gossip pushes from the other nodes (see
  // gossip.h); probes connect and close.
  kGossip,
};

// A port the product binds, or a master it connects to.
struct Endpoint {
  std::string name;    // as the drivers' probes name it: "rpc", "web", "thrift"
  std::string origin;  // the file and key it comes from, for messages
  std::string host;    // an address or a name to resolve; "0.0.0.0" = every interface
  int port = 0;
  Protocol protocol = Protocol::kTcp;
  std::string redirect_base;  // kHttpCarbon: "https://HOST:PORT"
};

// A long-running daemon, checked and ready to run.
struct DaemonPlan {
  Product product = Product::kHadoop;
  std::string source;  // logger name in its log lines: "namenode.NameNode"
  std::vector<std::string> startup_log;
  // Masters it must reach before it binds anything (a datanode's namenode),
  // retried every second as Hadoop's RPC client does.
  std::vector<Endpoint> wait_for;
  std::vector<std::string> make_dirs;                                 // mkdir -p before binding
  std::vector<std::pair<std::string, std::string>> write_if_missing;  // path, content
  std::vector<Endpoint> endpoints;
  std::string shutdown_log;
  // A BAM analyzer in ntask's CLUSTERED mode: the ZooKeeper group it joins
  // at start (see coordination.h).
  struct Coordination {
    std::vector<std::pair<std::string, int>> servers;  // coordination-client-config.xml
    int session_timeout_ms = 5000;
    // The address its ZooKeeper connections leave from: the node's, as a
    // real host's do ("" = the machine's choice).
    std::string source_address;
    std::vector<std::string> tasks;  // the Hive scripts the holder schedules
  };
  std::optional<Coordination> coordination;
  // A namenode: safe mode at start, left dfs.safemode.extension after (the
  // emulated namespace has no blocks, so the threshold is met at once), or
  // entered and left by dfsadmin; saveNamespace only in safe mode.
  struct SafeMode {
    int extension_ms = 30000;
    std::vector<std::string> name_dirs;  // where saveNamespace writes the image
  };
  std::optional<SafeMode> safe_mode;
  // A secondary namenode: a checkpoint every fs.checkpoint.period seconds,
  // the first after min(period, 5 min), as SecondaryNameNode.doWork waits.
  struct Checkpoints {
    Endpoint namenode;  // its RPC port (fs.default.name)
    std::string dir;    // fs.checkpoint.dir
    int64_t period_s = 3600;
  };
  std::optional<Checkpoints> checkpoints;
  // A Cassandra node: its gossip on the storage port (see gossip.h).
  struct Gossip {
    std::string cluster_name;
    std::string address;             // listen_address, resolved
    int port = 7000;                 // storage_port: every node's
    std::vector<std::string> seeds;  // resolved
    double phi_convict_threshold = 8;
    int interval_ms = 1000;
  };
  std::optional<Gossip> gossip;
};

// One run of an emulated program, as its install script passes it.
struct RunRequest {
  std::string program;                     // "hadoop", "cassandra", "nodetool", "wso2server.sh"
  std::string home;                        // the product home (the install's DEST)
  std::string bind_address;                // BAM's listeners; "" = every interface, as Carbon binds
  std::vector<std::string> args;           // the program's own arguments
  std::map<std::string, std::string> env;  // its environment (JAVA_HOME, HADOOP_CONF_DIR, ...)
};

// What an invocation does: finish at once (a one-shot command such as
// `namenode -format`, or an error of the product's start script), or run a
// daemon in the foreground. Refusals of the product itself (a bad key) are
// errors of the Prepare* functions instead, printed with exit code 1.
struct Invocation {
  std::string out;    // printed to stdout first
  std::string err;    // printed to stderr first
  int exit_code = 0;  // used when `daemon` is empty
  std::optional<DaemonPlan> daemon;
};

// The product an install script's program belongs to; nullopt if unknown.
std::optional<Product> ProductOfProgram(absl::string_view program);

// The name fault-file lines are scoped with: the agent's service or init
// step name ("namenode", "format-namenode", "cassandra", "nodetool", "bam").
std::string FaultScope(const RunRequest& request);

// `bin/hadoop [--config DIR] COMMAND ...` (Hadoop 1.0.4): the five daemons,
// `namenode -format` (which asks on `in` before it reformats an existing
// directory) and `version`.
absl::StatusOr<Invocation> PrepareHadoop(const RunRequest& request, std::istream& in);

// One checkpoint of a Hadoop 1.x secondary namenode with `namenode` (its
// RPC port): the namenode rolls its edit log (refused in safe mode, as
// FSNamesystem.rollEditLog is), the merged image goes to `dir`/current,
// and the namenode takes it as its image (rollFSImage). The lines
// SecondaryNameNode logs on success, or why it failed, in its words.
absl::StatusOr<std::vector<std::string>> Checkpoint(const Endpoint& namenode,
                                                    const std::string& dir);

// `bin/cassandra -f` (Cassandra 1.2 in the foreground).
absl::StatusOr<Invocation> PrepareCassandra(const RunRequest& request);

// `bin/nodetool [-h HOST] [-p PORT] COMMAND`: drain and status through
// the node's JMX port (status prints the ring its gossip sees, as Cassandra
// 1.2 does); ring, info and version from the files alone.
absl::StatusOr<Invocation> PrepareNodetool(const RunRequest& request);

// `bin/wso2server.sh [-Dname=value ...]` (WSO2 BAM 2.x in the foreground).
absl::StatusOr<Invocation> PrepareBam(const RunRequest& request);

// Dispatches on request.program.
absl::StatusOr<Invocation> Prepare(const RunRequest& request, std::istream& in);

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_PRODUCTS_H_
