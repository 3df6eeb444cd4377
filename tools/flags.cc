#include "tools/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, format, "text", "Output format: text or json.");
ABSL_FLAG(std::string, kv_dtype, "bf16",
          "KV-cache element type: bf16, fp16 or fp8.");
ABSL_FLAG(int64_t, context, 1024,
          "Context length L (positions attended) for decode FLOPs per token.");
ABSL_FLAG(int64_t, prompt_len, 1024, "Prompt length for prefill FLOPs.");
ABSL_FLAG(std::string, model, "deepseek-r1",
          "Model: a bundled name (etchsim models) or a path to a config.json.");
ABSL_FLAG(std::string, chip, "hc2",
          "Chip: a preset name (etchsim chips) or a path to a ChipSpec "
          ".textproto.");
ABSL_FLAG(int32_t, chips, 0,
          "Number of chips; 0 = the smallest count that fits.");
ABSL_FLAG(std::string, strategy, "auto",
          "Partition strategy: auto, pipeline or expert-spread.");
ABSL_FLAG(std::string, scenario, "",
          "Scenario text proto (etchsim.v1.Scenario); flags given on the command "
          "line override its fields.");
ABSL_FLAG(std::string, topology, "two-level",
          "Topology: chain, ring, switch or two-level (cards in servers on a "
          "PCIe switch, servers on Ethernet).");
ABSL_FLAG(int32_t, users, 1, "Closed-loop users (each waits for its reply).");
ABSL_FLAG(double, rate, 0, "Open-loop Poisson arrival rate, requests per second.");
ABSL_FLAG(std::string, trace, "",
          "Replay a trace: CSV (arrival_s,input_len,output_len) or JSONL.");
ABSL_FLAG(std::string, input_len, "1024",
          "Prompt length: N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX].");
ABSL_FLAG(std::string, output_len, "1024",
          "Output length: N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX].");
ABSL_FLAG(double, duration, 0,
          "Virtual seconds to simulate; 0 = until --requests complete.");
ABSL_FLAG(int64_t, requests, 10,
          "Stop after this many measured requests complete (0 = no limit).");
ABSL_FLAG(double, warmup, 0, "Virtual seconds before measurement starts.");
ABSL_FLAG(double, think_time, 0, "Closed-loop think time between requests, s.");
ABSL_FLAG(double, ramp_up, 0,
          "Closed-loop users start evenly spread over this many virtual seconds "
          "(with --warmup past it: steady state, not the lock-step start).");
ABSL_FLAG(uint64_t, seed, 1, "Random seed; same scenario + seed = same bytes.");
ABSL_FLAG(int32_t, draft_len, 0,
          "Speculative / MTP decoding: draft tokens per step (0 = off).");
ABSL_FLAG(double, acceptance, 0.7, "Acceptance rate of each draft token.");
ABSL_FLAG(double, slo_ttft, 0, "Goodput SLO on time to first token, s (0 = none).");
ABSL_FLAG(double, slo_tpot, 0, "Goodput SLO on time per output token, s (0 = none).");
ABSL_FLAG(int32_t, tensor_parallel, 0,
          "Roofline chips (GPUs) per pipeline stage; 0 = the preset's default.");
ABSL_FLAG(int32_t, cards_per_server, 10, "Chips per server (two-level topology).");
ABSL_FLAG(std::string, out, "",
          "Also write the JSON report to this file (atomically).");
ABSL_FLAG(double, target_tokens_per_s, 16960,
          "Calibration target: single-user decode tokens/s.");
ABSL_FLAG(std::string, parameter, "",
          "Constant to calibrate: hardwired.pe_scan_cycles, or for a roofline "
          "chip roofline.layer_overhead_ns (the default), "
          "roofline.dense_layer_overhead_ns, roofline.moe_layer_overhead_ns or "
          "roofline.step_overhead_ns.");

// Distributed mode.
ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "gRPC listen address HOST:PORT (port 0 picks a free port; the chosen "
          "address is printed on stdout).");
ABSL_FLAG(std::string, metrics_listen, "",
          "Prometheus /metrics listen address HOST:PORT; empty = no metrics endpoint.");
ABSL_FLAG(std::string, chip_addresses, "",
          "Comma-separated chip process addresses, in stage order.");
ABSL_FLAG(double, stall_timeout, 60,
          "Fail a distributed run whose virtual time has not advanced for this many "
          "wall seconds.");
ABSL_FLAG(bool, local, false, "Run the cluster's processes on this machine (127.0.0.1).");
ABSL_FLAG(std::string, distributed, "",
          "Run over chip processes: \"local\" starts one per stage on 127.0.0.1 for "
          "this run; otherwise a comma-separated list of chip addresses in stage order.");
ABSL_FLAG(std::string, coordinator, "",
          "Send the scenario to a coordinator service at HOST:PORT (etchsim "
          "coordinator serve / cluster up) and print its report.");
ABSL_FLAG(bool, progress, false,
          "Print distributed-run progress (virtual time, events) on stderr.");
