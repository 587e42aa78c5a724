#include "tests/emulators/products.h"

#include "absl/strings/str_cat.h"

namespace bamctl::emulator {

std::optional<Product> ParseProduct(absl::string_view name) {
  if (name == "hadoop") return Product::kHadoop;
  if (name == "cassandra") return Product::kCassandra;
  if (name == "bam") return Product::kBam;
  return std::nullopt;
}

absl::string_view ProductName(Product product) {
  switch (product) {
    case Product::kHadoop:
      return "hadoop";
    case Product::kCassandra:
      return "cassandra";
    case Product::kBam:
      return "bam";
  }
  return "?";
}

std::optional<Product> ProductOfProgram(absl::string_view program) {
  if (program == "hadoop") return Product::kHadoop;
  if (program == "cassandra" || program == "nodetool") return Product::kCassandra;
  if (program == "wso2server.sh") return Product::kBam;
  return std::nullopt;
}

std::string FaultScope(const RunRequest& request) {
  if (request.program == "wso2server.sh") return "bam";
  if (request.program != "hadoop") return request.program;  // cassandra, nodetool
  // bin/hadoop [--config DIR] COMMAND [-format]
  const std::vector<std::string>& a = request.args;
  const size_t at = a.size() >= 2 && a[0] == "--config" ? 2 : 0;
  if (at >= a.size()) return "hadoop";
  if (a[at] == "namenode" && at + 1 < a.size() && a[at + 1] == "-format") {
    return "format-namenode";  // the driver's init step name
  }
  return a[at];
}

absl::StatusOr<Invocation> Prepare(const RunRequest& request, std::istream& in) {
  if (request.program == "hadoop") return PrepareHadoop(request, in);
  if (request.program == "cassandra") return PrepareCassandra(request);
  if (request.program == "nodetool") return PrepareNodetool(request);
  if (request.program == "wso2server.sh") return PrepareBam(request);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown program \"", request.program,
                   "\" (valid: hadoop, cassandra, nodetool, wso2server.sh)"));
}

}  // namespace bamctl::emulator
