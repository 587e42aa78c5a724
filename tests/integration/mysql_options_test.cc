// A password with every character the MySQL options file treats specially
// reaches a real MariaDB server through the options file bamctl writes: a
// private mariadbd (own datadir, socket in a temp dir, this test's loopback
// address) checks the login, my_print_defaults shows the value read back.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/escape.h"
#include "gtest/gtest.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;

constexpr char kPassword[] = "p#a\\ss \"dq\" 'sq' =x; tail\\";
constexpr int kPort = 3306;

// Runs a shell command, returning its stdout (or "" with *rc set).
std::string Shell(const std::string& command, int* rc) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) out.append(buf, n);
  const int status = pclose(pipe);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class MariaDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/usr/sbin/mariadbd") || !fs::exists("/usr/bin/mariadb-install-db")) {
      GTEST_SKIP() << "mariadb-server is not installed (scripts/install-deps.sh installs it)";
    }
    dir_ = testing::MakeTempDir("mariadb_test");
    address_ = testing::ProcessLoopbackSubnet().Address(1);
    int rc = 0;
    Shell(absl::StrCat("mariadb-install-db --no-defaults --user=root --skip-test-db --datadir=",
                       ShellQuote((dir_ / "data").string()), " > ",
                       ShellQuote((dir_ / "install.log").string()), " 2>&1"),
          &rc);
    ASSERT_EQ(rc, 0) << "mariadb-install-db failed; see " << (dir_ / "install.log");
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const std::string datadir = "--datadir=" + (dir_ / "data").string();
      const std::string socket = "--socket=" + socket_path();
      const std::string port = absl::StrCat("--port=", kPort);
      const std::string bind = "--bind-address=" + address_;
      const std::string log = "--log-error=" + (dir_ / "error.log").string();
      const std::string pid = "--pid-file=" + (dir_ / "mariadbd.pid").string();
      execl("/usr/sbin/mariadbd", "mariadbd", "--no-defaults", datadir.c_str(), socket.c_str(),
            port.c_str(), bind.c_str(), log.c_str(), pid.c_str(), "--user=root", "--skip-log-bin",
            "--skip-name-resolve", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      Shell(absl::StrCat("mariadb --no-defaults -uroot --socket=", ShellQuote(socket_path()),
                         " -e 'SELECT 1' > /dev/null 2>&1"),
            &rc);
      if (rc == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(rc, 0) << "mariadbd did not come up; see " << (dir_ / "error.log");
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string socket_path() const { return (dir_ / "mysqld.sock").string(); }

  fs::path dir_;
  std::string address_;
  pid_t pid_ = -1;
};

TEST_F(MariaDbTest, APasswordWithSpecialCharactersLogsIn) {
  // The server learns the password through SQL, with SQL's own escaping.
  const std::string sql_password = absl::StrReplaceAll(kPassword, {{"\\", "\\\\"}, {"'", "\\'"}});
  {
    std::ofstream sql(dir_ / "create.sql");
    // Any host: the client's source address on loopback is the kernel's pick.
    sql << "CREATE USER 'bam'@'%' IDENTIFIED BY '" << sql_password << "';\n";
  }
  int rc = 0;
  Shell(absl::StrCat("mariadb --no-defaults -uroot --socket=", ShellQuote(socket_path()), " < ",
                     ShellQuote((dir_ / "create.sql").string())),
        &rc);
  ASSERT_EQ(rc, 0);

  // The options file as the BAM driver writes it for the registry schema.
  const fs::path cnf = dir_ / "client.cnf";
  {
    std::ofstream out(cnf);
    out << "[client]\nhost=" << MySqlOptionValue(address_) << "\nport=" << kPort
        << "\nuser=" << MySqlOptionValue("bam") << "\npassword=" << MySqlOptionValue(kPassword)
        << "\n";
  }
  EXPECT_EQ(
      Shell(absl::StrCat("my_print_defaults --defaults-file=", ShellQuote(cnf.string()), " client"),
            &rc),
      absl::StrCat("--host=", address_, "\n--port=", kPort, "\n--user=bam\n--password=", kPassword,
                   "\n"));
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(Shell(absl::StrCat("mariadb --defaults-file=", ShellQuote(cnf.string()),
                               " --protocol=TCP -N -e 'SELECT CURRENT_USER()' 2>&1"),
                  &rc),
            "bam@%\n");
  EXPECT_EQ(rc, 0);

  // The same file with the value written bare, as before: the login fails.
  {
    std::ofstream out(cnf);
    out << "[client]\nhost=" << address_ << "\nport=" << kPort
        << "\nuser=bam\npassword=" << kPassword << "\n";
  }
  Shell(absl::StrCat("mariadb --defaults-file=", ShellQuote(cnf.string()),
                     " --protocol=TCP -N -e 'SELECT 1' > /dev/null 2>&1"),
        &rc);
  EXPECT_NE(rc, 0);
}

}  // namespace
}  // namespace bamctl
