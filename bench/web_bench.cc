// The web endpoint's cost as a cluster grows: building the overview every
// open page streams (status, operations, events, the ring) and answering
// it over HTTPS, on a real store holding N nodes of two running roles each.
//
// For each N: a store on a fresh database, a spec of N nodes applied, one
// report per node recorded; then Overview::Json() built afresh `runs`
// times (the cache bypassed by a fake clock), and /api/overview fetched
// over a new TLS connection with a viewer certificate `runs` times.
// Reports percentiles, the document's size and the growth ratios against
// the smallest N.
//
// Usage: web_bench [--nodes=100,1000,4000] [--runs=30]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bench/timing.h"
#include "common/clock.h"
#include "controller/cluster/desired_state.h"
#include "controller/store/store.h"
#include "controller/web/web_server.h"
#include "pki/certs.h"
#include "tests/util/http_client.h"

namespace {

namespace fs = std::filesystem;
using bamctl::bench::Measure;
using bamctl::bench::Stats;

std::string Spec(int nodes) {
  std::string yaml = "name: bench\nrender_addresses: true\nnodes:\n";
  for (int i = 0; i < nodes; ++i) {
    absl::StrAppend(&yaml, "  - {name: n", i, ", address: 10.", i / 65536, ".", (i / 256) % 256,
                    ".", i % 256, ", roles: [datanode, tasktracker",
                    i == 0 ? ", namenode, jobtracker" : "", "]}\n");
  }
  return yaml;
}

// Prints why a step failed; false, for `return Failed(...)`.
bool Failed(const absl::Status& status) {
  std::fprintf(stderr, "web_bench: %s\n", status.ToString().c_str());
  return false;
}

struct Result {
  int nodes;
  Stats build;
  Stats https;
  size_t bytes;
};

bool Run(int nodes, int runs, Result* out) {
  const fs::path dir = fs::temp_directory_path() / absl::StrCat("web_bench_", getpid(), "_", nodes);
  fs::remove_all(dir);
  fs::create_directories(dir);
  bamctl::FakeClock clock;
  auto store = bamctl::Store::Open((dir / "c.db").string(), &clock);
  if (!store.ok()) return Failed(store.status());
  bamctl::DesiredState state(store->get());
  bamctl::v1::ApplyRequest apply;
  apply.set_spec_text(Spec(nodes));
  auto applied = state.Apply(apply);
  if (!applied.ok()) return Failed(applied.status());
  auto current = state.CurrentPlans();
  std::vector<bamctl::v1::NodeReport> reports;
  for (const bamctl::v1::NodePlan& plan : (*current)->plans) {
    bamctl::v1::NodeReport report;
    report.set_node(plan.node());
    report.set_applied_version((*current)->version);
    report.set_applied_plan_hash((*current)->hashes[(*current)->by_node.at(plan.node())]);
    for (const std::string& role : plan.roles()) {
      bamctl::v1::RoleStatus* r = report.add_roles();
      r->set_service(role);
      r->set_phase(bamctl::v1::PHASE_RUNNING);
      r->set_health(bamctl::v1::HEALTH_HEALTHY);
      r->set_pid(1000);
      r->set_config_hash(std::string(64, 'a'));
      r->set_desired_config_hash(std::string(64, 'a'));
    }
    reports.push_back(std::move(report));
  }
  if (!(*store)->RecordReports(reports).ok()) return false;
  for (const bamctl::v1::NodePlan& plan : (*current)->plans) {
    (void)(*store)->SetConnected(plan.node(), true);
  }

  bamctl::OverviewSources sources;
  sources.state = &state;
  sources.store = store->get();
  sources.clock = &clock;
  bamctl::Overview overview(sources);
  size_t bytes = 0;
  out->build = Measure(runs, [&] {
    clock.AdvanceMillis(1000);  // past the cache
    bytes = overview.Json()->size();
  });
  out->bytes = bytes;

  // Over HTTPS as a scraper or a page's first load would fetch it.
  auto ca = bamctl::CertificateAuthority::Create("bench", absl::Hours(1));
  auto server_cert =
      ca->Issue("controller", bamctl::PeerRole::kController, absl::Hours(1), {}, {"127.0.0.1"});
  auto viewer = ca->Issue("viewer", bamctl::PeerRole::kViewer, absl::Hours(1));
  std::FILE* f = std::fopen((dir / "c.crt").c_str(), "w");
  std::fputs(server_cert->cert_pem.c_str(), f);
  std::fclose(f);
  f = std::fopen((dir / "c.key").c_str(), "w");
  std::fputs(server_cert->key_pem.c_str(), f);
  std::fclose(f);
  f = std::fopen((dir / "ca.crt").c_str(), "w");
  std::fputs(ca->cert_pem().c_str(), f);
  std::fclose(f);
  bamctl::WebOptions web;
  web.listen = "127.0.0.1:0";
  web.cert_file = (dir / "c.crt").string();
  web.key_file = (dir / "c.key").string();
  web.client_ca_file = (dir / "ca.crt").string();
  web.certificate_user = [](absl::string_view) -> absl::StatusOr<bamctl::WebUser> {
    return bamctl::WebUser{"viewer", "viewer"};
  };
  auto server = bamctl::WebServer::Start(web, sources, &clock);
  if (!server.ok()) return Failed(server.status());
  bamctl::testing::HttpClientOptions client;
  client.tls = true;
  client.ca_pem = ca->cert_pem();
  client.cert_pem = viewer->cert_pem;
  client.key_pem = viewer->key_pem;
  bool ok = true;
  out->https = Measure(runs, [&] {
    clock.AdvanceMillis(1000);
    auto answer = bamctl::testing::HttpGet("127.0.0.1", (*server)->port(), "/api/overview", client);
    ok = ok && answer.ok() && answer->status == 200;
  });
  (*server)->Shutdown();
  fs::remove_all(dir);
  out->nodes = nodes;
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {100, 1000, 4000};
  int runs = 30;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (absl::ConsumePrefix(&a, "--nodes=")) {
      sizes.clear();
      for (absl::string_view n : absl::StrSplit(a, ',')) {
        int v = 0;
        if (absl::SimpleAtoi(n, &v)) sizes.push_back(v);
      }
    } else if (absl::ConsumePrefix(&a, "--runs=")) {
      (void)absl::SimpleAtoi(a, &runs);
    }
  }
  std::vector<Result> results;
  std::printf("%7s %10s %12s %12s %12s %12s %12s\n", "nodes", "json KiB", "build p50", "build p99",
              "https p50", "https p99", "build ratio");
  for (int n : sizes) {
    Result r;
    if (!Run(n, runs, &r)) {
      std::fprintf(stderr, "web_bench: %d nodes failed\n", n);
      return 1;
    }
    results.push_back(r);
    std::printf("%7d %10.0f %10.2fms %10.2fms %10.2fms %10.2fms %12.1f\n", n, r.bytes / 1024.0,
                r.build.p50_ms, r.build.p99_ms, r.https.p50_ms, r.https.p99_ms,
                r.build.p50_ms / results.front().build.p50_ms);
  }
  return 0;
}
