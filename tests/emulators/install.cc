#include "tests/emulators/install.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "roles/stock/stock.h"
#include "tests/emulators/faults.h"

namespace bamctl::emulator {
namespace {

namespace fs = std::filesystem;

// Hadoop 1.0.4 ships its site files empty and masters/slaves as localhost.
constexpr absl::string_view kEmptyHadoopSite =
    "<?xml version=\"1.0\"?>\n"
    "<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n\n"
    "<!-- Put site-specific property overrides in this file. -->\n\n"
    "<configuration>\n\n</configuration>\n";

struct Layout {
  absl::string_view title;                                   // for README.emulated
  std::vector<std::pair<std::string, std::string>> scripts;  // relative path, program
  std::vector<std::string> dirs;
  std::vector<std::pair<std::string, std::string>> files;  // relative path, stock name or
                                                           // "=" + literal content
};

Layout LayoutOf(Product product) {
  switch (product) {
    case Product::kHadoop:
      return {"Apache Hadoop 1.0.4",
              {{"bin/hadoop", "hadoop"}},
              {"conf"},
              {{"conf/core-site.xml", absl::StrCat("=", kEmptyHadoopSite)},
               {"conf/hdfs-site.xml", absl::StrCat("=", kEmptyHadoopSite)},
               {"conf/mapred-site.xml", absl::StrCat("=", kEmptyHadoopSite)},
               {"conf/masters", "=localhost\n"},
               {"conf/slaves", "=localhost\n"}}};
    case Product::kCassandra:
      return {"Apache Cassandra 1.2",
              {{"bin/cassandra", "cassandra"}, {"bin/nodetool", "nodetool"}},
              {"conf"},
              {{"conf/cassandra.yaml", "wso2-bam/cassandra.yaml"},
               {"conf/cassandra-env.sh", "apache-cassandra/cassandra-env.sh"}}};
    case Product::kBam:
      return {
          "WSO2 Business Activity Monitor 2.x",
          {{"bin/wso2server.sh", "wso2server.sh"}},
          {"repository/conf/advanced", "repository/conf/etc", "repository/conf/tomcat",
           "repository/logs", "dbscripts"},
          {{"repository/conf/carbon.xml", "wso2-bam/carbon.xml"},
           {"repository/conf/cassandra-component.xml", "wso2-bam/cassandra-component.xml"},
           {"repository/conf/datasources/master-datasources.xml",
            "wso2-carbon-kernel/master-datasources.xml"},
           {"repository/conf/registry.xml", "wso2-carbon-kernel/registry.xml"},
           {"repository/conf/tomcat/catalina-server.xml", "wso2-carbon-kernel/catalina-server.xml"},
           {"repository/conf/etc/tasks-config.xml",
            "wso2-bam/tasks-config.das-clustering-template.xml"},
           {"repository/conf/etc/hector-config.xml", "wso2-bam/hector-config.xml"},
           {"repository/conf/data-bridge/data-bridge-config.xml",
            "wso2-bam/data-bridge-config.xml"},
           // The registry-schema init step feeds this to the mysql client.
           {"dbscripts/mysql.sql",
            "=-- Emulated install (bam-emulator): the real BAM's registry schema is not "
            "shipped.\n"}}};
  }
  return {};
}

// '...' for /bin/sh.
std::string ShellQuote(absl::string_view word) {
  return absl::StrCat("'", absl::StrReplaceAll(word, {{"'", "'\\''"}}), "'");
}

}  // namespace

absl::Status Install(Product product, const std::string& dest_arg, const InstallOptions& options) {
  if (options.emulator.empty() || options.emulator.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("the emulator path \"", options.emulator, "\" is not absolute"));
  }
  std::error_code ec;
  const std::string dest = fs::absolute(dest_arg, ec).lexically_normal().string();
  if (ec) return absl::InvalidArgumentError(absl::StrCat(dest_arg, ": ", ec.message()));
  const Layout layout = LayoutOf(product);
  RETURN_IF_ERROR(MakeDirs(dest, 0755));
  for (const std::string& dir : layout.dirs) {
    RETURN_IF_ERROR(MakeDirs(absl::StrCat(dest, "/", dir), 0755));
  }

  for (const auto& [rel, program] : layout.scripts) {
    std::string exec = absl::StrCat("exec ", ShellQuote(options.emulator), " run ", program,
                                    " --home=", ShellQuote(dest));
    if (product == Product::kBam && !options.bind_address.empty()) {
      absl::StrAppend(&exec, " --bind-address=", ShellQuote(options.bind_address));
    }
    const std::string script = absl::StrCat(
        "#!/bin/sh\n# ", program, " of an emulated ", layout.title,
        " install: bam-emulator stands in for the real product\n"
        "# in local tests (see ../README.emulated). Rewritten by `bam-emulator install`.\n",
        exec, " -- \"$@\"\n");
    RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dest, "/", rel), script, 0755));
  }

  for (const auto& [rel, source] : layout.files) {
    const std::string path = absl::StrCat(dest, "/", rel);
    if (fs::exists(path, ec)) continue;  // possibly patched by the agent: keep it
    std::string content;
    if (source.front() == '=') {
      content = source.substr(1);
    } else {
      std::optional<absl::string_view> stock = StockFile(source);
      if (!stock) return absl::InternalError(absl::StrCat("no stock file ", source));
      content = std::string(*stock);
    }
    RETURN_IF_ERROR(WriteFileAtomically(path, content, 0644));
  }

  // The toolbox deployer bundles the BAM driver removes from all analyzers
  // but one; created with the plugins directory only, so a reinstall does
  // not bring back what the agent removed.
  if (product == Product::kBam) {
    const std::string plugins = dest + "/repository/components/plugins";
    if (!fs::exists(plugins, ec)) {
      for (absl::string_view jar : {"org.wso2.carbon.bam.toolbox.deployer_2.3.0.jar",
                                    "org.wso2.carbon.bam.toolbox.deployer.ui_2.3.0.jar"}) {
        RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(plugins, "/", jar),
                                            "emulated bundle (bam-emulator)\n", 0644));
      }
    }
  }

  const std::string readme = absl::StrCat(
      "This is an EMULATED ", layout.title,
      " install made by bam-emulator for local testing.\n"
      "It is not the real product. Its programs exec\n  ",
      options.emulator,
      "\nwhich reads the same configuration files, refuses the same mistakes, writes what\n"
      "the product writes at start and binds its ports (answering TCP and HTTP probes),\n"
      "but stores no data and serves no client requests.\n\n"
      "Faults for tests: put words in ",
      dest, "/", kFaultFileName,
      "\n(exit-at-start, crash-at-start, hang-at-start, crash-now, ignore-term, each\n"
      "optionally scoped as SERVICE:FAULT); see tests/emulators/README.md.\n");
  return WriteFileAtomically(dest + "/README.emulated", readme, 0644);
}

}  // namespace bamctl::emulator
