#include "agentd/state/state_file.h"

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/hash.h"

namespace bamctl {
namespace {

constexpr absl::string_view kMagic = "bam-agentd-state 1\n";

}  // namespace

absl::Status StateFile::Save(const v1::AgentState& state) {
  std::string body;
  if (!state.SerializeToString(&body)) return absl::InternalError("cannot serialize agent state");
  return WriteFileAtomically(path_, absl::StrCat(kMagic, Sha256Hex(body), "\n", body), 0600);
}

StateFile::Loaded StateFile::Load() const {
  Loaded out;
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path_);
  if (!text.ok()) {
    out.problem = std::string(text.status().message());
    return out;
  }
  if (!text->has_value()) return out;
  absl::string_view data = **text;
  auto unusable = [&](absl::string_view why) {
    out.problem =
        absl::StrCat("state file ", path_, " ", why, "; starting from what is running on the host");
    return out;
  };
  if (data.substr(0, kMagic.size()) != kMagic) return unusable("has an unknown format");
  data.remove_prefix(kMagic.size());
  const size_t newline = data.find('\n');
  if (newline != 64) return unusable("is truncated (no checksum line)");
  const absl::string_view checksum = data.substr(0, 64);
  const absl::string_view body = data.substr(65);
  if (Sha256Hex(body) != checksum) return unusable("is damaged (checksum mismatch)");
  if (!out.state.ParseFromString(std::string(body))) return unusable("does not parse");
  return out;
}

}  // namespace bamctl
