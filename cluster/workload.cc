#include "cluster/workload.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "cluster/scenario_validate.h"
#include "model/model_spec.h"
#include "nlohmann/json.hpp"

namespace etchsim::cluster {

int32_t SampleLength(const v1::LengthDist& d, base::Rng& rng) {
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed:
      return d.fixed();
    case v1::LengthDist::kUniform:
      return static_cast<int32_t>(rng.UniformInt(d.uniform().min(), d.uniform().max()));
    case v1::LengthDist::kLognormal: {
      double v = std::round(rng.LogNormal(std::log(d.lognormal().median()), d.lognormal().sigma()));
      v = std::max(1.0, v);
      const double cap = d.lognormal().max() > 0 ? d.lognormal().max()
                                                 : static_cast<double>(model::kMaxContextTokens);
      return static_cast<int32_t>(std::min(v, cap));
    }
    default:
      return 1;
  }
}

namespace {

constexpr int64_t kMaxTraceRequests = kMaxRequests;

absl::Status LineError(const std::string& path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

absl::Status Check(const std::string& path, int line, const TraceRequest& r, double arrival) {
  if (!(arrival >= 0 && arrival <= base::kMaxVirtualSeconds)) {
    return LineError(path, line,
                     absl::StrCat("arrival_s must be a finite number in [0, ",
                                  base::kMaxVirtualSeconds, "], got ", arrival));
  }
  if (r.input_len < 1 || r.output_len < 1) {
    return LineError(path, line, "input_len and output_len must be >= 1");
  }
  if (r.input_len + static_cast<int64_t>(r.output_len) > model::kMaxContextTokens) {
    return LineError(path, line, "input_len + output_len exceeds the context limit");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<TraceRequest>> LoadTrace(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
  return ParseTrace(text, path);
}

absl::StatusOr<std::vector<TraceRequest>> ParseTrace(const std::string& text,
                                                     const std::string& path) {
  std::vector<TraceRequest> out;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  const bool jsonl = absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json");
  int col_arrival = -1, col_in = -1, col_out = -1;
  for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
    std::string line(absl::StripAsciiWhitespace(lines[i]));
    const int n = i + 1;
    if (line.empty() || line[0] == '#') continue;
    TraceRequest r;
    double arrival = 0;
    if (jsonl) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {  // syntax, or a number like 1e400
        return LineError(path, n, "invalid JSON");
      }
      for (const char* k : {"arrival_s", "input_len", "output_len"}) {
        if (!j.is_object() || !j.contains(k) || !j[k].is_number()) {
          return LineError(path, n, absl::StrCat("missing number \"", k, "\""));
        }
      }
      arrival = j["arrival_s"].get<double>();
      // Lengths are read as written and range-checked before narrowing:
      // 2^32 + 16 must be an error, not 16.
      for (auto [k, dst] :
           {std::pair{"input_len", &r.input_len}, std::pair{"output_len", &r.output_len}}) {
        const nlohmann::json& v = j[k];
        if (!v.is_number_integer()) {
          return LineError(path, n, absl::StrCat("\"", k, "\" must be an integer, got ", v.dump()));
        }
        const bool in_range =
            v.is_number_unsigned()
                ? v.get<uint64_t>() <= static_cast<uint64_t>(model::kMaxContextTokens)
                : v.get<int64_t>() >= 1 && v.get<int64_t>() <= model::kMaxContextTokens;
        if (!in_range || v.get<int64_t>() < 1) {
          return LineError(path, n,
                           absl::StrCat("\"", k, "\" must be in [1, ", model::kMaxContextTokens,
                                        "], got ", v.dump()));
        }
        const int64_t len = v.get<int64_t>();
        *dst = static_cast<int32_t>(len);
      }
    } else {
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      for (auto& c : cells) c = std::string(absl::StripAsciiWhitespace(c));
      if (col_arrival < 0) {  // header
        for (int c = 0; c < static_cast<int>(cells.size()); ++c) {
          if (cells[c] == "arrival_s") col_arrival = c;
          if (cells[c] == "input_len") col_in = c;
          if (cells[c] == "output_len") col_out = c;
        }
        if (col_arrival < 0 || col_in < 0 || col_out < 0) {
          return LineError(path, n, "CSV header must name arrival_s, input_len and output_len");
        }
        continue;
      }
      const int need = std::max({col_arrival, col_in, col_out});
      if (static_cast<int>(cells.size()) <= need ||
          !absl::SimpleAtod(cells[col_arrival], &arrival) ||
          !absl::SimpleAtoi(cells[col_in], &r.input_len) ||
          !absl::SimpleAtoi(cells[col_out], &r.output_len)) {
        return LineError(path, n,
                         "expected arrival_s (number), input_len and output_len (integers)");
      }
    }
    RETURN_IF_ERROR(Check(path, n, r, arrival));
    if (static_cast<int64_t>(out.size()) >= kMaxTraceRequests) {
      return LineError(path, n,
                       absl::StrCat("trace holds more than ", kMaxTraceRequests, " requests"));
    }
    r.arrival = base::SimTime::FromSeconds(arrival);
    out.push_back(r);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": trace has no requests"));
  }
  std::stable_sort(out.begin(), out.end(), [](const TraceRequest& a, const TraceRequest& b) {
    return a.arrival < b.arrival;
  });
  return out;
}

}  // namespace etchsim::cluster
