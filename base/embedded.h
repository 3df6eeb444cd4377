// A text resource compiled into the binary (see cmake/embed_files.cmake).
#ifndef ETCHSIM_BASE_EMBEDDED_H_
#define ETCHSIM_BASE_EMBEDDED_H_

#include <string_view>
#include <vector>

namespace etchsim::base {

struct EmbeddedFile {
  std::string_view name;      // file name without directory, e.g. "hc1.textproto"
  std::string_view contents;  // exact bytes of the file
};

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_EMBEDDED_H_
