// pki init and pki issue: the cluster's CA and certificates in a directory,
// offline (pki/pki_dir.h). Key material is written to files, never printed.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bamctl/cli.h"
#include "bamctl/commands.h"
#include "pki/certs.h"
#include "pki/pki_dir.h"

namespace bamctl {
namespace {

// The directory as the user will need it from any working directory.
std::string Absolute(const std::string& dir) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(dir, error);
  return error ? dir : path.lexically_normal().string();
}

void PrintWritten(const std::vector<WrittenFile>& files, std::ostream& out) {
  for (const WrittenFile& file : files) {
    out << absl::StrFormat("  %04o  %s\n", file.mode, file.path);
  }
}

int Init(const Invocation& in) {
  const std::string dir = Absolute(*in.args.Get("dir"));
  const std::vector<std::string> hosts =
      absl::StrSplit(*in.args.Get("controller-host"), ',', absl::SkipWhitespace());
  const int port =
      static_cast<int>(in.args.Int("controller-port").value_or(kDefaultControllerPort));
  absl::StatusOr<std::vector<WrittenFile>> written =
      InitPkiDir(dir, in.args.Get("cluster").value_or("bamctl"), hosts, port);
  if (!written.ok()) {
    in.err << "bamctl: pki init: " << written.status().message() << "\n";
    return kExitFailed;
  }
  in.out << "Wrote a new cluster CA, the controller's certificate for "
         << absl::StrJoin(hosts, ", ") << " and admin's operator certificate:\n";
  PrintWritten(*written, in.out);
  in.out << "Keep ca.key on the controller host only (or offline): it can issue any identity.\n"
         << "Serve with: bam-controller --tls_dir=" << dir << "\n"
         << "Talk to it as admin with:\n  export BAMCTL_CONFIG=" << dir << "/bamctl.conf\n";
  return kExitOk;
}

int Issue(const Invocation& in) {
  const std::string dir = Absolute(*in.args.Get("dir"));
  const std::string name = *in.args.Get("name");
  absl::StatusOr<PeerRole> role = PeerRoleFromText(*in.args.Get("role"));
  if (!role.ok()) std::abort();  // the flag's choices are roles
  std::vector<std::string> hosts;
  if (std::optional<std::string> given = in.args.Get("controller-host"); given.has_value()) {
    hosts = absl::StrSplit(*given, ',', absl::SkipWhitespace());
  }
  absl::StatusOr<std::vector<WrittenFile>> written = IssueInDir(dir, name, *role, hosts);
  if (!written.ok()) {
    in.err << "bamctl: pki issue: " << written.status().message() << "\n";
    return kExitFailed;
  }
  in.out << "Issued " << name << " (" << PeerRoleText(*role) << ", valid "
         << absl::FormatDuration(CertLifetime(*role)) << "):\n";
  PrintWritten(*written, in.out);
  if (*role == PeerRole::kController) {
    in.out << "Put them in the controller's --tls_dir as controller.crt and controller.key\n"
           << "(the key first, 0600) and restart it; clients trust the same CA.\n";
  } else if (*role != PeerRole::kNode) {
    in.out << "Hand " << name << " the directory's ca.crt and these files; they use them with:\n"
           << "  export BAMCTL_CONFIG=" << dir << "/" << name << ".conf\n";
  }
  return kExitOk;
}

FlagSpec DirFlag(absl::string_view help) {
  return {.name = "dir", .value_name = "DIR", .help = std::string(help), .required = true};
}

}  // namespace

std::vector<Command> PkiCommands() {
  return {
      {.path = "pki init",
       .summary = "Create the cluster CA, the controller's and admin's certificates.",
       .details = "Offline. Writes ca.crt, ca.key, controller.crt, controller.key, admin.crt,\n"
                  "admin.key and bamctl.conf (the config to use as admin). Refuses a directory\n"
                  "that already holds any of them. Keys are 0600, the directory 0700; no key\n"
                  "is ever printed.",
       .flags = {DirFlag("where to write the PKI (created 0700 if missing)"),
                 {.name = "controller-host",
                  .value_name = "NAME[,NAME...]",
                  .help = "its host names and addresses; bamctl.conf uses the first",
                  .required = true},
                 {.name = "cluster", .value_name = "NAME", .help = "names the CA (default bamctl)"},
                 {.name = "controller-port",
                  .kind = FlagKind::kInt,
                  .value_name = "PORT",
                  .help = absl::StrCat("the controller's TLS port in bamctl.conf (default ",
                                       kDefaultControllerPort, ")"),
                  .min = 1,
                  .max = 65535}},
       .run = Init},
      {.path = "pki issue",
       .summary = "Issue NAME.crt, NAME.key (and NAME.conf for people) from DIR's CA.",
       .details = "Offline. Never overwrites a file; nodes usually enrol with a token instead.",
       .flags = {DirFlag("a directory made by pki init (or holding ca.crt and ca.key)"),
                 {.name = "name",
                  .value_name = "NAME",
                  .help = "the certificate's name: letters, digits, '.', '_', '-'",
                  .required = true},
                 {.name = "role",
                  .kind = FlagKind::kChoice,
                  .help = "what the certificate may do",
                  .required = true,
                  .choices = {"operator", "viewer", "node", "controller"},
                  .choices_noun = "roles"},
                 {.name = "controller-host",
                  .value_name = "NAME[,NAME...]",
                  .help = "a controller certificate's host names and addresses (renewing the "
                          "one pki init made, which lasts a year)"}},
       .run = Issue},
  };
}

}  // namespace bamctl
