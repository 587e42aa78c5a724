// The command table: usage and help derived from the declarations, and the
// command line checked against them before any handler (or call) runs.
#include "bamctl/command.h"

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "bamctl/cli.h"
#include "bamctl/controller_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bamctl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code;
  std::string out;
  std::string err;
};

// A context whose stub factory fails the test: a usage error must be found
// before bamctl connects anywhere.
class CommandTableTest : public ::testing::Test {
 protected:
  CommandTableTest() {
    context_.default_controller = "127.0.0.1:1";
    context_.version = "1.2.3";
    context_.make_stub = [](const std::string& address, const std::optional<ClientTls>& tls) {
      ADD_FAILURE() << "a command line with a usage error connected to " << address;
      return NewClusterStub(address, tls);
    };
  }

  Result Run(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    int code = RunBamctl(args, context_, out, err);
    return {code, out.str(), err.str()};
  }

  // Runs a line that must be a usage error; returns its message.
  std::string UsageErrorOf(const std::vector<std::string>& args) {
    Result r = Run(args);
    EXPECT_EQ(r.code, kExitUsage) << r.out << r.err;
    EXPECT_THAT(r.out, IsEmpty());
    return r.err;
  }

  CommandContext context_;
};

TEST_F(CommandTableTest, HelpListsEveryCommandWithItsFlags) {
  Result r = Run({"help"});
  ASSERT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.err, IsEmpty());
  // Wrapped before 80 columns; --controller is said once, not per command.
  constexpr char kApply[] =
      "  bamctl desired-state apply -f FILE [--dry-run] [-m MESSAGE]\n"
      "                             [--expected-version N] [--rollout]\n"
      "      Validate, compile and store a spec as the next version.\n";
  for (const char* synopsis :
       {"bamctl desired-state validate -f FILE\n",
        "bamctl plan -f FILE [--node NAME] [-o yaml|json|summary]\n",
        "bamctl render -f FILE --node NAME [--role ROLE] [--out DIR] [--host-root DIR]\n", kApply,
        "bamctl desired-state rollback VERSION [--expected-version N]",
        "bamctl status [-o table|json]", "bamctl nodes", "bamctl events [--limit N]",
        "bamctl rolling-restart [ROLE] [--nodes a,b]", "[--on-failure stop|continue]",
        "bamctl op list", "bamctl op show ID", "bamctl op watch ID [--interval DURATION]",
        "bamctl op pause ID", "bamctl op resume ID", "bamctl op abort ID", "bamctl version",
        "bamctl pki init --dir DIR --controller-host NAME[,NAME...] [--cluster NAME]\n",
        "bamctl pki issue --dir DIR --name NAME --role operator|viewer|node|controller\n"}) {
    EXPECT_THAT(r.out, HasSubstr(synopsis));
  }
  EXPECT_THAT(r.out, HasSubstr("Against bam-controller (--controller=HOST:PORT"));
  EXPECT_THAT(r.out, HasSubstr("mutual TLS with --config FILE, or set BAMCTL_CONFIG"));
  // The heading says --controller and --config once, not every remote command.
  EXPECT_THAT(r.out, Not(HasSubstr("[--controller HOST:PORT]")));
  EXPECT_THAT(r.out, Not(HasSubstr("[--config")));
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) EXPECT_LE(line.size(), 80u) << line;
  // Offline commands come before the heading for the remote ones.
  EXPECT_LT(r.out.find("bamctl render"), r.out.find("Against bam-controller"));
  EXPECT_LT(r.out.find("bamctl pki issue"), r.out.find("Against bam-controller"));
  EXPECT_LT(r.out.find("Against bam-controller"), r.out.find("bamctl desired-state apply"));

  // No arguments: the same usage, as an error.
  Result none = Run({});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_EQ(none.err, r.out);
  EXPECT_EQ(Run({"--help"}).out, r.out);
}

TEST_F(CommandTableTest, CommandHelpShowsArgumentsAndFlags) {
  Result r = Run({"op", "watch", "--help"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, StartsWith("Usage: bamctl op watch ID [--interval DURATION] "
                                "[--controller HOST:PORT[,...]]\n"));
  EXPECT_THAT(r.out, AllOf(HasSubstr("Arguments:\n  ID  the operation's id (a number)\n"),
                           HasSubstr("  --interval DURATION\n      time between polls"),
                           HasSubstr("  --controller HOST:PORT[,...]\n")));
  EXPECT_EQ(Run({"help", "op", "watch"}).out, r.out);
  EXPECT_EQ(Run({"op", "watch", "7", "-h"}).out, r.out);

  r = Run({"desired-state", "apply", "--help"});
  EXPECT_THAT(r.out, AllOf(HasSubstr("  -f, --file FILE\n      the cluster spec (YAML, UTF-8) "
                                     "(required)\n"),
                           HasSubstr("  --dry-run\n"), HasSubstr("  -m, --message MESSAGE\n")));

  // A group's help lists its commands.
  r = Run({"op", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("bamctl op list"), HasSubstr("bamctl op abort ID")));
}

TEST_F(CommandTableTest, UnknownCommandsNameTheValidOnes) {
  EXPECT_THAT(UsageErrorOf({"frobnicate"}),
              HasSubstr("bamctl: unknown command \"frobnicate\"; valid: desired-state, plan, "
                        "render, pki, status, nodes, events, controllers, web, node, "
                        "rolling-restart, "
                        "op, version, help\n"
                        "Run 'bamctl help' for usage.\n"));
  EXPECT_THAT(UsageErrorOf({"op"}),
              HasSubstr("op needs one of: list, show, watch, pause, resume, abort"));
  EXPECT_THAT(UsageErrorOf({"desired-state"}),
              HasSubstr("desired-state needs one of: validate, apply, get, history, diff, "
                        "rollback"));
  EXPECT_THAT(UsageErrorOf({"desired-state", "apply-now"}),
              HasSubstr("unknown command \"desired-state apply-now\"; valid: validate, apply, get, "
                        "history, diff, rollback"));
  EXPECT_THAT(UsageErrorOf({"op", "explode", "7"}), HasSubstr("unknown command \"op explode\""));
}

TEST_F(CommandTableTest, UnknownFlagNamesTheValidOnesAndWhereHelpIs) {
  EXPECT_EQ(UsageErrorOf({"status", "--dry-run"}),
            "bamctl: unknown flag --dry-run; valid here: --output, --controller, --config\n"
            "Run 'bamctl status --help' for usage.\n");
  EXPECT_THAT(UsageErrorOf({"op", "show", "7", "-x"}),
              HasSubstr("unknown flag -x; valid here: --output, --controller"));
  EXPECT_THAT(UsageErrorOf({"desired-state", "validate", "-f", "x.yaml", "--controller=a:1"}),
              HasSubstr("unknown flag --controller=a:1; valid here: --file\n"));
}

TEST_F(CommandTableTest, MissingOrExtraArgumentsAndFlags) {
  EXPECT_THAT(UsageErrorOf({"op", "show"}),
              HasSubstr("op show needs ID: the operation's id (a number)\n"
                        "Run 'bamctl op show --help' for usage."));
  // ROLE is optional, but only with --pending.
  EXPECT_THAT(UsageErrorOf({"rolling-restart"}),
              HasSubstr("rolling-restart needs ROLE, or --pending without one"));
  EXPECT_THAT(UsageErrorOf({"rolling-restart", "zookeeper", "extra"}),
              HasSubstr("unexpected argument \"extra\""));
  EXPECT_THAT(UsageErrorOf({"desired-state", "apply"}),
              HasSubstr("desired-state apply needs -f FILE"));
  EXPECT_THAT(UsageErrorOf({"render", "-f", "x.yaml"}), HasSubstr("render needs --node NAME"));
  EXPECT_THAT(UsageErrorOf({"op", "show", "7", "8"}), HasSubstr("unexpected argument \"8\""));
  EXPECT_THAT(UsageErrorOf({"desired-state", "validate", "-f"}),
              HasSubstr("flag -f needs a value (FILE)"));
}

TEST_F(CommandTableTest, FlagValuesMustFitTheirKind) {
  // Numbers.
  EXPECT_THAT(UsageErrorOf({"events", "--limit", "-3"}),
              HasSubstr("--limit -3: want a whole number from 1 to 2147483647"));
  EXPECT_THAT(UsageErrorOf({"desired-state", "get", "--version=x"}),
              HasSubstr("--version x: want a whole number >= 1"));
  EXPECT_THAT(UsageErrorOf({"desired-state", "rollback", "two"}),
              HasSubstr("desired-state rollback needs VERSION: the version to restore"));
  EXPECT_THAT(UsageErrorOf({"op", "pause", "0"}), HasSubstr("op pause needs ID"));
  // Durations.
  EXPECT_THAT(UsageErrorOf({"rolling-restart", "zookeeper", "--health-timeout", "soon"}),
              HasSubstr("--health-timeout soon: want a duration such as 30s, 5m or 1h"));
  // Choices.
  EXPECT_THAT(UsageErrorOf({"desired-state", "get", "-o", "xml"}),
              HasSubstr("-o xml: valid formats are yaml, json"));
  EXPECT_THAT(UsageErrorOf({"rolling-restart", "zookeeper", "--on-failure=retry"}),
              HasSubstr("--on-failure retry: valid values are stop, continue"));
  // Switches take no value.
  EXPECT_THAT(UsageErrorOf({"rolling-restart", "zookeeper", "--force=yes"}),
              HasSubstr("flag --force takes no value"));
  // The controller's address.
  EXPECT_THAT(UsageErrorOf({"nodes", "--controller=nohostport"}),
              HasSubstr("controller address \"nohostport\": want HOST:PORT"));
}

TEST_F(CommandTableTest, VersionPrintsTheContextsVersion) {
  Result r = Run({"version"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "bamctl 1.2.3\n");
}

}  // namespace
}  // namespace bamctl
