#include "plan/slo.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace etchsim::plan {
namespace {

using google::protobuf::FieldDescriptor;

// "p95" -> 95, "p99.9" -> 99.9: 'p', then digits with at most one '.'
// between them. False for anything else.
bool PercentOf(const std::string& stat, double* pct) {
  if (stat.size() < 2 || stat[0] != 'p' || stat[1] == '.' || stat.back() == '.' ||
      stat.find_first_not_of("0123456789.", 1) != std::string::npos ||
      std::count(stat.begin(), stat.end(), '.') > 1) {
    return false;
  }
  return absl::SimpleAtod(stat.substr(1), pct);
}

absl::Status Bad(const std::string& term, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("--slo \"", term, "\": ", what));
}

// MLPerf Inference datacenter latency limits (p99), per bundled model
// that MLPerf uses: docs/assumptions.md §7.
const std::map<std::pair<std::string, std::string>, std::vector<SloTerm>>& Named() {
  static const auto* m = new std::map<std::pair<std::string, std::string>, std::vector<SloTerm>>{
      {{"mlperf-server", "deepseek-r1"}, {{"ttft", "p99", 2.0}, {"tpot", "p99", 0.080}}},
      {{"mlperf-server", "llama-3.1-405b"}, {{"ttft", "p99", 6.0}, {"tpot", "p99", 0.175}}},
      {{"mlperf-interactive", "llama-3.1-405b"}, {{"ttft", "p99", 4.5}, {"tpot", "p99", 0.080}}},
      {{"mlperf-server", "llama-3.1-8b"}, {{"ttft", "p99", 2.0}, {"tpot", "p99", 0.100}}},
      {{"mlperf-interactive", "llama-3.1-8b"}, {{"ttft", "p99", 0.5}, {"tpot", "p99", 0.030}}},
  };
  return *m;
}

}  // namespace

std::string SloTerm::Describe() const {
  if (at_least()) return absl::StrFormat("%s_%s>=%g", metric, stat, limit_s);
  return absl::StrFormat("%s_%s<=%gms", metric, stat, limit_s * 1e3);
}

absl::StatusOr<Slo> ParseSlo(const std::string& spec, const std::string& model) {
  Slo slo;
  slo.name = spec;
  if (spec == "mlperf-server" || spec == "mlperf-interactive") {
    auto it = Named().find({spec, model});
    if (it == Named().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--slo ", spec, ": MLPerf Inference has no ", spec.substr(7),
                       " latency limits for ", model,
                       " (known: deepseek-r1 server; llama-3.1-8b, llama-3.1-405b server and "
                       "interactive)"));
    }
    slo.terms = it->second;
    return slo;
  }
  if (absl::StripAsciiWhitespace(spec).empty()) {
    return absl::InvalidArgumentError("--slo: empty; give e.g. \"ttft_p99<=500ms,tpot_p99<=30ms\"");
  }
  for (absl::string_view raw : absl::StrSplit(spec, ',')) {
    const std::string term(absl::StripAsciiWhitespace(raw));
    const bool at_least = term.find(">=") != std::string::npos;
    const size_t op = at_least ? term.find(">=") : term.find("<=");
    if (op == std::string::npos)
      return Bad(term, "expected METRIC_STAT<=VALUE, e.g. ttft_p99<=500ms (or tps_user_p10>=50)");
    const std::string lhs = term.substr(0, op);
    std::string value = term.substr(op + 2);
    // tps_user_p10: the metric's own '_' is kept.
    const size_t us = lhs.rfind('_');
    if (us == std::string::npos || us == 0 || us + 1 == lhs.size()) {
      return Bad(term, "expected METRIC_STAT, e.g. tpot_p99");
    }
    SloTerm t{lhs.substr(0, us), lhs.substr(us + 1), 0};
    if (t.metric != "ttft" && t.metric != "tpot" && t.metric != "itl" && t.metric != "e2e" &&
        t.metric != "tps_user") {
      return Bad(term, absl::StrCat("unknown metric \"", t.metric,
                                    "\" (ttft, tpot, itl, e2e; tps_user with >=)"));
    }
    if (t.at_least() != at_least) {
      return Bad(term, t.at_least() ? "tps_user is a floor: write tps_user_STAT>=TOKENS_PER_S"
                                    : "latency terms are ceilings: write METRIC_STAT<=VALUE");
    }
    double pct = 0;
    if (t.stat != "mean" && !(PercentOf(t.stat, &pct) && pct >= 1 && pct <= 99.99)) {
      return Bad(term, absl::StrCat("unknown statistic \"", t.stat,
                                    "\" (mean, or pN for a percentile N in [1, 99.99]: p50, p95, "
                                    "p99.9)"));
    }
    double scale = 1;
    absl::string_view v = value;
    if (t.at_least()) {
      absl::ConsumeSuffix(&v, "tok/s");
      double x;
      if (!absl::SimpleAtod(v, &x) || !std::isfinite(x) || !(x > 0) || x > 1e9) {
        return Bad(term, absl::StrCat("\"", value, "\" is not a rate in (0, 1e9] tok/s"));
      }
      t.limit_s = x;
      slo.terms.push_back(t);
      continue;
    }
    if (absl::ConsumeSuffix(&v, "ms"))
      scale = 1e-3;
    else if (absl::ConsumeSuffix(&v, "us"))
      scale = 1e-6;
    else if (!absl::ConsumeSuffix(&v, "s"))
      return Bad(term, "give a unit: s, ms or us");
    double x;
    if (!absl::SimpleAtod(v, &x) || !std::isfinite(x) || !(x > 0)) {
      return Bad(term, absl::StrCat("\"", value, "\" is not a positive duration"));
    }
    t.limit_s = x * scale;
    slo.terms.push_back(t);
  }
  return slo;
}

double SloTerm::Quantile() const {
  double pct = 0;
  return PercentOf(stat, &pct) ? pct / 100 : 0;
}

LatencySamples SamplesOf(const std::string& metric) {
  return metric == "ttft"   ? &serving::HostResult::ttft_ps
         : metric == "tpot" ? &serving::HostResult::tpot_ps
         : metric == "itl"  ? &serving::HostResult::itl_ps
         : metric == "e2e"  ? &serving::HostResult::e2e_ps
                            : nullptr;
}

double Observed(const serving::HostResult& h, const SloTerm& t) {
  if (t.at_least()) {  // per request, x1000
    const base::LogHistogram& x = h.tokens_per_s_per_user_milli;
    const double q = t.Quantile();
    return (q == 0 ? x.Mean() : static_cast<double>(x.Quantile(q))) / 1000.0;
  }
  const base::LogHistogram& x = h.*SamplesOf(t.metric);
  // The report's arithmetic (report/report.cc, Summarize), so the two agree.
  const double q = t.Quantile();
  return q == 0 ? x.Mean() * 1e-12 : static_cast<double>(x.Quantile(q)) * 1e-12;
}

double Observed(const v1::Report& r, const SloTerm& t) {
  const auto* f = v1::Report::descriptor()->FindFieldByName(
      t.at_least() ? std::string("tokens_per_s_per_user") : t.metric + "_s");
  const auto& dist = static_cast<const v1::Distribution&>(r.GetReflection()->GetMessage(r, f));
  const auto* s = v1::Distribution::descriptor()->FindFieldByName(t.stat);
  if (s == nullptr) return std::nan("");
  return dist.GetReflection()->GetDouble(dist, s);
}

namespace {

template <typename Run>
SloCheck CheckAll(const Slo& slo, const Run& run) {
  SloCheck c;
  c.ratio = -1;
  for (const SloTerm& t : slo.terms) {
    const double obs = Observed(run, t);
    // Above 1 means missed, for floors and ceilings alike.
    const double ratio = t.at_least() ? t.limit_s / obs : obs / t.limit_s;
    if (t.at_least() ? !(obs >= t.limit_s) : obs > t.limit_s) c.met = false;
    if (ratio > c.ratio) {
      c.ratio = ratio;
      c.binding = t.at_least() ? absl::StrFormat("%s (observed %.4g tok/s)", t.Describe(), obs)
                               : absl::StrFormat("%s (observed %.4g ms)", t.Describe(), obs * 1e3);
    }
  }
  return c;
}

}  // namespace

SloCheck Check(const Slo& slo, const serving::HostResult& h) { return CheckAll(slo, h); }
SloCheck Check(const Slo& slo, const v1::Report& r) { return CheckAll(slo, r); }

}  // namespace etchsim::plan
