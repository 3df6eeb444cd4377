// Weight formats: how many bits a parameter occupies once stored, with the
// scales and other metadata its format carries amortised in.
//
// Bits per parameter are kept as an exact fraction so byte counts are exact
// integers: bytes(params) = ceil(params * num / (8 * den)).
#ifndef ETCHSIM_MODEL_WEIGHT_FORMAT_H_
#define ETCHSIM_MODEL_WEIGHT_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etchsim::model {

struct WeightFormat {
  std::string name;      // "fp4", "hc1-3bit", ...
  int64_t bits_num = 0;  // bits per parameter = bits_num / bits_den
  int64_t bits_den = 1;
  std::string composition;  // how the bits add up, one line
  std::string source;       // where the layout comes from
  bool assumption = false;  // true when the layout is our reading, not a spec

  double bits_per_param() const {
    return static_cast<double>(bits_num) / static_cast<double>(bits_den);
  }
  int64_t BytesFor(int64_t params) const;
  // Largest parameter count that fits in `bytes`.
  int64_t ParamsIn(int64_t bytes) const;
};

const std::vector<WeightFormat>& AllWeightFormats();
absl::StatusOr<WeightFormat> FindWeightFormat(absl::string_view name);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_WEIGHT_FORMAT_H_
