#include "tests/emulators/daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "tests/emulators/coordination.h"
#include "tests/emulators/faults.h"
#include "tests/emulators/gossip.h"
#include "tests/emulators/product_util.h"

namespace bamctl::emulator {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxRequestBytes = 8192;

struct Listener {
  const Endpoint* endpoint;
  int fd;
};

std::string Describe(const Endpoint& e) {
  return absl::StrCat(e.host, ":", e.port, " (", e.name, ", from ", e.origin, ")");
}

std::string Response(int code, absl::string_view reason, absl::string_view headers,
                     absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\n", headers,
                      "Content-Type: text/html\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

// Reads one request (bounded in size and by a 1 s receive timeout), answers
// it, and waits for the peer to close so the reply is not cut by a reset.
void ServeHttp(int conn, const Endpoint& e, absl::string_view status) {
  timeval timeout{1, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string request;
  char buf[2048];
  while (request.size() < kMaxRequestBytes && !absl::StrContains(request, "\r\n\r\n")) {
    ssize_t n = recv(conn, buf, sizeof(buf), 0);
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  const std::string reply = HttpReply(e, request, status);
  for (size_t sent = 0; sent < reply.size();) {
    ssize_t n = send(conn, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(conn, SHUT_WR);
  timeout = {0, 200'000};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  while (recv(conn, buf, sizeof(buf), 0) > 0) {
  }
}

// Before binding: directories and files the product writes at start.
absl::Status Prepare(const DaemonPlan& plan) {
  for (const std::string& dir : plan.make_dirs) {
    if (absl::Status made = MakeDirs(dir, 0755); !made.ok()) return made;
  }
  for (const auto& [path, content] : plan.write_if_missing) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) continue;
    if (absl::Status written = WriteFileAtomically(path, content, 0644); !written.ok()) {
      return written;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> BindListener(const Endpoint& e) {
  absl::StatusOr<std::string> ip = ResolveIPv4(e.host);
  if (!ip.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("java.net.UnknownHostException: ", e.host, ": ", Describe(e)));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(e.port));
  inet_pton(AF_INET, ip->c_str(), &addr.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 128) != 0) {
    const int error = errno;
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("java.net.BindException: Problem binding to ", e.host, "/", *ip, ":", e.port,
                     " : ", std::strerror(error), " (", e.name, ", from ", e.origin, ")"));
  }
  return fd;
}

void Logger::Line(absl::string_view level, absl::string_view message) {
  const absl::Time now = absl::Now();
  const absl::TimeZone zone = absl::LocalTimeZone();
  switch (product_) {
    case Product::kHadoop:
      *out_ << absl::FormatTime("%y/%m/%d %H:%M:%S", now, zone) << " " << level << " " << source_
            << ": " << message << std::endl;
      break;
    case Product::kCassandra:
      *out_ << " " << level << " [main] " << absl::FormatTime("%Y-%m-%d %H:%M:%E3S", now, zone)
            << " " << source_ << " " << message << std::endl;
      break;
    case Product::kBam:
      *out_ << "[" << absl::FormatTime("%Y-%m-%d %H:%M:%E3S", now, zone) << "]  " << level << " {"
            << source_ << "} -  " << message << std::endl;
      break;
  }
}

std::string HttpReply(const Endpoint& e, absl::string_view request, absl::string_view status) {
  absl::string_view line = request.substr(0, request.find("\r\n"));
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/")) {
    return Response(400, "Bad Request", "", "");
  }
  if (parts[0] != "GET" && parts[0] != "HEAD") return Response(405, "Method Not Allowed", "", "");
  const absl::string_view path = parts[1];
  if (e.protocol == Protocol::kHttpPage) {
    return Response(200, "OK", "",
                    absl::StrCat("<html><head><title>", e.name, " on ", e.host, ":", e.port,
                                 "</title></head><body>Emulated by bam-emulator (", e.origin, ")",
                                 status.empty() ? "" : "<p>", status, "</body></html>\n"));
  }
  // Carbon: the console is TLS-only; its HTTP connector redirects there.
  if (path == "/") return Response(302, "Found", "Location: /carbon/\r\n", "");
  if (absl::StartsWith(path, "/carbon")) {
    return Response(302, "Found", absl::StrCat("Location: ", e.redirect_base, path, "\r\n"), "");
  }
  return Response(404, "Not Found", "", "");
}

namespace {

// Reads one command line (bounded: 1 s, 256 bytes); "" when the peer sent
// none (a probe that connects and closes).
std::string ReadCommandLine(int conn) {
  timeval timeout{1, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string command;
  char buf[256];
  while (command.size() < sizeof(buf) && !absl::StrContains(command, '\n')) {
    ssize_t n = recv(conn, buf, sizeof(buf), 0);
    if (n <= 0) break;
    command.append(buf, static_cast<size_t>(n));
  }
  return std::string(absl::StripAsciiWhitespace(command.substr(0, command.find('\n'))));
}

void SendLine(int conn, const std::string& line) {
  const std::string reply = line + "\n";
  send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
}

// Reads what a peer pushed until it closes (bounded: 1 s, 64 KiB).
std::string ReadAll(int conn) {
  timeval timeout{1, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string data;
  char buf[4096];
  while (data.size() < size_t{64} * 1024) {
    ssize_t n = recv(conn, buf, sizeof(buf), 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

// A namenode's safe mode (FSNamesystem.SafeModeInfo, as far as dfsadmin
// and the web page show it).
class SafeMode {
 public:
  SafeMode(const DaemonPlan::SafeMode& config, Logger& log) : config_(config), log_(log) {}

  void Start() {
    on_ = true;
    since_ = Clock::now();
    log_.Info(absl::StrCat(
        "STATE* Safe mode ON. The reported blocks 0 has reached the threshold 0.9990 of total "
        "blocks 0. Safe mode will be turned off automatically in ",
        config_.extension_ms / 1000, " seconds."));
  }
  // Leaves safe mode once the extension has passed (not when entered by
  // hand: that needs a leave).
  void Tick() {
    if (!on_ || manual_ ||
        Clock::now() - since_ < std::chrono::milliseconds(config_.extension_ms)) {
      return;
    }
    on_ = false;
    log_.Info(absl::StrCat(
        "STATE* Leaving safe mode after ",
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - since_).count(), " secs."));
    log_.Info("STATE* Safe mode is OFF.");
  }
  bool on() const { return on_; }

  // One dfsadmin command; the answer line ("error ..." when refused).
  std::string Handle(const std::string& command, const DaemonOptions& options) {
    if (command == "safemode get") return on_ ? "Safe mode is ON" : "Safe mode is OFF";
    if (command == "safemode enter") {
      if (!on_ || !manual_) {
        log_.Info(
            "STATE* Safe mode is ON. Use \"hadoop dfsadmin -safemode leave\" to turn safe mode "
            "off.");
      }
      on_ = true;
      manual_ = true;
      return "Safe mode is ON";
    }
    if (command == "safemode leave") {
      if (on_) log_.Info("STATE* Safe mode is OFF.");
      on_ = false;
      manual_ = false;
      return "Safe mode is OFF";
    }
    if (command == "saveNamespace") {
      if (!on_) {
        return "error java.io.IOException: Safe mode should be turned ON in order to create "
               "namespace image.";
      }
      absl::StatusOr<Faults> faults = ReadFaults(options.fault_file, options.fault_scope);
      if (faults.ok() && faults->save_fails) {
        log_.Error("Unable to save image: No space left on device (injected fault save-fails)");
        return "error java.io.IOException: No space left on device";
      }
      for (const std::string& dir : config_.name_dirs) {
        const std::string image = dir + "/current/fsimage";
        log_.Info(absl::StrCat("Saving image file ", image, " using no compression"));
        absl::Status written = WriteFileAtomically(
            dir + "/current/fstime", absl::StrCat(absl::ToUnixMillis(absl::Now()), "\n"), 0644);
        if (!written.ok()) return absl::StrCat("error java.io.IOException: ", written.message());
        log_.Info(absl::StrCat("Image file of size 112 saved in 0 seconds."));
      }
      return "ok";
    }
    // A secondary namenode's checkpoint: the edit log rolls, then the
    // merged image it uploaded becomes the namenode's.
    if (command == "rollEditLog") {
      if (on_) {
        return "error org.apache.hadoop.hdfs.server.namenode.SafeModeException: Checkpoint not "
               "created. Name node is in safe mode.";
      }
      log_.Info("Roll Edit Log from the secondary namenode");
      return "ok";
    }
    if (command == "rollFSImage") {
      for (const std::string& dir : config_.name_dirs) {
        absl::Status written = WriteFileAtomically(
            dir + "/current/fstime", absl::StrCat(absl::ToUnixMillis(absl::Now()), "\n"), 0644);
        if (!written.ok()) return absl::StrCat("error java.io.IOException: ", written.message());
      }
      log_.Info("Roll FSImage from the secondary namenode");
      return "ok";
    }
    return absl::StrCat("error Unknown command: ", command);
  }

 private:
  const DaemonPlan::SafeMode config_;
  Logger& log_;
  bool on_ = false;
  bool manual_ = false;
  Clock::time_point since_;
};

// SecondaryNameNode.doWork wakes every min(period, 5 min) and checkpoints
// once a period has passed since the last (the first at its first wake);
// the emulated edit log never fills fs.checkpoint.size.
std::chrono::seconds CheckpointWait(const DaemonPlan::Checkpoints& c) {
  return std::chrono::seconds(std::min<int64_t>(c.period_s, 300));
}

}  // namespace

int RunDaemon(const DaemonPlan& plan, const DaemonOptions& options, Logger& log) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);

  for (const std::string& line : plan.startup_log) log.Info(line);
  std::vector<Listener> listeners;
  auto close_all = [&] {
    for (const Listener& l : listeners) close(l.fd);
    listeners.clear();
  };
  std::unique_ptr<TaskCoordination> coordination;
  std::unique_ptr<SafeMode> safe_mode;
  std::unique_ptr<Gossip> gossip;
  Clock::time_point next_checkpoint = Clock::time_point::max();
  size_t masters_reached = 0;
  int tries = 0;
  bool started = false;
  Clock::time_point next_connect = Clock::now();
  Clock::time_point next_fault_check = Clock::now() + options.fault_poll;
  while (true) {
    if (!started && masters_reached == plan.wait_for.size()) {
      started = true;
      if (absl::Status prepared = Prepare(plan); !prepared.ok()) {
        log.Error(prepared.message());
        return 1;
      }
      if (plan.coordination.has_value()) {
        // ntask joins its group at activation, before the ports open.
        coordination = std::make_unique<TaskCoordination>(*plan.coordination, &log);
        if (absl::Status begun = coordination->Start(); !begun.ok()) {
          log.Error(absl::StrCat("Coordination service: ", begun.message()));
          return 1;
        }
        coordination->AwaitConnected(std::chrono::seconds(2));
        coordination->Poll();
      }
      for (const Endpoint& e : plan.endpoints) {
        absl::StatusOr<int> fd = BindListener(e);
        if (!fd.ok()) {
          log.Error(fd.status().message());
          close_all();
          return 1;
        }
        listeners.push_back({&e, *fd});
        log.Info(absl::StrCat("Listening on ", Describe(e)));
      }
      if (plan.safe_mode.has_value()) {
        safe_mode = std::make_unique<SafeMode>(*plan.safe_mode, log);
        safe_mode->Start();
      }
      if (plan.gossip.has_value()) {
        gossip = std::make_unique<Gossip>(*plan.gossip, &log);
        gossip->Start();
      }
      if (plan.checkpoints.has_value()) {
        log.Info(absl::StrCat("Checkpoint Period   :", plan.checkpoints->period_s, " secs (",
                              plan.checkpoints->period_s / 60, " min)"));
        next_checkpoint = Clock::now() + CheckpointWait(*plan.checkpoints);
      }
    }

    std::vector<pollfd> fds = {{signal_fd, POLLIN, 0}};
    for (const Listener& l : listeners) fds.push_back({l.fd, POLLIN, 0});
    poll(fds.data(), fds.size(), static_cast<int>(options.fault_poll.count()));
    if ((fds[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        const std::string name = strsignal(static_cast<int>(info.ssi_signo));
        if (options.ignore_term) {
          log.Warn(absl::StrCat("RECEIVED SIGNAL: ", name, "; ignored (fault ignore-term)"));
          continue;
        }
        log.Info(absl::StrCat("RECEIVED SIGNAL: ", name));
        if (coordination != nullptr) coordination->Close();  // leaves the group at once
        if (gossip != nullptr) gossip->Stop();               // the shutdown hook announces it
        close_all();
        log.Info(plan.shutdown_log);
        close(signal_fd);
        return 0;
      }
    }
    bool drained = false;
    for (size_t i = 0; i < listeners.size(); ++i) {
      if ((fds[i + 1].revents & POLLIN) == 0) continue;
      const int conn = accept4(listeners[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      if (listeners[i].endpoint->protocol == Protocol::kNameNodeRpc) {
        if (const std::string command = ReadCommandLine(conn);
            !command.empty() && safe_mode != nullptr) {
          SendLine(conn, safe_mode->Handle(command, options));
        }
      } else if (listeners[i].endpoint->protocol == Protocol::kJmx) {
        const std::string command = ReadCommandLine(conn);
        if (command == "status" && gossip != nullptr) {
          const std::string lines = gossip->StatusLines();
          send(conn, lines.data(), lines.size(), MSG_NOSIGNAL);
        } else {
          SendLine(conn, command == "drain" ? "ok" : "unknown operation");
        }
        if (command == "drain") {
          // As StorageService.drain(): stop talking to clients and peers,
          // flush, then wait for the stop.
          log.Info("DRAINING: starting drain process");
          log.Info("Stop listening to thrift clients");
          log.Info("Announcing shutdown");
          if (gossip != nullptr) gossip->Stop();
          log.Info("DRAINED");
          drained = true;
        }
      } else if (listeners[i].endpoint->protocol == Protocol::kGossip) {
        const std::string pushed = ReadAll(conn);
        if (gossip != nullptr) gossip->Receive(pushed);
      } else if (listeners[i].endpoint->protocol != Protocol::kTcp) {
        ServeHttp(conn, *listeners[i].endpoint,
                  safe_mode != nullptr && safe_mode->on()
                      ? "Safe mode is ON. Use \"hadoop dfsadmin -safemode leave\" to turn it off."
                      : "");
      }
      close(conn);
    }
    if (drained) {
      std::erase_if(listeners, [](const Listener& l) {
        if (l.endpoint->protocol == Protocol::kJmx) return false;
        close(l.fd);
        return true;
      });
    }

    const Clock::time_point now = Clock::now();
    if (now >= next_fault_check) {
      next_fault_check = now + options.fault_poll;
      if (coordination != nullptr) coordination->Poll();
      if (safe_mode != nullptr) safe_mode->Tick();
      if (gossip != nullptr) gossip->Tick();
      if (now >= next_checkpoint) {
        absl::StatusOr<std::vector<std::string>> done =
            Checkpoint(plan.checkpoints->namenode, plan.checkpoints->dir);
        // The next one a period after a checkpoint; after a failure, at the
        // next wake.
        if (done.ok()) {
          for (const std::string& line : *done) log.Info(line);
          next_checkpoint = Clock::now() + std::chrono::seconds(plan.checkpoints->period_s);
        } else {
          log.Error(absl::StrCat("Exception in doCheckpoint: ", done.status().message()));
          next_checkpoint = Clock::now() + CheckpointWait(*plan.checkpoints);
        }
      }
      absl::StatusOr<Faults> faults = ReadFaults(options.fault_file, options.fault_scope);
      if (faults.ok() && faults->crash_now) {
        log.Error(absl::StrCat("injected fault crash-now (", options.fault_file, "): SIGKILL"));
        raise(SIGKILL);
      }
    }
    if (!started && now >= next_connect) {
      const Endpoint& master = plan.wait_for[masters_reached];
      if (TcpConnect(master.host, master.port, std::chrono::milliseconds(500)).ok()) {
        log.Info(absl::StrCat("Connected to ", master.name, " at ", master.host, ":", master.port));
        ++masters_reached;
        tries = 0;
      } else {
        log.Info(absl::StrCat("Retrying connect to server: ", master.host, ":", master.port,
                              ". Already tried ", tries++, " time(s). (", master.origin, ")"));
        next_connect = now + options.connect_retry;
      }
    }
  }
}

}  // namespace bamctl::emulator
