#include "tools/flags.h"

#include "absl/flags/flag.h"
#include "cost/prices.h"

ABSL_FLAG(std::string, format, "text", "Output format: text or json.");
ABSL_FLAG(std::string, kv_dtype, "bf16", "KV-cache element type: bf16, fp16 or fp8.");
ABSL_FLAG(int64_t, context, 1024,
          "Context length L (positions attended) for decode FLOPs per token.");
ABSL_FLAG(int64_t, prompt_len, 1024, "Prompt length for prefill FLOPs.");
ABSL_FLAG(std::string, model, "deepseek-r1",
          "Model: a bundled name (etchsim models) or a path to a config.json.");
ABSL_FLAG(std::string, chip, "hc2",
          "Chip: a preset name (etchsim chips) or a path to a ChipSpec "
          ".textproto.");
ABSL_FLAG(int32_t, chips, 0, "Number of chips; 0 = the smallest count that fits.");
ABSL_FLAG(std::string, strategy, "auto", "Partition strategy: auto, pipeline or expert-spread.");
ABSL_FLAG(std::string, scenario, "",
          "Scenario text proto (etchsim.v1.Scenario); flags given on the command "
          "line override its fields.");
ABSL_FLAG(std::string, topology, "two-level",
          "Topology: chain, ring, switch or two-level (cards in servers on a "
          "PCIe switch, servers on Ethernet).");
ABSL_FLAG(int32_t, users, 1, "Closed-loop users (each waits for its reply).");
ABSL_FLAG(double, rate, 0, "Open-loop Poisson arrival rate, requests per second.");
ABSL_FLAG(std::string, trace, "", "Replay a trace: CSV (arrival_s,input_len,output_len) or JSONL.");
ABSL_FLAG(std::string, input_len, "1024",
          "Prompt length: N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX].");
ABSL_FLAG(std::string, output_len, "1024",
          "Output length: N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX].");
ABSL_FLAG(double, duration, 0, "Virtual seconds to simulate; 0 = until --requests complete.");
ABSL_FLAG(int64_t, requests, 10,
          "Stop after this many measured requests complete (0 = no limit; needs --duration).");
ABSL_FLAG(double, warmup, 0, "Virtual seconds before measurement starts.");
ABSL_FLAG(double, think_time, 0, "Closed-loop think time between requests, s.");
ABSL_FLAG(double, ramp_up, 0,
          "Closed-loop users start evenly spread over this many virtual seconds "
          "(with --warmup past it: steady state, not the lock-step start).");
ABSL_FLAG(uint64_t, seed, 1, "Random seed; same scenario + seed = same bytes.");
ABSL_FLAG(int32_t, draft_len, 0, "Speculative / MTP decoding: draft tokens per step (0 = off).");
ABSL_FLAG(double, acceptance, 0.7, "Acceptance rate of each draft token.");
ABSL_FLAG(int32_t, offline, 0,
          "MLPerf-style offline run: N requests all arriving at t = 0 (lengths from "
          "--input-len/--output-len); ends when they complete (or at --requests).");
ABSL_FLAG(std::string, routing, "uniform",
          "MoE expert routing: uniform (every expert equally likely), zipf:S (popularity "
          "~ 1/rank^S over a seeded per-layer order) or histogram:PATH (measured per-layer "
          "counts, JSON {\"default\": [...], \"layers\": {\"3\": [...]}}).");
ABSL_FLAG(bool, balance_experts, false,
          "Expert-spread plans: place each layer's experts on its chips to balance the "
          "expected load of the routing, same experts per chip.");
ABSL_FLAG(int32_t, redundant_experts, 0,
          "Expert-spread plans on hard-wired chips: a second copy of each layer's N hottest "
          "experts (by the routing's expected load) on the least-loaded other chips; a token "
          "uses either copy.");
ABSL_FLAG(std::string, kv_policy, "reserve",
          "KV memory: reserve (each request reserves its whole length at admission) or "
          "paged[:BLOCK[:recompute|:swap[:GB_PER_S]]] (vLLM-style blocks, default 16 tokens; "
          "when full, the latest-arrived running request is preempted and later recomputed, "
          "or swapped to host memory at GB_PER_S per chip, default 25).");
ABSL_FLAG(std::string, prefix_cache, "",
          "Prefix caching: TOKENS:HIT_RATE, a shared prefix of TOKENS (a system prompt) held "
          "once in KV memory, which a request starts with at probability HIT_RATE and then "
          "neither prefills nor reserves.");
ABSL_FLAG(std::string, prefill_pool, "",
          "Prefill/decode disaggregation: CHIP[:CHIPS[:TP]] runs prompts on a pool of CHIPS "
          "chips of CHIP (a preset or file; 0 or absent = the fewest that fit; TP = roofline "
          "chips per stage), which sends each prompt's KV over the fabric to the decode pool "
          "(--chip, --chips).");
ABSL_FLAG(std::string, attention_pool, "",
          "Attention/FFN disaggregation: CHIP[:N] holds every layer's attention and KV cache on "
          "one tensor-parallel group of N roofline chips (a preset or file; 0 or absent = the "
          "fewest that hold it), while the hard-wired --chip chips hold the FFNs.");
ABSL_FLAG(double, slo_ttft, 0, "Goodput SLO on time to first token, s (0 = none).");
ABSL_FLAG(double, slo_tpot, 0, "Goodput SLO on time per output token, s (0 = none).");
ABSL_FLAG(int32_t, tensor_parallel, 0,
          "Roofline chips (GPUs) per pipeline stage; 0 = the preset's default.");
ABSL_FLAG(int32_t, cards_per_server, 10, "Chips per server (two-level topology).");
ABSL_FLAG(std::string, out, "", "Also write the JSON report to this file (atomically).");
ABSL_FLAG(double, target_tokens_per_s, 16960, "Calibration target: single-user decode tokens/s.");
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
ABSL_FLAG(int, chips_per_process, 1,
          "Chips (pipeline stages) each chip process hosts, consecutive in stage order: "
          "1 = one process per chip; 10 = one per server of 10 cards. Chips of one "
          "process exchange events in memory; only process boundaries cross gRPC. The "
          "report is the same whatever K.");
ABSL_FLAG(double, stall_timeout, 60,
          "Fail a distributed run whose virtual time has not advanced for this many "
          "wall seconds.");
ABSL_FLAG(double, liveness_timeout, 4,
          "Fail a distributed run when a chip process does not answer a health check "
          "(asked every 0.5 s beside the run) within this many wall seconds: the process "
          "is paused or the network to it is cut. 0 = do not ask.");
ABSL_FLAG(bool, local, false, "Run the cluster's processes on this machine (127.0.0.1).");
ABSL_FLAG(std::string, distributed, "",
          "Run over chip processes: \"local\" starts one per --chips-per-process "
          "stages on 127.0.0.1 for this run; otherwise a comma-separated list of chip "
          "process addresses in stage order.");
ABSL_FLAG(std::string, coordinator, "",
          "Send the scenario to a coordinator service at HOST:PORT (etchsim "
          "coordinator serve / cluster up) and print its report.");
ABSL_FLAG(bool, progress, false,
          "Print progress (virtual time, requests, events, ETA) on stderr every second; "
          "without it, an in-process run that passes 10 s prints it every 10 s.");

// Sweeps.
ABSL_FLAG(std::string, sweep, "", "Sweep text proto (etchsim.v1.Sweep): a base scenario and axes.");
ABSL_FLAG(std::string, axis, "",
          "An axis FIELD=V1,V2,... or FIELD=LO:HI:STEP over a scenario field path "
          "(workload.closed_loop.users) or alias (users, rate, chips, input_len, ...); "
          "repeat for a cross product.");
ABSL_FLAG(std::string, mode, "",
          "analytic (fast path), event (discrete-event run per point) or both (analytic "
          "pass, then the best --top points by --rank-by with the event engine); "
          "default analytic or the sweep file's.");
ABSL_FLAG(int32_t, jobs, 0, "Worker threads; 0 = the machine's cores.");
ABSL_FLAG(std::string, out_dir, "sweep-out",
          "Output folder: sweep.csv, sweep.jsonl and the resumable sweep.journal "
          "(shard-I-of-N.* with --shard).");
ABSL_FLAG(std::string, shard, "0/1", "Run only every N-th point, starting at I: I/N.");
ABSL_FLAG(int32_t, top, 0, "--mode=both: event-engine runs of the best K points (default 10).");
ABSL_FLAG(std::string, rank_by, "",
          "--mode=both: the analytic column that ranks points, COLUMN[:min|max] "
          "(default at_peak.usd_per_million_tokens:min).");
ABSL_FLAG(bool, filter, false, "Leave infeasible points out of the CSV and JSONL.");

// Cost: break-even of hard-wired silicon against a GPU fleet.
ABSL_FLAG(std::string, gpu, "h100", "GPU baseline: a roofline chip preset or file.");
ABSL_FLAG(int32_t, gpu_chips, 8, "GPUs per GPU replica (one tensor-parallel server).");
ABSL_FLAG(std::string, gpu_price, "neocloud",
          "How GPUs are paid for: hyperscaler or neocloud (hourly rent, sourced prices) "
          "or own (capex amortised, plus power and hosting).");
ABSL_FLAG(double, gpu_usd_per_hour, 0, "Hourly rent per GPU; 0 = the --gpu-price tier's.");
ABSL_FLAG(double, demand, 10000, "Demand: output tokens per second to serve.");
ABSL_FLAG(double, demand_requests, 0,
          "Demand as requests per second instead of --demand: converted to output tokens/s "
          "at the workload's mean output length.");
ABSL_FLAG(double, hazard, 0.05,
          "Probability per month that the model is replaced (lifetime ~ exponential).");
ABSL_FLAG(double, horizon_months, 36, "Longest a model can serve: the hardware's life.");
ABSL_FLAG(double, lead_time_months, etchsim::cost::kLeadTimeMonths,
          "Model to silicon; GPUs serve meanwhile.");
ABSL_FLAG(double, commitment_months, etchsim::cost::kCommitmentMonths,
          "Minimum months of hard-wired silicon paid for.");
ABSL_FLAG(int32_t, masks, etchsim::cost::kMasksChangedPerModel,
          "Masks that change per distinct ROM die of the model (structured-ASIC style; a "
          "model over N chips has N such dies).");
ABSL_FLAG(double, usd_per_mask, etchsim::cost::kUsdPerMaskN6, "Price of one changed mask.");
ABSL_FLAG(int32_t, wafer_run_wafers, etchsim::cost::kWaferRunWafers,
          "Wafers of engineering silicon a new model's run costs (bring-up and "
          "qualification, not sold); 0 if the first lot ships.");
ABSL_FLAG(double, usd_per_wafer, etchsim::cost::kUsdPerWaferN6,
          "Foundry price of one wafer of the wafer run.");
ABSL_FLAG(double, engineering_usd, 0,
          "Engineering NRE per model (model to RTL); not counted unless given.");
ABSL_FLAG(double, hosting_usd_per_kw_month, etchsim::cost::kHostingUsdPerKwMonth,
          "Colocation per kW of IT load per month (owned hardware).");

// Planning.
ABSL_FLAG(std::string, slo, "mlperf-server",
          "SLO: METRIC_STAT<=VALUE[s|ms|us],... over ttft/tpot/itl/e2e and "
          "mean/p50/p90/p99 (\"ttft_p99<=500ms,tpot_p99<=30ms\"), or a named set: "
          "mlperf-server, mlperf-interactive (per model, docs/assumptions.md section 7).");
ABSL_FLAG(std::string, candidates, "hc1,hc2,h100,h200,b200,wse3",
          "Replica configurations to consider: CHIP or CHIP:CHIPS, comma-separated.");
ABSL_FLAG(std::string, strategies, "",
          "plan: partition strategies to search for every candidate (auto, pipeline, "
          "expert-spread), comma-separated; empty = --strategy.");
ABSL_FLAG(std::string, topologies, "",
          "plan: topologies to search for every candidate (chain, ring, switch, two-level), "
          "comma-separated; empty = --topology.");
ABSL_FLAG(std::string, pools, "",
          "plan: serving designs to search for every candidate, comma-separated: colocated, "
          "prefill=CHIP[:CHIPS[:TP]] (prefill on another pool, as --prefill-pool) or "
          "attention=CHIP[:N] (attention on another pool, as --attention-pool); empty = the "
          "scenario's.");
ABSL_FLAG(std::string, chip_multiples, "1",
          "plan: chips per replica to search for every candidate given without a count, as "
          "multiples of its smallest count that fits (1,1.5,2: 28, 42 and 56 x hc2 for R1), "
          "comma-separated, each in [1, 16].");
ABSL_FLAG(std::string, draft_lens, "",
          "plan: speculative draft lengths to search for every candidate (0 = off), "
          "comma-separated; empty = --draft-len.");
ABSL_FLAG(double, hw_replica_tokens_per_s, 0,
          "cost breakeven: output tok/s one hard-wired replica serves, e.g. etchsim plan's "
          "SLO-bound figure; 0 = its analytic peak.");
ABSL_FLAG(double, gpu_replica_tokens_per_s, 0,
          "cost breakeven: output tok/s one GPU replica serves; 0 = its analytic peak.");

// Mutual TLS (rpc/tls.h): all three or none.
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate of this process for mutual TLS (with --tls-key and --tls-ca); "
          "empty = plaintext gRPC.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls-cert.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate that signed every peer's certificate (servers require "
          "client certificates signed by it).");
