// Test helper: a full disk without mounting one (base and sweep tests).
#ifndef ETCHSIM_BASE_FILE_SIZE_LIMIT_H_
#define ETCHSIM_BASE_FILE_SIZE_LIMIT_H_

#include <csignal>

#include <sys/resource.h>

namespace etchsim::base {

// While alive, a write past `bytes` of any file fails with EFBIG, as a
// full disk fails with ENOSPC (both are base::WriteError's Unavailable):
// a full disk without mounting one.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_signal_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit l = old_;
    l.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_signal_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;

 private:
  rlimit old_;
  void (*old_signal_)(int);
};

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_FILE_SIZE_LIMIT_H_
