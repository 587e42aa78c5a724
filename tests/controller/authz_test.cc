// Who may call what, the loopback rule of plaintext, and the controller's
// refusal of a TLS set-up it cannot use.
#include "controller/server/authz.h"

#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "controller/server/transport_security.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

Caller Verified(const std::string& name, PeerRole role) {
  Caller caller;
  caller.name = name;
  caller.role = role;
  caller.verified = true;
  return caller;
}

TEST(CheckAccessTest, EachRoleMayDoWhatItIsForAndNothingElse) {
  const Caller op = Verified("admin", PeerRole::kOperator);
  const Caller viewer = Verified("ann", PeerRole::kViewer);
  const Caller node = Verified("node2", PeerRole::kNode);
  const Caller controller = Verified("ctl", PeerRole::kController);
  EXPECT_TRUE(CheckAccess(op, Access::kRead, "status").ok());
  EXPECT_TRUE(CheckAccess(op, Access::kChange, "apply").ok());
  EXPECT_EQ(CheckAccess(op, Access::kAgent, "the agent stream").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckAccess(viewer, Access::kRead, "status").ok());
  absl::Status refused = CheckAccess(viewer, Access::kChange, "apply");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "apply needs an operator certificate; \"ann\" holds a viewer certificate");
  EXPECT_TRUE(CheckAccess(node, Access::kAgent, "the agent stream").ok());
  EXPECT_EQ(CheckAccess(node, Access::kRead, "status").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckAccess(node, Access::kChange, "apply").code(),
            absl::StatusCode::kPermissionDenied);
  for (Access a : {Access::kRead, Access::kChange, Access::kAgent}) {
    EXPECT_EQ(CheckAccess(controller, a, "x").code(), absl::StatusCode::kPermissionDenied);
  }
  // Plaintext (loopback only): no identity, every right, as before TLS.
  EXPECT_TRUE(CheckAccess(Caller{}, Access::kChange, "apply").ok());
}

TEST(CallerTest, TheActorIsTheCertificateNameOrSaysItIsUnverified) {
  EXPECT_EQ(Verified("admin", PeerRole::kOperator).Actor("alice"), "admin");
  EXPECT_EQ(Caller{}.Actor("alice"), "unverified:alice");
  EXPECT_EQ(Caller{}.Actor(""), "unverified:unknown");
}

TEST(ControllerCredentialsTest, RefusesWhatItCannotServeSafely) {
  const absl::Time now = absl::Now();
  absl::Status neither = ControllerCredentials("", false, "127.0.0.1:7443", now).status();
  EXPECT_EQ(neither.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(neither.message(), HasSubstr("give --tls_dir=DIR"));
  EXPECT_THAT(ControllerCredentials("/x", true, "127.0.0.1:7443", now).status().message(),
              HasSubstr("not both"));
  absl::Status open = ControllerCredentials("", true, "0.0.0.0:7443", now).status();
  EXPECT_EQ(open.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(open.message(), HasSubstr("--listen=0.0.0.0:7443 is not one"));
  EXPECT_TRUE(ControllerCredentials("", true, "127.0.0.1:0", now).ok());

  const fs::path dir = testing::MakeTempDir("authz_test");
  absl::Status missing = ControllerCredentials(dir.string(), false, "0.0.0.0:7443", now).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("ca.crt does not exist (bamctl pki init"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bamctl
