// Fuzz target: what bamctl and the controller run on every spec they are
// given. The YAML parser, defaults and validation (LoadSpec), and for a
// spec that validates, the topology compiler. A validated spec must
// compile: validation is what stands between a spec and the compiler.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bamctl::LoadedSpec loaded = bamctl::LoadSpec(bamctl::fuzz::AsText(data, size));
  if (!loaded.ok()) return 0;
  bamctl::fuzz::Check(bamctl::CompileTopology(loaded.spec).ok(), "a spec that validates compiles");
  return 0;
}
