#include "functional/verify.h"

#include <cmath>
#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "functional/formats.h"
#include "model/weight_format.h"

namespace etchsim::functional {
namespace {

using Key = std::tuple<int, int, std::string>;

std::string Where(const Mismatch& m, int num_layers) {
  const std::string layer =
      m.layer >= num_layers ? std::string("LM head") : absl::StrCat("layer ", m.layer);
  return absl::StrCat("step ", m.step, ", ", layer, ", chip ", m.chip, ", tensor ", m.tensor);
}

}  // namespace

std::optional<Mismatch> FirstMismatch(const std::vector<v1::FunctionalTrace>& reference,
                                      const std::vector<v1::FunctionalTrace>& sharded,
                                      int num_layers) {
  std::map<Key, const v1::FunctionalTrace*> got;
  for (const v1::FunctionalTrace& t : sharded) got[{t.step(), t.layer(), t.tensor()}] = &t;
  std::map<Key, bool> seen;
  for (const v1::FunctionalTrace& r : reference) {
    const Key key{r.step(), r.layer(), r.tensor()};
    seen[key] = true;
    Mismatch m;
    m.step = r.step();
    m.layer = r.layer();
    m.tensor = r.tensor();
    auto it = got.find(key);
    if (it == got.end()) {
      m.what = absl::StrCat(Where(m, num_layers), ": missing from the sharded run");
      return m;
    }
    const v1::FunctionalTrace& g = *it->second;
    m.chip = g.chip();
    if (g.values_size() != r.values_size()) {
      m.what = absl::StrCat(Where(m, num_layers), ": ", g.values_size(), " values, expected ",
                            r.values_size());
      return m;
    }
    for (int i = 0; i < r.values_size(); ++i) {
      if (r.values(i) == g.values(i)) continue;
      m.index = i;
      m.expected = r.values(i);
      m.got = g.values(i);
      m.what = absl::StrCat(Where(m, num_layers), "[", i, "]: ", m.got, ", expected ", m.expected,
                            " (Q16)");
      return m;
    }
  }
  for (const v1::FunctionalTrace& g : sharded) {
    if (seen.contains({g.step(), g.layer(), g.tensor()})) continue;
    Mismatch m;
    m.step = g.step();
    m.layer = g.layer();
    m.tensor = g.tensor();
    m.chip = g.chip();
    m.what = absl::StrCat(Where(m, num_layers), ": not in the reference run");
    return m;
  }
  return std::nullopt;
}

absl::StatusOr<v1::FunctionalFault> ParseFault(absl::string_view text, const Arch& arch) {
  v1::FunctionalFault f;
  if (text.empty()) return f;
  const std::vector<std::string> parts = absl::StrSplit(text, ':');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--fault: ", why, ", got \"", text,
                     "\" (use drop-expert:LAYER:EXPERT, skip-layer:LAYER or stale-kv:LAYER)"));
  };
  std::vector<int> nums;
  for (size_t i = 1; i < parts.size(); ++i) {
    int v = 0;
    if (!absl::SimpleAtoi(parts[i], &v)) return bad("fields after the kind must be integers");
    nums.push_back(v);
  }
  const size_t want = parts[0] == "drop-expert" ? 2 : 1;
  if (parts[0] == "drop-expert") {
    f.set_kind(v1::FunctionalFault::DROP_EXPERT);
  } else if (parts[0] == "skip-layer") {
    f.set_kind(v1::FunctionalFault::SKIP_LAYER);
  } else if (parts[0] == "stale-kv") {
    f.set_kind(v1::FunctionalFault::STALE_KV);
  } else {
    return bad("unknown fault kind");
  }
  if (nums.size() != want) return bad("wrong number of fields");
  if (nums[0] < 0 || nums[0] >= arch.num_layers()) {
    return bad(absl::StrCat("layer must be in [0, ", arch.num_layers() - 1, "]"));
  }
  f.set_layer(nums[0]);
  if (want == 2) {
    if (!arch.config.moe_layer[nums[0]]) return bad("that layer has no routed experts");
    if (nums[1] < 0 || nums[1] >= arch.config.num_routed_experts) {
      return bad(absl::StrCat("expert must be in [0, ", arch.config.num_routed_experts - 1, "]"));
    }
    f.set_expert(nums[1]);
  }
  return f;
}

absl::StatusOr<std::vector<QuantRow>> QuantizationReport(const Arch& arch,
                                                         const TensorFile& weights,
                                                         const DecodeOptions& o) {
  ASSIGN_OR_RETURN(auto bf16_chain, ReferenceChain(arch, weights, "bf16"));
  ASSIGN_OR_RETURN(DecodeResult base, Decode(arch, *bf16_chain, o));
  DecodeOptions forced = o;
  forced.forced.assign(base.tokens.begin(), base.tokens.begin() + base.logits.size());
  std::vector<QuantRow> rows;
  for (const std::string& format : QuantFormats()) {
    ASSIGN_OR_RETURN(auto chain, ReferenceChain(arch, weights, format));
    ASSIGN_OR_RETURN(DecodeResult r, Decode(arch, *chain, forced));
    ASSIGN_OR_RETURN(model::WeightFormat wf, model::FindWeightFormat(format));
    QuantRow row;
    row.format = format;
    row.bits_per_param = wf.bits_per_param();
    double se = 0, ref2 = 0;
    int agree = 0;
    int64_t n = 0;
    for (size_t s = 0; s < r.logits.size(); ++s) {
      for (size_t v = 0; v < r.logits[s].size(); ++v) {
        const double d = FromAct(r.logits[s][v]) - FromAct(base.logits[s][v]);
        se += d * d;
        ref2 += FromAct(base.logits[s][v]) * FromAct(base.logits[s][v]);
        row.max_logit_error = std::max(row.max_logit_error, std::fabs(d));
        ++n;
      }
      agree += ArgMax(r.logits[s]) == ArgMax(base.logits[s]);
    }
    row.steps = static_cast<int>(r.logits.size());
    row.rms_logit_error = std::sqrt(se / static_cast<double>(n));
    row.relative_rms_error = ref2 > 0 ? std::sqrt(se / ref2) : 0;
    row.top1_agreement = static_cast<double>(agree) / static_cast<double>(row.steps);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace etchsim::functional
