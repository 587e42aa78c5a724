#ifndef BAMCTL_COMMON_THREAD_NAME_H_
#define BAMCTL_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <string>

#include "absl/strings/string_view.h"

namespace bamctl {

// Names the calling thread as `ps -T`, top and /proc/PID/task/*/comm show
// it, so a thread count can be told apart from gRPC's and civetweb's own
// threads. Linux keeps 15 bytes; longer names are cut.
inline void NameThisThread(absl::string_view name) {
  std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace bamctl

#endif  // BAMCTL_COMMON_THREAD_NAME_H_
