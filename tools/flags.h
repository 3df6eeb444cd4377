// Every command-line flag of the etchsim tool, declared once. Which command
// accepts which flag is listed in that command's registration.
#ifndef ETCHSIM_TOOLS_FLAGS_H_
#define ETCHSIM_TOOLS_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, kv_dtype);
ABSL_DECLARE_FLAG(int64_t, context);
ABSL_DECLARE_FLAG(int64_t, prompt_len);
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, chip);
ABSL_DECLARE_FLAG(int32_t, chips);
ABSL_DECLARE_FLAG(std::string, strategy);
ABSL_DECLARE_FLAG(std::string, scenario);
ABSL_DECLARE_FLAG(std::string, topology);
ABSL_DECLARE_FLAG(int32_t, users);
ABSL_DECLARE_FLAG(double, rate);
ABSL_DECLARE_FLAG(std::string, trace);
ABSL_DECLARE_FLAG(std::string, input_len);
ABSL_DECLARE_FLAG(std::string, output_len);
ABSL_DECLARE_FLAG(double, duration);
ABSL_DECLARE_FLAG(int64_t, requests);
ABSL_DECLARE_FLAG(double, warmup);
ABSL_DECLARE_FLAG(double, think_time);
ABSL_DECLARE_FLAG(double, ramp_up);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(int32_t, draft_len);
ABSL_DECLARE_FLAG(double, acceptance);
ABSL_DECLARE_FLAG(int32_t, offline);
ABSL_DECLARE_FLAG(std::string, routing);
ABSL_DECLARE_FLAG(bool, balance_experts);
ABSL_DECLARE_FLAG(double, slo_ttft);
ABSL_DECLARE_FLAG(double, slo_tpot);
ABSL_DECLARE_FLAG(int32_t, tensor_parallel);
ABSL_DECLARE_FLAG(int32_t, cards_per_server);
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(double, target_tokens_per_s);
ABSL_DECLARE_FLAG(std::string, parameter);
ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, chip_addresses);
ABSL_DECLARE_FLAG(double, stall_timeout);
ABSL_DECLARE_FLAG(double, liveness_timeout);
ABSL_DECLARE_FLAG(bool, local);
ABSL_DECLARE_FLAG(std::string, distributed);
ABSL_DECLARE_FLAG(int, chips_per_process);
ABSL_DECLARE_FLAG(std::string, coordinator);
ABSL_DECLARE_FLAG(bool, progress);
ABSL_DECLARE_FLAG(std::string, sweep);
ABSL_DECLARE_FLAG(std::string, axis);
ABSL_DECLARE_FLAG(std::string, mode);
ABSL_DECLARE_FLAG(int32_t, jobs);
ABSL_DECLARE_FLAG(std::string, out_dir);
ABSL_DECLARE_FLAG(std::string, shard);
ABSL_DECLARE_FLAG(int32_t, top);
ABSL_DECLARE_FLAG(std::string, rank_by);
ABSL_DECLARE_FLAG(bool, filter);
ABSL_DECLARE_FLAG(std::string, gpu);
ABSL_DECLARE_FLAG(int32_t, gpu_chips);
ABSL_DECLARE_FLAG(std::string, gpu_price);
ABSL_DECLARE_FLAG(double, gpu_usd_per_hour);
ABSL_DECLARE_FLAG(double, demand);
ABSL_DECLARE_FLAG(double, hazard);
ABSL_DECLARE_FLAG(double, horizon_months);
ABSL_DECLARE_FLAG(double, lead_time_months);
ABSL_DECLARE_FLAG(double, commitment_months);
ABSL_DECLARE_FLAG(int32_t, masks);
ABSL_DECLARE_FLAG(double, usd_per_mask);
ABSL_DECLARE_FLAG(double, engineering_usd);
ABSL_DECLARE_FLAG(double, hosting_usd_per_kw_month);
ABSL_DECLARE_FLAG(std::string, slo);
ABSL_DECLARE_FLAG(std::string, candidates);
ABSL_DECLARE_FLAG(std::string, strategies);
ABSL_DECLARE_FLAG(std::string, topologies);
ABSL_DECLARE_FLAG(std::string, draft_lens);
ABSL_DECLARE_FLAG(double, hw_replica_tokens_per_s);
ABSL_DECLARE_FLAG(double, gpu_replica_tokens_per_s);

ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_ca);

#endif  // ETCHSIM_TOOLS_FLAGS_H_
