#include "model/weight_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounds.h"

namespace etchsim::model {

int64_t WeightFormat::BytesFor(int64_t params) const {
  const __int128 bits = static_cast<__int128>(params) * bits_num;
  const __int128 den = static_cast<__int128>(bits_den) * 8;
  return static_cast<int64_t>((bits + den - 1) / den);
}

int64_t WeightFormat::ParamsIn(int64_t bytes) const {
  const __int128 num = static_cast<__int128>(bytes) * 8 * bits_den;
  return static_cast<int64_t>(num / bits_num);
}

const std::vector<WeightFormat>& AllWeightFormats() {
  static const auto* formats = new std::vector<WeightFormat>{
      {"bf16", 16, 1, "16-bit brain float, no scales",
       "IEEE-754-style bfloat16 (Google TPU / Intel BF16 spec)", false},
      {"fp8", 4097, 512, "8-bit e4m3 + one fp32 scale per 128x128 block: 8 + 32/16384",
       "DeepSeek-V3 checkpoint quantization_config (fmt e4m3, "
       "weight_block_size [128, 128])",
       false},
      {"int4", 17, 4, "4-bit integers + fp16 scale and fp16 zero per group of 128: 4 + 32/128",
       "AWQ / GPTQ group-size-128 layout", false},
      {"fp4", 17, 4, "4-bit e2m1 + one 8-bit E8M0 scale per block of 32: 4 + 8/32",
       "OCP Microscaling Formats (MX) v1.0, MXFP4", false},
      {"nvfp4", 9, 2,
       "4-bit e2m1 + one fp8 e4m3 scale per block of 16: 4 + 8/16 "
       "(the per-tensor fp32 scale is negligible and ignored)",
       "NVIDIA Blackwell NVFP4", false},
      {"hc1-3bit", 7, 2,
       "7/8 of weights at 3 bits + 1/8 at 6 bits + one 8-bit scale per 64 "
       "weights: 2.625 + 0.75 + 0.125",
       "Taalas: HC1 uses a custom 3-bit base type combined with 6-bit "
       "parameters; the 7:1 mix and the scale layout are our assumption "
       "(docs/assumptions.md)",
       true},
  };
  return *formats;
}

absl::StatusOr<WeightFormat> FindWeightFormat(absl::string_view name) {
  std::vector<std::string> names;
  for (const WeightFormat& f : AllWeightFormats()) {
    if (f.name == name) return f;
    names.push_back(f.name);
  }
  return absl::NotFoundError(absl::StrCat("unknown weight format \"", base::Excerpt(name),
                                          "\" (known: ", absl::StrJoin(names, ", "), ")"));
}

}  // namespace etchsim::model
