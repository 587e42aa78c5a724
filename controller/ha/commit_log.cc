#include "controller/ha/commit_log.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bamctl {
namespace {

// The first byte of a stored entry says how the rest holds the data.
constexpr char kRaw = 'R';
constexpr char kZlib = 'Z';     // 8 bytes of size (little-endian), then zlib
constexpr char kChunked = 'C';  // "<size>\n<chunk path>\n...": the encoded entry in chunks
constexpr char kEntryPrefix[] = "e-";
// Inflating more than this is refused: a log entry is a spec, not a bomb.
constexpr uint64_t kMaxEntryBytes = uint64_t{256} << 20;

// Indexes count from 1 (ZooKeeper's sequence + 1): 0 means "none applied".
int64_t IndexOf(absl::string_view name) {
  int64_t seq = -1;
  if (!absl::ConsumePrefix(&name, kEntryPrefix) || !absl::SimpleAtoi(name, &seq) || seq < 0) {
    return -1;
  }
  return seq + 1;
}

// The data as stored in one znode's worth or more: raw, or zlib when that
// is smaller.
std::string Encode(const std::string& data) {
  uLongf bound = compressBound(data.size());
  std::string packed(1 + 8 + bound, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data() + 9), &bound,
                reinterpret_cast<const Bytef*>(data.data()), data.size(), Z_BEST_SPEED) == Z_OK &&
      9 + bound < 1 + data.size()) {
    packed[0] = kZlib;
    uint64_t size = data.size();
    for (int i = 0; i < 8; ++i) packed[1 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
    packed.resize(9 + bound);
    return packed;
  }
  return absl::StrCat(std::string(1, kRaw), data);
}

absl::StatusOr<std::string> Unpack(const std::string& where, const std::string& stored) {
  if (stored.empty()) return absl::DataLossError(absl::StrCat(where, ": an empty log entry"));
  if (stored[0] == kRaw) return stored.substr(1);
  if (stored[0] != kZlib || stored.size() < 9) {
    return absl::DataLossError(absl::StrCat(where, ": not a log entry this controller writes"));
  }
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i) {
    size |= uint64_t{static_cast<unsigned char>(stored[1 + i])} << (8 * i);
  }
  if (size > kMaxEntryBytes) {
    return absl::DataLossError(absl::StrCat(where, ": entry claims ", size, " bytes"));
  }
  std::string data(size, '\0');
  uLongf length = size;
  if (uncompress(reinterpret_cast<Bytef*>(data.data()), &length,
                 reinterpret_cast<const Bytef*>(stored.data() + 9), stored.size() - 9) != Z_OK ||
      length != size) {
    return absl::DataLossError(absl::StrCat(where, ": a compressed log entry does not inflate"));
  }
  return data;
}

}  // namespace

CommitLog::CommitLog(const std::string& ha_path)
    : log_(absl::StrCat(ha_path, "/log")), blobs_(absl::StrCat(ha_path, "/blobs")) {}

absl::Status CommitLog::Init(ZkClient& zk) const {
  if (absl::Status s = zk.EnsurePath(log_); !s.ok()) return s;
  return zk.EnsurePath(blobs_);
}

absl::StatusOr<int64_t> CommitLog::Append(ZkClient& zk, const std::string& fence,
                                          const std::string& data) const {
  std::string stored = Encode(data);
  if (stored.size() > kChunkBytes) {
    std::vector<std::string> chunks;
    for (size_t at = 0; at < stored.size(); at += kChunkBytes) {
      absl::StatusOr<std::string> chunk =
          zk.Create(absl::StrCat(blobs_, "/b-"), stored.substr(at, kChunkBytes),
                    ZkCreateMode::kPersistentSequential);
      if (!chunk.ok()) return chunk.status();
      chunks.push_back(*std::move(chunk));
    }
    stored =
        absl::StrCat(std::string(1, kChunked), stored.size(), "\n", absl::StrJoin(chunks, "\n"));
  }
  absl::StatusOr<std::vector<std::string>> made =
      zk.Multi({ZkOp::Check(fence), ZkOp::Create(absl::StrCat(log_, "/", kEntryPrefix), stored,
                                                 ZkCreateMode::kPersistentSequential)});
  if (!made.ok()) return made.status();
  const std::string& path = (*made)[1];
  const int64_t index = IndexOf(absl::string_view(path).substr(log_.size() + 1));
  if (index < 0) return absl::InternalError(absl::StrCat("unexpected log entry name ", path));
  return index;
}

absl::StatusOr<std::string> CommitLog::Decode(ZkClient& zk, const std::string& name,
                                              const std::string& stored) const {
  const std::string where = absl::StrCat(log_, "/", name);
  if (stored.empty() || stored[0] != kChunked) return Unpack(where, stored);
  std::vector<std::string> lines = absl::StrSplit(stored.substr(1), '\n');
  uint64_t size = 0;
  if (lines.size() < 2 || !absl::SimpleAtoi(lines[0], &size) || size > kMaxEntryBytes) {
    return absl::DataLossError(absl::StrCat(where, ": a malformed chunk list"));
  }
  std::string joined;
  joined.reserve(size);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].rfind(blobs_ + "/", 0) != 0) {
      return absl::DataLossError(
          absl::StrCat(where, ": chunk ", lines[i], " is not under ", blobs_));
    }
    absl::StatusOr<ZkNode> chunk = zk.Get(lines[i]);
    if (!chunk.ok()) return chunk.status();
    joined += chunk->data;
    if (joined.size() > size) break;
  }
  if (joined.size() != size) {
    return absl::DataLossError(absl::StrCat(where, ": its chunks hold ", joined.size(),
                                            " bytes, not the ", size, " listed"));
  }
  return Unpack(where, joined);
}

std::string CommitLog::EntryName(int64_t index) {
  return absl::StrCat(kEntryPrefix, absl::Dec(index - 1, absl::kZeroPad10));
}

absl::StatusOr<std::vector<LogEntry>> CommitLog::Read(ZkClient& zk, int64_t from, int max,
                                                      const ZkClient::Watch& watch) const {
  // Entry by entry, by name: a read costs what it returns, however long
  // the log (listing the children would cost the whole log each time).
  std::vector<LogEntry> entries;
  for (int64_t index = std::max<int64_t>(from, 1); static_cast<int>(entries.size()) < max;
       ++index) {
    const std::string name = EntryName(index);
    const std::string path = absl::StrCat(log_, "/", name);
    absl::StatusOr<ZkNode> node = zk.Get(path);
    if (!node.ok() && node.status().code() == absl::StatusCode::kNotFound) {
      if (watch == nullptr) break;
      // The end: watch for this entry's creation. It may have been made
      // since the get; then read it (Exists has no data) and go on.
      absl::StatusOr<std::optional<ZkNode>> exists = zk.Exists(path, watch);
      if (!exists.ok()) return exists.status();
      if (!exists->has_value()) break;
      node = zk.Get(path);
    }
    if (!node.ok()) return node.status();
    absl::StatusOr<std::string> data = Decode(zk, name, node->data);
    if (!data.ok()) return data.status();
    entries.push_back({index, *std::move(data)});
  }
  return entries;
}

}  // namespace bamctl
