#include "sweep/axis.h"

#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "silicon/reference.h"
#include "sim/scenario.h"

namespace etchsim::sweep {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// More values than this on one axis is a typo in a range, not a plan.
constexpr int64_t kMaxAxisValues = 1'000'000;

bool IsInteger(const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

bool IsLengthDist(const FieldDescriptor* f) {
  return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         f->message_type() == v1::LengthDist::descriptor();
}

// Numeric axes (and length axes, whose fixed values are integers) accept
// a range.
bool TakesRange(const FieldDescriptor* f) {
  return IsInteger(f) || IsLengthDist(f) || f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE ||
         f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT;
}

std::string TypeName(const FieldDescriptor* f) {
  if (IsLengthDist(f)) return "a length (N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX])";
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
      return "an integer";
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return "a non-negative integer";
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "a finite number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    default:
      return "a string";
  }
}

// "LO:HI:STEP" with all three numbers, or nothing.
bool SplitRange(const std::string& v, double* lo, double* hi, double* step) {
  std::vector<std::string> p = absl::StrSplit(v, ':');
  return p.size() == 3 && absl::SimpleAtod(p[0], lo) && absl::SimpleAtod(p[1], hi) &&
         absl::SimpleAtod(p[2], step);
}

absl::Status ExpandRange(const std::string& where, bool integer, const std::string& v,
                         std::vector<std::string>& out) {
  double lo, hi, step;
  SplitRange(v, &lo, &hi, &step);
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(step) || !(step > 0) || hi < lo) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": range \"", v, "\" needs finite LO <= HI and STEP > 0"));
  }
  if (integer && (lo != std::floor(lo) || step != std::floor(step))) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": range \"", v, "\" must use integers for an integer field"));
  }
  const double n = std::floor((hi - lo) / step * (1 + 1e-12)) + 1;
  if (n > kMaxAxisValues) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": range \"", v, "\" has ", n, " values; at most ", kMaxAxisValues));
  }
  for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) {
    const double x = lo + static_cast<double>(i) * step;  // no accumulated error
    out.push_back(integer ? absl::StrCat(static_cast<int64_t>(x)) : absl::StrFormat("%.12g", x));
  }
  return absl::OkStatus();
}

// Parses one value into `m`'s field `f` (m is the innermost message).
absl::Status SetField(Message& m, const FieldDescriptor* f, const std::string& v,
                      const std::string& where) {
  const Reflection* r = m.GetReflection();
  auto bad = [&]() {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", v, "\" is not ", TypeName(f)));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetInt32(&m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetInt64(&m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetUInt32(&m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t x;
      if (!absl::SimpleAtoi(v, &x)) return bad();
      r->SetUInt64(&m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double x;
      if (!absl::SimpleAtod(v, &x) || !std::isfinite(x)) return bad();
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        r->SetDouble(&m, f, x);
      } else {
        r->SetFloat(&m, f, static_cast<float>(x));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool x;
      if (!absl::SimpleAtob(v, &x)) return bad();
      r->SetBool(&m, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING:
      if (v.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": empty value"));
      }
      // A proto3 string: a journal row holding it must parse back.
      RETURN_IF_ERROR(base::CheckUtf8(where, "value", v));
      r->SetString(&m, f, v);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type()->FindValueByName(v);
      if (e == nullptr) return bad();
      r->SetEnum(&m, f, e);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!IsLengthDist(f)) break;
      ASSIGN_OR_RETURN(v1::LengthDist d, sim::ParseLengthDist(v, where));
      r->MutableMessage(&m, f)->CopyFrom(d);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": cannot set this field"));
}

// "design.FIELD=V1,V2": every value parsed and range-checked on a scratch
// design, as the chip reference will be.
absl::StatusOr<Axis> ResolveDesignAxis(const v1::SweepAxis& spec, Axis axis,
                                       const std::string& where) {
  axis.design_field = axis.path.substr(std::string("design.").size());
  if (!silicon::IsDesignField(axis.design_field)) {
    v1::ChipDesign scratch;
    return silicon::ApplyDesignOverride(scratch, axis.design_field, "", where);
  }
  if (spec.values().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": axis has no values"));
  }
  std::vector<std::string> values;
  for (const std::string& v : spec.values()) {
    double lo, hi, step;
    if (SplitRange(v, &lo, &hi, &step)) {
      RETURN_IF_ERROR(ExpandRange(where, /*integer=*/false, v, values));
    } else {
      values.push_back(v);
    }
  }
  for (const std::string& v : values) {
    // '+' separates a reference's fields; only an exponent's (1e+08) may stay.
    for (size_t i = v.find('+'); i != std::string::npos; i = v.find('+', i + 1)) {
      if (i + 1 >= v.size() || !absl::ascii_isdigit(v[i + 1])) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": \"", base::Excerpt(v), "\" must not contain '+' (but in an exponent)"));
      }
    }
    v1::ChipDesign scratch;
    RETURN_IF_ERROR(silicon::ApplyDesignOverride(scratch, axis.design_field, v, where));
    axis.values.push_back(v);
  }
  return axis;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& AxisAliases() {
  static const auto* aliases = new std::vector<std::pair<std::string, std::string>>{
      {"topology", "topology.kind"},
      {"cards_per_server", "topology.cards_per_server"},
      {"chip_link", "topology.chip_link"},
      {"card_link", "topology.card_link"},
      {"server_link", "topology.server_link"},
      {"users", "workload.closed_loop.users"},
      {"think_time", "workload.closed_loop.think_time_s"},
      {"rate", "workload.poisson.rate_per_s"},
      {"input_len", "workload.input_len"},
      {"output_len", "workload.output_len"},
      {"draft_len", "speculative.draft_len"},
      {"acceptance", "speculative.acceptance_rate"},
      {"card_price", "cost.card_price_usd"},
      {"server_price", "cost.server_price_usd"},
      {"electricity", "cost.electricity_usd_per_kwh"},
      {"pue", "cost.pue"},
      {"amortization_years", "cost.amortization_years"},
      {"slo_ttft", "slo.ttft_s"},
      {"slo_tpot", "slo.tpot_s"},
      {"prefill_chip", "disaggregation.prefill_chip"},
      {"prefill_chips", "disaggregation.prefill_chips"},
      {"attention_chip", "attention_ffn.attention_chip"},
      {"attention_chips", "attention_ffn.attention_chips"},
  };
  return *aliases;
}

absl::StatusOr<v1::SweepAxis> ParseAxisFlag(const std::string& flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--axis \"", flag, "\": expected FIELD=V1,V2,... or FIELD=LO:HI:STEP"));
  }
  v1::SweepAxis a;
  a.set_field(std::string(absl::StripAsciiWhitespace(flag.substr(0, eq))));
  const std::string rest = flag.substr(eq + 1);
  if (!rest.empty()) {
    for (absl::string_view v : absl::StrSplit(rest, ',')) {
      a.add_values(std::string(absl::StripAsciiWhitespace(v)));
    }
  }
  return a;
}

absl::StatusOr<Axis> ResolveAxis(const v1::SweepAxis& spec, const std::string& source) {
  Axis axis;
  axis.name = spec.field();
  const std::string key = absl::StrReplaceAll(spec.field(), {{"-", "_"}});
  axis.path = key;
  axis.source = source;
  for (const auto& [alias, path] : AxisAliases()) {
    if (alias == key) axis.path = path;
  }
  const std::string where = absl::StrCat(source, " ", spec.field());
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": axis with no field"));
  if (absl::StartsWith(key, "design.")) return ResolveDesignAxis(spec, std::move(axis), where);
  const Descriptor* d = v1::Scenario::descriptor();
  std::vector<std::string> parts = absl::StrSplit(axis.path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = d == nullptr ? nullptr : d->FindFieldByName(parts[i]);
    if (f == nullptr) {
      std::vector<std::string> names;
      if (d != nullptr) {
        for (int k = 0; k < d->field_count(); ++k) names.push_back(d->field(k)->name());
      }
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown scenario field \"", parts[i], "\"",
          names.empty()
              ? ""
              : absl::StrCat(" (", d->full_name(), " has ", absl::StrJoin(names, ", "), ")")));
    }
    if (f->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": repeated field \"", parts[i], "\" cannot be an axis"));
    }
    axis.fields.push_back(f);
    const bool last = i + 1 == parts.size();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !IsLengthDist(f)) {
      if (last) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": \"", parts[i], "\" is a message; name one of its fields"));
      }
      d = f->message_type();
    } else if (!last) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": \"", parts[i], "\" has no fields"));
    }
  }
  if (spec.values().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": axis has no values"));
  }
  const FieldDescriptor* leaf = axis.fields.back();
  for (const std::string& v : spec.values()) {
    double lo, hi, step;
    if (TakesRange(leaf) && SplitRange(v, &lo, &hi, &step)) {
      RETURN_IF_ERROR(ExpandRange(where, IsInteger(leaf) || IsLengthDist(leaf), v, axis.values));
    } else {
      axis.values.push_back(v);
    }
  }
  v1::Scenario scratch;
  for (const std::string& v : axis.values) {
    RETURN_IF_ERROR(ApplyAxisValue(axis, v, scratch));
  }
  return axis;
}

absl::Status ApplyAxisValue(const Axis& axis, const std::string& value, v1::Scenario& s) {
  if (!axis.design_field.empty()) {
    if (!silicon::IsDesignReference(s.chip())) {
      return absl::FailedPreconditionError(
          absl::StrCat(axis.source, " ", axis.name,
                       ": design axes need a design chip (--chip @hc2 or a chip "
                       "axis of @NAME values), got chip \"",
                       base::Excerpt(s.chip()), "\""));
    }
    s.set_chip(absl::StrCat(s.chip(), "+", axis.design_field, "=", value));
    return absl::OkStatus();
  }
  Message* m = &s;
  for (size_t i = 0; i + 1 < axis.fields.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, axis.fields[i]);
  }
  return SetField(*m, axis.fields.back(), value, absl::StrCat(axis.source, " ", axis.name));
}

}  // namespace etchsim::sweep
