#ifndef BAMCTL_TESTS_EMULATORS_PRODUCT_UTIL_H_
#define BAMCTL_TESTS_EMULATORS_PRODUCT_UTIL_H_

// Helpers the product stand-ins share: the environment, executables,
// address resolution and XML files.

#include <map>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bamctl::emulator {

// env[key], or `fallback` when it is unset or empty (as `${X:-fallback}`).
std::string EnvOr(const std::map<std::string, std::string>& env, const std::string& key,
                  absl::string_view fallback);

// True when `path` is a file the current user may execute.
bool IsExecutable(const std::string& path);

// The first `name` on the colon-separated `path_var`, as `which` finds it.
std::optional<std::string> FindOnPath(absl::string_view name, absl::string_view path_var);

// The IPv4 address `host` (an address or a name) resolves to.
absl::StatusOr<std::string> ResolveIPv4(absl::string_view host);

// The parsed XML file at `path`; nullptr when it does not exist. A file
// that is not well-formed is an error naming it, the offset and the reason.
absl::StatusOr<std::unique_ptr<pugi::xml_document>> LoadXmlFile(const std::string& path);

// Trimmed text of the element at the '/'-separated `path` below `node`
// (namespace prefixes are not resolved: WSO2 files use default namespaces);
// nullopt when an element on the path is missing.
std::optional<std::string> ChildText(pugi::xml_node node, absl::string_view path);

}  // namespace bamctl::emulator

#endif  // BAMCTL_TESTS_EMULATORS_PRODUCT_UTIL_H_
