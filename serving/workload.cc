#include "serving/workload.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "model/model_spec.h"
#include "nlohmann/json.hpp"
#include "serving/limits.h"

namespace etchsim::serving {

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

namespace {

// How a trace's time column reads.
enum class TraceClock {
  kSeconds,   // etchsim: arrival_s, seconds from the start
  kMillis,    // Mooncake JSONL: timestamp, milliseconds from the start
  kDateTime,  // Azure LLM inference CSV: TIMESTAMP "2023-11-16 18:15:46.6805900"
};

// A time as whole seconds plus a fraction, so that an absolute date
// (~1.7e9 s) keeps its sub-microsecond part until it is made relative.
struct TraceTime {
  int64_t whole = 0;
  double frac = 0;
};

// "YYYY-MM-DD HH:MM:SS[.fraction]" in UTC.
bool ParseDateTime(absl::string_view v, TraceTime& t) {
  if (v.size() < 19 || (v[10] != ' ' && v[10] != 'T')) return false;
  std::string civil(v.substr(0, 19));
  civil[10] = 'T';
  absl::CivilSecond cs;
  if (!absl::ParseCivilTime(civil, &cs)) return false;
  t.whole = absl::ToUnixSeconds(absl::FromCivil(cs, absl::UTCTimeZone()));
  t.frac = 0;
  if (v.size() > 19) {
    if (v[19] != '.' || v.size() == 20) return false;
    for (char c : v.substr(20)) {
      if (c < '0' || c > '9') return false;
    }
    if (!absl::SimpleAtod(absl::StrCat("0", v.substr(19)), &t.frac)) return false;
  }
  return true;
}

// A length as written, range-checked before narrowing (2^32 + 16 must be
// an error, not 16).
absl::Status JsonLength(const std::string& path, int n, const nlohmann::json& v, const char* key,
                        int32_t& dst) {
  if (!v.is_number_integer()) {
    return LineError(path, n, absl::StrCat("\"", key, "\" must be an integer, got ", v.dump()));
  }
  const bool in_range = v.is_number_unsigned()
                            ? v.get<uint64_t>() <= static_cast<uint64_t>(model::kMaxContextTokens)
                            : v.get<int64_t>() >= 1 && v.get<int64_t>() <= model::kMaxContextTokens;
  if (!in_range || v.get<int64_t>() < 1) {
    return LineError(path, n,
                     absl::StrCat("\"", key, "\" must be in [1, ", model::kMaxContextTokens,
                                  "], got ", v.dump()));
  }
  dst = static_cast<int32_t>(v.get<int64_t>());
  return absl::OkStatus();
}

// The first of `names` that `j` holds, or null.
const char* FirstKey(const nlohmann::json& j, std::initializer_list<const char*> names) {
  for (const char* k : names) {
    if (j.contains(k)) return k;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::vector<TraceRequest>> ParseTrace(const std::string& text,
                                                     const std::string& path) {
  struct Row {
    TraceRequest r;
    TraceTime t;
    int line = 0;
  };
  std::vector<Row> rows;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  const bool jsonl = absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".json");
  int col_arrival = -1, col_in = -1, col_out = -1;
  TraceClock clock = TraceClock::kSeconds;
  for (int i = 0; i < static_cast<int>(lines.size()); ++i) {
    std::string line(absl::StripAsciiWhitespace(lines[i]));
    const int n = i + 1;
    if (line.empty() || line[0] == '#') continue;
    Row row;
    row.line = n;
    TraceRequest& r = row.r;
    double arrival = 0;
    if (jsonl) {
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {  // syntax, or a number like 1e400
        return LineError(path, n, "invalid JSON");
      }
      if (!j.is_object()) return LineError(path, n, "expected a JSON object");
      // etchsim's keys, or Mooncake's (timestamp in ms, input_length,
      // output_length).
      const char* k_time = FirstKey(j, {"arrival_s", "timestamp"});
      const char* k_in = FirstKey(j, {"input_len", "input_length"});
      const char* k_out = FirstKey(j, {"output_len", "output_length"});
      if (k_time == nullptr || k_in == nullptr || k_out == nullptr) {
        return LineError(path, n,
                         "expected arrival_s, input_len and output_len (or Mooncake's "
                         "timestamp in ms, input_length and output_length)");
      }
      if (!j[k_time].is_number()) {
        return LineError(path, n, absl::StrCat("missing number \"", k_time, "\""));
      }
      arrival = j[k_time].get<double>();
      if (std::string(k_time) == "timestamp") arrival /= 1000;
      RETURN_IF_ERROR(JsonLength(path, n, j[k_in], k_in, r.input_len));
      RETURN_IF_ERROR(JsonLength(path, n, j[k_out], k_out, r.output_len));
    } else {
      std::vector<std::string> cells = absl::StrSplit(line, ',');
      for (auto& c : cells) c = std::string(absl::StripAsciiWhitespace(c));
      if (col_arrival < 0) {  // header: etchsim's columns, or the Azure LLM trace's
        for (int c = 0; c < static_cast<int>(cells.size()); ++c) {
          if (cells[c] == "arrival_s") col_arrival = c;
          if (cells[c] == "TIMESTAMP") {
            col_arrival = c;
            clock = TraceClock::kDateTime;
          }
          if (cells[c] == "input_len" || cells[c] == "ContextTokens") col_in = c;
          if (cells[c] == "output_len" || cells[c] == "GeneratedTokens") col_out = c;
        }
        if (col_arrival < 0 || col_in < 0 || col_out < 0) {
          return LineError(path, n,
                           "CSV header must name arrival_s, input_len and output_len (or the "
                           "Azure LLM trace's TIMESTAMP, ContextTokens and GeneratedTokens)");
        }
        continue;
      }
      const int need = std::max({col_arrival, col_in, col_out});
      const bool time_ok =
          static_cast<int>(cells.size()) > need &&
          (clock == TraceClock::kDateTime ? ParseDateTime(cells[col_arrival], row.t)
                                          : absl::SimpleAtod(cells[col_arrival], &arrival));
      if (!time_ok || !absl::SimpleAtoi(cells[col_in], &r.input_len) ||
          !absl::SimpleAtoi(cells[col_out], &r.output_len)) {
        return LineError(path, n,
                         clock == TraceClock::kDateTime
                             ? "expected TIMESTAMP (YYYY-MM-DD HH:MM:SS[.fraction]), "
                               "ContextTokens and GeneratedTokens (integers)"
                             : "expected arrival_s (number), input_len and output_len (integers)");
      }
    }
    if (clock != TraceClock::kDateTime) {
      if (!(arrival >= 0 && arrival <= base::kMaxVirtualSeconds)) {
        RETURN_IF_ERROR(Check(path, n, r, arrival));
      }
      row.t.whole = static_cast<int64_t>(std::floor(arrival));
      row.t.frac = arrival - static_cast<double>(row.t.whole);
    }
    if (static_cast<int64_t>(rows.size()) >= kMaxTraceRequests) {
      return LineError(path, n,
                       absl::StrCat("trace holds more than ", kMaxTraceRequests, " requests"));
    }
    rows.push_back(row);
  }
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": trace has no requests"));
  }
  // Absolute dates count from the earliest request; etchsim and Mooncake
  // times are already relative to the start.
  TraceTime origin;
  if (clock == TraceClock::kDateTime) {
    origin = rows[0].t;
    for (const Row& row : rows) {
      if (row.t.whole < origin.whole || (row.t.whole == origin.whole && row.t.frac < origin.frac)) {
        origin = row.t;
      }
    }
  }
  std::vector<TraceRequest> out;
  out.reserve(rows.size());
  for (Row& row : rows) {
    const double arrival =
        static_cast<double>(row.t.whole - origin.whole) + (row.t.frac - origin.frac);
    RETURN_IF_ERROR(Check(path, row.line, row.r, arrival));
    row.r.arrival = base::SimTime::FromSeconds(arrival);
    out.push_back(row.r);
  }
  std::stable_sort(out.begin(), out.end(), [](const TraceRequest& a, const TraceRequest& b) {
    return a.arrival < b.arrival;
  });
  return out;
}

}  // namespace etchsim::serving
