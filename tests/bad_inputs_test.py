#!/usr/bin/env python3
"""bad_inputs_test.py ETCHSIM SOURCE_DIR

Table-driven end-to-end test of the input edge: every row is one bad input
(a config.json, chip or link preset, scenario, trace or flag) run through
the etchsim binary as a user runs it. Each must exit 2 within the time
limit with exactly one line on stderr that names the input and the field
(the row's expected text), nothing on stdout, and no crash, sanitizer
report or uncaught exception.
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

ETCHSIM, SRC = sys.argv[1], sys.argv[2]
D = tempfile.mkdtemp(prefix="etchsim_bad_")
TIMEOUT_S = 60


def read(path):
    with open(os.path.join(SRC, path)) as f:
        return f.read()


def write(name, text):
    path = os.path.join(D, name) if isinstance(name, str) else os.path.join(D.encode(), name)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    return path


def json_set(base, key, raw):
    """A bundled config with "key" set to the raw JSON text `raw`."""
    text = read(f"model/configs/{base}.json")
    pat = re.compile(r'"%s":\s*[^,\n}]+' % re.escape(key))
    if pat.search(text):
        return pat.sub(lambda m: f'"{key}": {raw}', text, count=1)
    return text.replace("{", "{\n  \"%s\": %s," % (key, raw), 1)


def proto_set(preset, field, raw):
    """A bundled chip preset with `field: raw` (added if absent)."""
    text = read(f"chip/presets/{preset}.textproto")
    pat = re.compile(r"(^|\s)%s:\s*[^\s}]+" % re.escape(field), re.M)
    if pat.search(text):
        return pat.sub(lambda m: f"{m.group(1)}{field}: {raw}", text, count=1)
    raise SystemExit(f"{preset} has no field {field}")


ROWS = []  # (name, argv, expected substring of the one stderr line)


def row(name, argv, expect):
    ROWS.append((name, argv, expect))


# --- config.json ----------------------------------------------------------
L8 = "llama-3.1-8b"
for key, raw, expect in [
    ("num_hidden_layers", "2147483648", '"num_hidden_layers" must be > 0 and <= 4096, got 2147483648'),
    ("num_hidden_layers", "10000000", '"num_hidden_layers" must be > 0 and <= 4096, got 10000000'),
    ("num_hidden_layers", "9223372036854775808", 'got 9223372036854775808'),
    ("num_hidden_layers", "18446744073709551615", 'got 18446744073709551615'),
    ("num_hidden_layers", "-3", '"num_hidden_layers" must be > 0, got -3'),
    ("num_hidden_layers", "0", '"num_hidden_layers" must be > 0, got 0'),
    ("num_hidden_layers", "1e400", "number overflow"),
    ("num_hidden_layers", "-1e400", "number overflow"),
    ("num_hidden_layers", "1e30", '"num_hidden_layers" must be > 0 and <= 4096, got 1e+30'),
    ("num_hidden_layers", "32.5", '"num_hidden_layers" must be an integer, got 32.5'),
    ("num_hidden_layers", '"32"', '"num_hidden_layers" must be an integer, got a string'),
    ("num_hidden_layers", "true", '"num_hidden_layers" must be an integer, got a boolean'),
    ("num_hidden_layers", "[32]", '"num_hidden_layers" must be an integer, got an array'),
    ("hidden_size", "9223372036854775807", '"hidden_size" must be > 0 and <= 65536'),
    ("hidden_size", "1e19", '"hidden_size" must be > 0 and <= 65536'),
    ("head_dim", "9223372036854775807", '"head_dim" must be > 0 and <= 4096'),
    ("num_attention_heads", "100000", '"num_attention_heads" must be > 0 and <= 4096'),
    ("num_key_value_heads", "5", '"num_key_value_heads" must divide "num_attention_heads"'),
    ("num_key_value_heads", "0", '"num_key_value_heads" must be > 0, got 0'),
    ("intermediate_size", "1e300", '"intermediate_size" must be > 0 and <= 1048576'),
    ("vocab_size", "4294967296", '"vocab_size" must be > 0 and <= 16777216'),
    ("max_position_embeddings", "1e18", '"max_position_embeddings" must be > 0 and <= 134217728'),
    ("tie_word_embeddings", "1", '"tie_word_embeddings" must be true or false, got a number'),
    ("architectures", '["GPT2LMHeadModel"]', 'unsupported architecture "GPT2LMHeadModel"'),
    ("architectures", "[]", '"architectures" must be a non-empty array of strings'),
    ("architectures", "null", 'missing required field "architectures"'),
]:
    p = write(f"cfg_{len(ROWS)}.json", json_set(L8, key, raw))
    row(f"config {key}={raw}", ["models", "show", p], expect)

R1 = "deepseek-r1"
for key, raw, expect in [
    ("num_nextn_predict_layers", "10000000", '"num_nextn_predict_layers" must be >= 0 and <= 64'),
    ("n_routed_experts", "1000000", '"n_routed_experts" must be >= 0 and <= 65536'),
    ("num_experts_per_tok", "300", '"num_experts_per_tok" must be <= the number of routed experts'),
    ("kv_lora_rank", "1e100", '"kv_lora_rank" must be > 0 and <= 65536'),
    ("moe_layer_freq", "0", '"moe_layer_freq" must be > 0, got 0'),
    ("first_k_dense_replace", "-1", '"first_k_dense_replace" must be >= 0, got -1'),
    ("q_lora_rank", "NaN", "\"q_lora_rank\" must be an integer, got NaN"),  # Python json reads it
    ("moe_intermediate_size", "1048576", "parameters, more than the 1e+14"),
]:
    p = write(f"cfg_{len(ROWS)}.json", json_set(R1, key, raw))
    row(f"config r1 {key}={raw}", ["models", "show", p], expect)

q = json_set("qwen3-235b-a22b", "mlp_only_layers", "[1, -2]")
row("config mlp_only_layers negative", ["models", "show", write("q1.json", q)],
    '"mlp_only_layers" must hold integers in [0, 4096], got -2')
q = json_set("qwen3-235b-a22b", "mlp_only_layers", "[99999999999]")
row("config mlp_only_layers huge", ["models", "show", write("q2.json", q)],
    '"mlp_only_layers" must hold integers in [0, 4096], got 99999999999')
big = json_set(L8, "num_attention_heads", "4096")
big = re.sub(r'"num_key_value_heads":\s*\d+', '"num_key_value_heads": 4096', big)
big = big.replace('"architectures"', '"head_dim": 4096,\n  "architectures"', 1)
row("config KV bytes per token", ["models", "show", write("kv.json", big)],
    "KV-cache bytes per token")
# Layer-pattern families (issue 16): windows, layer lists, text_config, MXFP4.
def json_put(base, key, raw):
    """A bundled config with `key` (in text_config when the config has one,
    unless `key` is top-level there) set to the JSON text `raw`."""
    import json
    cfg = json.loads(read(f"model/configs/{base}.json"))
    where = cfg["text_config"] if "text_config" in cfg and key != "text_config" else cfg
    where[key] = json.loads(raw)
    return json.dumps(cfg, indent=2)


for base, key, raw, expect in [
    ("gpt-oss-120b", "sliding_window", "0", '"sliding_window" must be > 0, got 0'),
    ("gpt-oss-120b", "sliding_window", "1e30", '"sliding_window" must be > 0 and <= 134217728'),
    ("gpt-oss-120b", "layer_types", '["full_attention"]',
     '"layer_types" must have one entry per layer ("num_hidden_layers" = 36), got 1'),
    ("gpt-oss-120b", "layer_types", "7", '"layer_types" must be an array of strings, got a number'),
    ("gpt-oss-120b", "quantization_config", '{"quant_method": "awq"}',
     '"quantization_config.quant_method" must be "mxfp4"'),
    ("gpt-oss-120b", "num_local_experts", "0", '"num_local_experts" must be > 0, got 0'),
    ("gemma-3-27b", "text_config", '"x"', '"text_config" must be an object, got a string'),
    ("llama-4-maverick", "attention_chunk_size", "-8",
     '"text_config.attention_chunk_size" must be > 0, got -8'),
    ("llama-4-maverick", "interleave_moe_layer_step", "0",
     '"text_config.interleave_moe_layer_step" must be > 0, got 0'),
    ("llama-4-maverick", "intermediate_size_mlp", "99999999",
     '"text_config.intermediate_size_mlp" must be > 0 and <= 1048576'),
    ("qwen3-32b", "max_position_embeddings", "1e40", '"max_position_embeddings" must be > 0 and <='),
]:
    p = write(f"cfg_{len(ROWS)}.json", json_put(base, key, raw))
    row(f"config {base} {key}={raw}", ["models", "show", p], expect)
row("config not JSON", ["models", "show", write("junk.json", "{\"a\": ")], "invalid JSON at line 1")
row("config top-level array", ["models", "show", write("arr.json", "[1,2]")],
    "expected a JSON object at the top level, got an array")
row("config empty file", ["models", "show", write("empty.json", "")], "invalid JSON")
row("config bad UTF-8 inside", ["models", "show", write("u8.json", b'{"architectures": ["\xff"]}')],
    "invalid JSON")
row("config bad UTF-8 file name", ["models", "show", write(b"b\xff.json", read(f"model/configs/{L8}.json"))],
    "file name is not valid UTF-8")
row("config /dev/zero", ["models", "show", "/dev/zero"], "larger than the 268435456-byte input limit")
row("config is a directory", ["models", "show", D], "is a directory")
row("config deep nesting", ["models", "show", write("deep.json", "[" * 100000 + "]" * 100000)],
    "expected a JSON object at the top level")

# --- chip presets -------------------------------------------------------------
for field, raw, expect in [
    ("clock_ghz", "inf", "hardwired.clock_ghz must be a finite number in [0.001, 100], got inf"),
    ("clock_ghz", "nan", "hardwired.clock_ghz must be a finite number in [0.001, 100], got nan"),
    ("clock_ghz", "0", "hardwired.clock_ghz must be a finite number in [0.001, 100], got 0"),
    ("clock_ghz", "-1", "hardwired.clock_ghz must be a finite number"),
    ("pe_scan_cycles", "1e300", "hardwired.pe_scan_cycles must be a finite number in (0, 1e+08], got 1e+300"),
    ("pe_scan_cycles", "0", "hardwired.pe_scan_cycles must be a finite number in (0, 1e+08], got 0"),
    ("weights_per_pe", "0", "hardwired.weights_per_pe must be in [1, 1099511627776], got 0"),
    ("weights_per_pe", "9223372036854775807", "hardwired.weights_per_pe must be in [1, 1099511627776]"),
    ("attention_macs_per_cycle", "nan", "hardwired.attention_macs_per_cycle must be a finite number"),
    ("kv_read_bytes_per_cycle", "-inf", "hardwired.kv_read_bytes_per_cycle must be a finite number"),
    ("tokens_per_pass", "0", "hardwired.tokens_per_pass must be in [1, 1048576], got 0"),
    ("matmul_fixed_cycles", "-5", "hardwired.matmul_fixed_cycles must be in [0, 100000000], got -5"),
    ("vector_cycles_per_layer", "2000000000", "hardwired.vector_cycles_per_layer must be in [0, 100000000]"),
    ("weight_capacity_bytes", "-5", "weight_capacity_bytes must be in [1, 1125899906842624], got -5"),
    ("weight_capacity_bytes", "9223372036854775807", "weight_capacity_bytes must be in [1, 1125899906842624]"),
    ("kv_capacity_bytes", "-1", "kv_capacity_bytes must be in [0, 1125899906842624], got -1"),
    ("activation_bytes_per_element", "nan", "activation_bytes_per_element must be a finite number in (0, 16]"),
    ("activation_bytes_per_element", "1e9", "activation_bytes_per_element must be a finite number in (0, 16]"),
    ("active_watts", "inf", "power.active_watts must be a finite number in (0, 1e+06], got inf"),
    ("idle_watts", "nan", "power.idle_watts must be in [0, power.active_watts], got nan"),
    ("server_overhead_watts", "-1", "power.server_overhead_watts must be a finite number"),
    ("card_price_usd", "nan", "cost.card_price_usd must be a finite number in [0, 1e+09], got nan"),
    ("cards_per_server", "-3", "cost.cards_per_server must be in [0, 1024], got -3"),
    ("weight_format", '"fp3"', 'weight_format unknown weight format "fp3"'),
    ("kv_dtype", '"int2"', "kv_dtype"),
    ("name", '"\\377"', "name is not valid UTF-8"),
    ("name", '""', "name must be set"),
    ("clock_ghz", "many", "line 13, column 14"),
]:
    p = write(f"chip_{len(ROWS)}.textproto", proto_set("hc2", field, raw))
    row(f"chip hc2 {field}={raw}", ["partition", "--chip", p, "--model", L8], expect)

for field, raw, expect in [
    ("interconnect_bytes_per_s", "0.5", "roofline.interconnect_bytes_per_s must be a finite number in [1e+06, 1e+16], got 0.5"),
    ("layer_overhead_ns", "-1", "roofline.layer_overhead_ns must be a finite number in [0, 1e+09], got -1"),
    ("layer_overhead_ns", "nan", "roofline.layer_overhead_ns must be a finite number in [0, 1e+09], got nan"),
    ("interconnect_latency_ns", "1e30", "roofline.interconnect_latency_ns must be a finite number"),
    ("memory_bandwidth_bytes_per_s", "0", "roofline.memory_bandwidth_bytes_per_s must be a finite number in (0, 1e+18], got 0"),
    ("memory_bandwidth_bytes_per_s", "inf", "roofline.memory_bandwidth_bytes_per_s must be a finite number"),
    ("dense_bf16_flops", "nan", "roofline.dense_bf16_flops must be a finite number"),
    ("dense_fp8_flops", "-1", "roofline.dense_fp8_flops must be a finite number in [0, 1e+19], got -1"),
    ("bandwidth_efficiency", "1.5", "roofline.bandwidth_efficiency must be a finite number in (0, 1], got 1.5"),
    ("compute_efficiency", "0", "roofline.compute_efficiency must be a finite number in (0, 1], got 0"),
    ("max_batch", "-1", "roofline.max_batch must be in [0, 65536], got -1"),
    ("max_batch_tokens", "2000000000", "roofline.max_batch_tokens must be in [0, 16777216]"),
    ("default_tensor_parallel", "100000", "roofline.default_tensor_parallel must be in [0, 1024]"),
]:
    p = write(f"chip_{len(ROWS)}.textproto", proto_set("b200", field, raw))
    row(f"chip b200 {field}={raw}", ["simulate", "--chip", p, "--model", L8, "--chips", "8"], expect)
# Rates that validate one by one but make a step leave the clock's range
# (a chip_spec_fuzz finding: a 1.4e7 s pass overflowed the conversion).
p = write("slow_hc1.textproto", proto_set("hc1", "clock_ghz", "0.001").replace(
    "pe_scan_cycles: 361", "pe_scan_cycles: 1e8"))
row("chip hc1 1 MHz, 1e8 scan cycles", ["simulate", "--chip", p, "--model", L8, "--chips", "2"],
    "chip hc1: one step of stage 0 (a 64-token chunk after")
p = write("slow_b200.textproto", proto_set("b200", "memory_bandwidth_bytes_per_s", "1"))
row("chip b200 1 B/s", ["simulate", "--chip", p, "--model", L8, "--chips", "8"],
    "longer than the clock's range (~106 days); a step must stay under an hour")
row("chip unknown field", ["partition", "--chip", write("cu.textproto", "name: \"x\"\nfrobs: 3\n")],
    'line 2, column 6: Message type "etchsim.v1.ChipSpec" has no field named "frobs"')
row("chip /dev/zero", ["partition", "--chip", "/dev/zero/x.textproto"], "/dev/zero/x.textproto")

# --- chip designs (etchsim chips design) ---------------------------------------
def design_set(design, field, raw):
    """A bundled design (or design text) with `field: raw` (the first occurrence)."""
    text = read(f"silicon/designs/{design}.textproto") if "\n" not in design else design
    pat = re.compile(r"(^|\s)%s:\s*[^\s}]+" % re.escape(field), re.M)
    if not pat.search(text):
        raise SystemExit(f"{design} has no field {field}")
    return pat.sub(lambda m: f"{m.group(1)}{field}: {raw}", text, count=1)


for field, raw, expect in [
    ("node", '"N1"', 'node unknown node "N1" (nodes: N16, N7, N6, N5, N4, N3, N2)'),
    ("rom_bits_per_mm2", "0.5", "rom_bits_per_mm2 must be 0 (derive) or at least 1e3 bits per mm2"),
    ("rom_bits_per_mm2", "nan", "rom_bits_per_mm2 must be a finite number in [0, 1e+12], got nan"),
    ("rom_bits_per_mm2", "-1", "rom_bits_per_mm2 must be a finite number in [0, 1e+12], got -1"),
    ("rom_bits_per_mm2", "inf", "rom_bits_per_mm2 must be a finite number in [0, 1e+12], got inf"),
    ("clock_ghz", "0", "timing.clock_ghz must be a finite number in [0.001, 100], got 0"),
    ("pe_scan_cycles", "nan", "timing.pe_scan_cycles must be a finite number"),
    ("weight_mac_fj", "0", "energy.weight_mac_fj must be a finite number in [1e-06, 1e+06], got 0"),
    ("vr_efficiency", "1.5", "energy.vr_efficiency must be a finite number in [0.1, 1], got 1.5"),
    ("gross_margin", "1", "card.gross_margin must be a finite number in [0, 0.99], got 1"),
    ("package_usd", "-1", "card.package_usd must be a finite number in [0, 1e+09], got -1"),
    ("kv_dtype", '"int3"', 'kv_dtype must be fp8, bf16 or fp16, got "int3"'),
    ("weight_format", '"fp3"', 'weight_format unknown weight format "fp3"'),
    ("dies_per_package", "65", "dies_per_package must be in [0, 64], got 65"),
    ("cards_per_server", "0", "cards_per_server must be in [1, 1024], got 0"),
    ("overhead_fraction", "0.95", "overhead_fraction must be a finite number in [0, 0.9], got 0.95"),
    ("model", '"no-such-model"', 'no-such-model'),
    ("die_area_budget_mm2", "100", "exceeds the die_area_budget_mm2 of 100 mm2 on N6"),
]:
    p = write(f"design_{len(ROWS)}.textproto", design_set("hc1", field, raw))
    row(f"design hc1 {field}={raw}", ["chips", "design", p], expect)
# A yield that rounds to zero (D0 100/cm2), and the probe's findings of
# 2026-12-08: a budget above the reticle, override values that zeroed a
# price or a yield, a multi-chip design without SerDes, a memory block
# with no capacity, an --emit-spec over its own design.
p = write("design_d0.textproto", read("silicon/designs/hc1.textproto") +
          "node_override { defect_density_per_cm2: 100 }\n")
row("design yield ~0", ["chips", "design", p], "no good die to price")
p = write("design_budget.textproto", design_set(design_set("hc1", "die_area_budget_mm2", "5000"),
                                                "kv_sram_bytes", "2147483648"))
row("design budget past the reticle", ["chips", "design", p], "exceeds the reticle limit of 858 mm2 on N6")
for body, expect in [
    ("node_override { wafer_price_usd: 1e-300 }", "node_override: node N6: wafer_price_usd must be a finite number in [1, 1e+07]"),
    ("node_override { defect_clustering: 1e-300 }", "defect_clustering must be a finite number in [0.1, 1e+06]"),
    ("node_override { mask_count: -5 }", "node_override.mask_count must be in [0, 1000], got -5"),
    ("node_override { wafer_price_usd: -1 }", "node_override.wafer_price_usd must be a finite number in [0, 1e+12], got -1"),
    ("node_override { name: \"N3\" }", "node_override takes numbers only"),
    ("node_override { logic_density_mtr_per_mm2: 1e-300 }", "logic_density_mtr_per_mm2 must be a finite number in [0.1, 100000]"),
    ("external_memory { kind: \"lpddr5x\" price_usd: 200 }", "external_memory.capacity_bytes must be > 0 when external_memory is given"),
]:
    p = write(f"design_{len(ROWS)}.textproto", read("silicon/designs/hc1.textproto") + body + "\n")
    row(f"design hc1 + {body}", ["chips", "design", p], expect)
p = write("design_noname.textproto", design_set("hc1", "name", '""'))
row("design name empty", ["chips", "design", p], "name must be set")
p = write("design_nomodel.textproto", design_set("hc1", "model", '""'))
row("design model empty", ["chips", "design", p], "model must name the model the chip holds")
row("design hc2 no serdes", ["chips", "design", "hc2", "--set", "serdes_lanes=0"],
    "deepseek-r1 needs 28 chips, which talk over SerDes: serdes_lanes and serdes_gbps_per_lane must be > 0")
row("design hc1 model typo", ["chips", "design", "hc1", "--model", "no-such"], "design hc1: model: ")
row("design pe_scan_cycles past the ChipSpec's range", ["chips", "design", "hc1", "--set", "pe_scan_cycles=1e9"],
    "pe_scan_cycles must be a finite number in [1, 1e+08], got 1e+09")
p = write("design_self.textproto", read("silicon/designs/hc1.textproto"))
row("design --emit-spec over itself", ["chips", "design", p, "--emit-spec", p], "is the design file itself")
row("design unknown field", ["chips", "design", write("du.textproto", "name: \"x\"\nfrobs: 3\n")],
    'Message type "etchsim.v1.ChipDesign" has no field named "frobs"')
row("design unknown name", ["chips", "design", "hc9"], 'unknown design "hc9"')
row("design past the reticle", ["chips", "design", "hc2", "--node", "N6", "--dies-per-package", "1"],
    "design hc2: a die of 2521 mm2 (1 per package, 24.00B parameters) exceeds the reticle limit of 858 mm2 on N6;"
    " it would fit with 4 dies per package (dies_per_package=4); or at most 7.21B parameters per chip")
for argv, expect in [
    (["--node", "N0"], 'design hc1: node unknown node "N0"'),
    (["--kv-sram-mb", "-1"], "etchsim: --kv-sram-mb must be a finite number in [0, 1.04858e+06], got -1"),
    (["--kv-sram-mb", "nan"], "--kv-sram-mb must be a finite number"),
    (["--rom-density", "inf"], "--rom-density must be a finite number"),
    (["--params-per-chip", "-5"], "--params-per-chip must be in [0, 4398046511104], got -5"),
    (["--dies-per-package", "99"], "--dies-per-package must be in [0, 64], got 99"),
    (["--model", "nope"], "nope"),
    (["--set", "wafer_price_usd=0"], "--set: wafer_price_usd must be a finite number in [1, 1e+07], got 0"),
    (["--set", "defect_density=x"], '--set: defect_density must be a number, got "x"'),
    (["--set", "frobs=3"], '--set: unknown design field "frobs" (fields: node, model,'),
    (["--set", "node"], '--set "node": expected FIELD=VALUE'),
    (["--set", "node.leakage_w_per_mm2=-1"], "--set: node.leakage_w_per_mm2 must be a finite number in [0, 1e+12], got -1"),
    (["--set", "node.defect_clustering=0.01"], "defect_clustering must be a finite number in [0.1, 1e+06], got 0.01"),
    (["--set", "node.name=3"], '--set: unknown design field "node.name"'),
    (["--set", "rom_fj_per_bit=nan"], "--set: rom_fj_per_bit must be a finite number"),
    (["--emit-spec", os.path.join(D, "no-dir", "x.textproto")], "no-dir/x.textproto"),
]:
    row(f"chips design {' '.join(argv)}", ["chips", "design", "hc1"] + argv, expect)

# Design references (@NAME+FIELD=VALUE) wherever a chip is named.
for argv, expect in [
    (["simulate", "--chip", "@hc9", "--model", L8], 'chip @hc9: unknown design "hc9"'),
    (["simulate", "--chip", "@", "--model", L8], "chip @: no design after '@'"),
    (["simulate", "--chip", "@hc1+frobs=1", "--model", L8], 'chip @hc1+frobs=1: unknown design field "frobs"'),
    (["simulate", "--chip", "@hc1+kv_sram_mb", "--model", L8], 'chip @hc1+kv_sram_mb: "kv_sram_mb" is not FIELD=VALUE'),
    (["simulate", "--chip", "@hc1+kv_sram_mb=nan", "--model", L8], "chip @hc1+kv_sram_mb=nan: kv_sram_mb must be a finite number"),
    (["simulate", "--chip", "@hc1+node=N0", "--model", L8], 'chip @hc1+node=N0: node unknown node "N0"'),
    (["simulate", "--chip", "@hc2+node=N6+dies_per_package=1", "--chips", "30"], "exceeds the reticle limit of 858 mm2 on N6"),
    (["plan", "--model", L8, "--candidates", "@hc1+clock_ghz=0", "--slo", "tpot_p99<=50ms"], '--candidates "@hc1+clock_ghz=0": chip @hc1+clock_ghz=0: clock_ghz must be a finite number in [0.001, 100], got 0'),
    (["sweep", "--chip", "hc2", "--axis", "design.node=N3,N5"], 'design axes need a design chip (--chip @hc2 or a chip axis of @NAME values), got chip "hc2"'),
    (["sweep", "--chip", "@hc2", "--axis", "design.frobs=1"], '--axis design.frobs: unknown design field "frobs"'),
    (["sweep", "--chip", "@hc2", "--axis", "design.kv_sram_mb=1,x"], '--axis design.kv_sram_mb: kv_sram_mb must be a number, got "x"'),
    (["sweep", "--chip", "@hc2", "--axis", "design.node=N3+x"], "must not contain '+'"),
    (["plan", "--model", L8, "--candidates", "hc1", "--slo", "tps_user_p10<=50"], 'tps_user is a floor: write tps_user_STAT>=TOKENS_PER_S'),
    (["plan", "--model", L8, "--candidates", "hc1", "--slo", "tps_user_p10>=inf"], 'is not a rate in (0, 1e9] tok/s'),
    (["sweep", "--chip", "@hc2", "--axis", "design.node=N0"], 'sweep point 0 (design.node=N0): chip @hc2+node=N0: node unknown node "N0"'),
]:
    row(" ".join(argv), argv, expect)

# --- link presets -------------------------------------------------------------
for body, expect in [
    ('bandwidth_bytes_per_s: 50e9 latency_ns: nan', "latency_ns must be a finite number in [0, 1e+09], got nan"),
    ('bandwidth_bytes_per_s: 50e9 latency_ns: 1e30', "latency_ns must be a finite number in [0, 1e+09], got 1e+30"),
    ('bandwidth_bytes_per_s: 50e9 latency_ns: -1', "latency_ns must be a finite number in [0, 1e+09], got -1"),
    ('bandwidth_bytes_per_s: 50e9 switch_latency_ns: inf', "switch_latency_ns must be a finite number"),
    ('bandwidth_bytes_per_s: 0', "bandwidth_bytes_per_s must be a finite number in [1000, 1e+15], got 0"),
    ('bandwidth_bytes_per_s: 0.5', "bandwidth_bytes_per_s must be a finite number in [1000, 1e+15], got 0.5"),
    ('bandwidth_bytes_per_s: nan', "bandwidth_bytes_per_s must be a finite number"),
    ('bandwidth_bytes_per_s: 1e300', "bandwidth_bytes_per_s must be a finite number"),
    ('bandwidth_bytes_per_s: 50e9 speed: 3', 'line 1, column 34: Message type "etchsim.v1.LinkSpec" has no field named "speed"'),
    ('bandwidth_bytes_per_s: 50e9 name: "\\377"', "name is not valid UTF-8"),
]:
    lp = write(f"link_{len(ROWS)}.textproto", body)
    sp = write(f"ls_{len(ROWS)}.textproto", f'topology {{ card_link: "{lp}" }}')
    row(f"link {body}", ["simulate", "--scenario", sp], expect)

# --- scenario files -------------------------------------------------------------
for body, expect in [
    ("warmup_s: 1e30", "scenario: warmup_s must be a finite number in [0, 900000], got 1e+30"),
    ("warmup_s: nan", "scenario: warmup_s must be a finite number in [0, 900000], got nan"),
    ("warmup_s: -1", "scenario: warmup_s must be a finite number"),
    ("duration_s: 1e7", "scenario: duration_s must be a finite number in [0, 900000], got 1e+07"),
    ("duration_s: inf", "scenario: duration_s must be a finite number"),
    ("duration_s: nan", "scenario: duration_s must be a finite number"),
    ("duration_s: 1 warmup_s: 2", "scenario: warmup_s must be < duration_s (1), got 2"),
    ("throughput_window_s: 1e-13", "scenario: throughput_window_s must be a finite number in [1e-06, 900000], got 1e-13"),
    ("throughput_window_s: nan", "scenario: throughput_window_s must be a finite number"),
    ("throughput_window_s: -1", "scenario: throughput_window_s must be a finite number"),
    ("duration_s: 100 throughput_window_s: 1e-6", "scenario: throughput_window_s gives 1e+08 windows"),
    ("max_requests: -1", "scenario: max_requests must be in [0, 1000000], got -1"),
    ("max_requests: 9223372036854775807", "scenario: max_requests must be in [0, 1000000], got 9223372036854775807"),
    ("chips: -2", "scenario: chips must be in [0, 4096], got -2"),
    ("chips: 2000000000", "scenario: chips must be in [0, 4096], got 2000000000"),
    ("workload { closed_loop { users: 1000000000 } }", "scenario: workload.closed_loop.users must be in [1, 100000], got 1000000000"),
    ("workload { closed_loop { users: 0 } }", "scenario: workload.closed_loop.users must be in [1, 100000], got 0"),
    ("workload { closed_loop { users: 1 think_time_s: nan } }", "scenario: workload.closed_loop.think_time_s must be a finite number in [0, 10000], got nan"),
    ("workload { closed_loop { users: 1 think_time_s: 1e30 } }", "scenario: workload.closed_loop.think_time_s must be a finite number in [0, 10000], got 1e+30"),
    ("max_requests: 1000000 workload { closed_loop { users: 1 think_time_s: 10 } }", "the run would think for 1e+07 virtual seconds"),
    ("workload { poisson { rate_per_s: inf } }", "scenario: workload.poisson.rate_per_s must be a finite number in [0.001, 1e+06], got inf"),
    ("workload { poisson { rate_per_s: 1e12 } }", "scenario: workload.poisson.rate_per_s must be a finite number in [0.001, 1e+06], got 1e+12"),
    ("workload { poisson { rate_per_s: 1e-300 } }", "scenario: workload.poisson.rate_per_s must be a finite number in [0.001, 1e+06], got 1e-300"),
    ("workload { poisson { rate_per_s: nan } }", "scenario: workload.poisson.rate_per_s must be a finite number"),
    ("duration_s: 100000 workload { poisson { rate_per_s: 1000 } }", "x duration_s gives 1e+08 expected arrivals"),
    ("max_requests: 100000 workload { poisson { rate_per_s: 0.01 } }", "is too low for max_requests 100000"),
    ("workload { trace { path: \"\" } }", "scenario: workload.trace.path must be set"),
    ("workload { input_len { fixed: 0 } }", "scenario: workload.input_len must be >= 1, got 0"),
    ("workload { input_len { fixed: 2000000 } }", "scenario: workload.input_len can exceed the 1048576-token context limit"),
    ("workload { input_len { uniform { min: 10 max: 5 } } }", "uniform needs 1 <= min <= max"),
    ("workload { output_len { lognormal { median: nan sigma: 1 } } }", "lognormal needs median in [1, 1048576], sigma in [0, 10]"),
    ("workload { output_len { lognormal { median: 100 sigma: inf } } }", "lognormal needs median in [1, 1048576], sigma in [0, 10]"),
    ("workload { output_len { lognormal { median: 1e300 sigma: 1 } } }", "lognormal needs median"),
    ("speculative { draft_len: 2 acceptance_rate: nan }", "scenario: speculative.acceptance_rate must be a finite number in [0, 1], got nan"),
    ("speculative { draft_len: 99 }", "scenario: speculative.draft_len must be in [0, 16], got 99"),
    ("speculative { draft_len: 2 acceptance_rate: 0.5 draft_ns_per_token: inf }", "speculative.draft_ns_per_token must be a finite number"),
    ("slo { ttft_s: nan }", "scenario: slo.ttft_s must be a finite number"),
    ("slo { tpot_s: -1 }", "scenario: slo.tpot_s must be a finite number"),
    ("prefill_chunk_tokens: -1", "scenario: prefill_chunk_tokens must be in [0, 1048576], got -1"),
    ("host_overhead_ns: nan", "scenario: host_overhead_ns must be a finite number"),
    ("host_overhead_ns: 1e30", "scenario: host_overhead_ns must be a finite number"),
    ("tensor_parallel: -1", "scenario: tensor_parallel must be in [0, 1024], got -1"),
    ("cost { pue: 0.5 }", "scenario: cost.pue must be a finite number in [1, 10], got 0.5"),
    ("cost { pue: nan }", "scenario: cost.pue must be a finite number in [1, 10], got nan"),
    ("cost { amortization_years: -1 }", "scenario: cost.amortization_years must be > 0"),
    ("cost { electricity_usd_per_kwh: inf }", "scenario: cost.electricity_usd_per_kwh must be a finite number"),
    ("cost { card_price_usd: nan }", "scenario: cost.card_price_usd must be a finite number"),
    ("cost { cards_per_server: -1 }", "scenario: cost.cards_per_server must be in [0, 1024], got -1"),
    ("topology { cards_per_server: -1 }", "scenario: topology.cards_per_server must be in [0, 4096], got -1"),
    ("model: \"\\377\"", "scenario: model is not valid UTF-8"),
    ("chips: many", "line 1, column 8"),
    ("frobnicate: 3", 'line 1, column 11: Message type "etchsim.v1.Scenario" has no field named "frobnicate"'),
    ('kv_policy { kind: "lazy" }', 'scenario: kv_policy.kind must be reserve or paged, got "lazy"'),
    ("kv_policy { block_tokens: 16 }", "scenario: kv_policy.kind must be paged for block_tokens, preemption or swap_gb_per_s to apply"),
    ('kv_policy { kind: "paged" block_tokens: -1 }', "scenario: kv_policy.block_tokens must be in [0, 65536], got -1"),
    ('kv_policy { kind: "paged" block_tokens: 100000 }', "scenario: kv_policy.block_tokens must be in [0, 65536], got 100000"),
    ('kv_policy { kind: "paged" preemption: "evict" }', 'scenario: kv_policy.preemption must be recompute or swap, got "evict"'),
    ('kv_policy { kind: "paged" preemption: "swap" swap_gb_per_s: nan }', "scenario: kv_policy.swap_gb_per_s must be a finite number in [0, 100000], got nan"),
    ('kv_policy { kind: "paged" preemption: "swap" swap_gb_per_s: -3 }', "scenario: kv_policy.swap_gb_per_s must be a finite number in [0, 100000], got -3"),
    ('kv_policy { kind: "paged" preemption: "swap" swap_gb_per_s: 1e-9 }', "scenario: kv_policy.swap_gb_per_s must be 0 (default) or at least 0.001, got 1e-09"),
    ('kv_policy { kind: "paged" swap_gb_per_s: 10 }', "scenario: kv_policy.swap_gb_per_s applies only with preemption: swap"),
    ("routing { redundant_experts: -2 }", "scenario: routing.redundant_experts must be in [0, 65536], got -2"),
    ("kv_policy { prefix_tokens: 100 }", "scenario: kv_policy.prefix_tokens and prefix_hit_rate must both be > 0 or both 0"),
    ('disaggregation { prefill_chip: "h100" prefill_chips: -1 }', "scenario: disaggregation.prefill_chips must be in [0, 4096], got -1"),
    ('disaggregation { prefill_chip: "h100" prefill_tensor_parallel: 5000 }', "scenario: disaggregation.prefill_tensor_parallel must be in [0, 1024], got 5000"),
    ("disaggregation { prefill_chips: 4 }", "scenario: disaggregation.prefill_chip is empty, but other disaggregation fields are set"),
    ('disaggregation { prefill_chip: "\\377" }', "scenario: disaggregation.prefill_chip is not valid UTF-8"),
    ('disaggregation { prefill_chip: "tpu9" }', "tpu9"),
    ('disaggregation { prefill_chip: "h100" prefill_chips: 3 prefill_tensor_parallel: 2 }', "scenario: disaggregation.prefill_chips (3) must be a multiple of the tensor-parallel group size (2) for h100"),
    ('disaggregation { prefill_chip: "hc1" prefill_strategy: "zigzag" }', 'prefill pool: unknown strategy "zigzag" (known: auto, expert-spread, pipeline)'),
    ('disaggregation { prefill_chip: "h100" prefill_strategy: "pipeline" }', "scenario: disaggregation.prefill_strategy applies to hard-wired chips; h100 runs pipeline stages"),
    ('chips: 4000 disaggregation { prefill_chip: "h100" prefill_chips: 200 }', "scenario: disaggregation.prefill_chips plus chips (4000) must be at most 4096, got 4200"),
    ('disaggregation { prefill_chip: "h100" } kv_policy { kind: "paged" }', "scenario: disaggregation cannot be combined with paged KV or a cached prefix"),
    ('disaggregation { prefill_chip: "h100" } routing { redundant_experts: 2 }', "scenario: disaggregation cannot be combined with routing.redundant_experts"),
    ('attention_ffn { attention_chip: "h100" attention_chips: -1 }', "scenario: attention_ffn.attention_chips must be in [0, 1024], got -1"),
    ("attention_ffn { attention_chips: 2 }", "scenario: attention_ffn.attention_chip is empty, but attention_chips is set"),
    ('attention_ffn { attention_chip: "\\377" }', "scenario: attention_ffn.attention_chip is not valid UTF-8"),
    ('attention_ffn { attention_chip: "hc2" }', "scenario: attention_ffn.attention_chip must be a roofline chip (a GPU or other memory-rich chip), got the hard-wired hc2"),
    ('chip: "b200" attention_ffn { attention_chip: "h100" }', "scenario: attention_ffn: the FFN pool (chip) must be hard-wired, got b200"),
    ('attention_ffn { attention_chip: "h100" } disaggregation { prefill_chip: "h100" }', "scenario: attention_ffn cannot be combined with disaggregation"),
    ('attention_ffn { attention_chip: "h100" } kv_policy { kind: "paged" }', "scenario: attention_ffn cannot be combined with paged KV"),
    ('attention_ffn { attention_chip: "h100" } routing { kind: "zipf" zipf_s: 1 }', "scenario: attention_ffn cannot be combined with routing (a skewed kind"),
    ('disaggregation { prefill_chip: "h100" prefill_chips: 4096 prefill_tensor_parallel: 1024 }', "scenario: the two pools have 41"),
    ('disaggregation { prefill_chip: "h100" prefill_chips: 4000 }', "scenario: disaggregation.prefill_chips (4000): prefill pool: --strategy=pipeline cannot use 500 chips"),
    ('attention_ffn { attention_chip: "h100" } routing { balance: true }', "scenario: attention_ffn cannot be combined with routing (a skewed kind, balance or redundant_experts)"),
    ('tensor_parallel: 2 attention_ffn { attention_chip: "h100" }', "scenario: attention_ffn sets the attention group's size with attention_chips, not tensor_parallel"),
    ('strategy: "expert-spread" attention_ffn { attention_chip: "h100" }', 'scenario: strategy "expert-spread" does not apply with attention_ffn'),
    ('chips: 100 attention_ffn { attention_chip: "h100" }', "scenario: chips (100) exceeds the 61 layers whose FFNs the pool holds"),
    ("kv_policy { prefix_hit_rate: 0.5 }", "scenario: kv_policy.prefix_tokens and prefix_hit_rate must both be > 0 or both 0"),
    ("kv_policy { prefix_tokens: -5 prefix_hit_rate: 0.5 }", "scenario: kv_policy.prefix_tokens must be in [0, 1048576], got -5"),
    ("kv_policy { prefix_tokens: 5 prefix_hit_rate: inf }", "scenario: kv_policy.prefix_hit_rate must be a finite number in [0, 1], got inf"),
]:
    p = write(f"scn_{len(ROWS)}.textproto", body)
    row(f"scenario {body}", ["simulate", "--scenario", p], expect)

# --- traces -------------------------------------------------------------
for name, body, expect in [
    ("t1.jsonl", '{"arrival_s": 0, "input_len": 4294967312, "output_len": 8}\n', '"input_len" must be in [1, 1048576], got 4294967312'),
    ("t2.jsonl", '{"arrival_s": 0, "input_len": 16, "output_len": -8}\n', '"output_len" must be in [1, 1048576], got -8'),
    ("t3.jsonl", '{"arrival_s": 0, "input_len": 16.5, "output_len": 8}\n', '"input_len" must be an integer, got 16.5'),
    ("t4.jsonl", '{"arrival_s": 1e400, "input_len": 16, "output_len": 8}\n', ":1: invalid JSON"),
    ("t5.jsonl", '{"arrival_s": 1e30, "input_len": 16, "output_len": 8}\n', ":1: arrival_s must be a finite number in [0, 900000], got 1e+30"),
    ("t6.jsonl", '{"arrival_s": -1, "input_len": 16, "output_len": 8}\n', ":1: arrival_s must be a finite number"),
    ("t7.jsonl", '{"arrival_s": 0, "input_len": 16}\n', ':1: expected arrival_s, input_len and output_len (or Mooncake'),
    ("t8.jsonl", '[1, 2]\n', ':1: expected a JSON object'),
    ("t8b.jsonl", '{"arrival_s": "x", "input_len": 16, "output_len": 8}\n', ':1: missing number "arrival_s"'),
    ("t8c.jsonl", '{"timestamp": 5, "input_length": 16, "output_length": 0}\n', ':1: "output_length" must be in [1, 1048576], got 0'),
    ("t8d.jsonl", '{"timestamp": -5, "input_length": 16, "output_length": 2}\n', ':1: arrival_s must be a finite number in [0, 900000], got -0.005'),
    ("t9.csv", 'arrival_s,input_len,output_len\nnan,16,8\n', ":2: arrival_s must be a finite number"),
    ("t10.csv", 'arrival_s,input_len,output_len\n0,4294967312,8\n', ":2: expected arrival_s (number), input_len and output_len (integers)"),
    ("t11.csv", 'a,b,c\n0,1,1\n', ":1: CSV header must name arrival_s, input_len and output_len"),
    ("t11b.csv", 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-13-40 25:00:00,1,1\n', ":2: expected TIMESTAMP (YYYY-MM-DD HH:MM:SS[.fraction])"),
    ("t11c.csv", 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.5x,1,1\n', ":2: expected TIMESTAMP"),
    ("t11d.csv", 'TIMESTAMP,ContextTokens,GeneratedTokens\n1990-01-01 00:00:00,1,1\n2023-01-01 00:00:00,1,1\n', ":3: arrival_s must be a finite number in [0, 900000]"),
    ("t12.csv", 'arrival_s,input_len,output_len\n0,1000000,1000000\n', ":2: input_len + output_len exceeds the context limit"),
    ("t13.csv", '', "trace has no requests"),
]:
    p = write(name, body)
    row(f"trace {name}", ["simulate", "--model", L8, "--chip", "hc1", "--chips", "1", "--trace", p], expect)
row("trace /dev/zero", ["simulate", "--trace", "/dev/zero"], "/dev/zero: larger than the 268435456-byte input limit")

# --- flags -------------------------------------------------------------
for args, expect in [
    (["--warmup", "1e30"], "--warmup must be a finite number in [0, 900000], got 1e+30"),
    (["--warmup", "nan"], "--warmup must be a finite number in [0, 900000], got nan"),
    (["--think-time", "nan"], "--think-time must be a finite number in [0, 10000], got nan"),
    (["--think-time", "1e30"], "--think-time must be a finite number in [0, 10000], got 1e+30"),
    (["--rate", "inf"], "--rate must be a finite number in [0.001, 1e+06], got inf"),
    (["--rate", "1e12"], "--rate must be a finite number in [0.001, 1e+06], got 1e+12"),
    (["--rate", "1e-300"], "--rate must be a finite number in [0.001, 1e+06], got 1e-300"),
    (["--rate", "-1"], "--rate must be a finite number"),
    (["--users", "1000000000"], "--users must be in [1, 100000], got 1000000000"),
    (["--users", "0"], "--users must be in [1, 100000], got 0"),
    (["--duration", "1e7"], "--duration must be a finite number in [0, 900000], got 1e+07"),
    (["--duration", "nan"], "--duration must be a finite number"),
    (["--requests", "0"], "--requests 0 means no limit: give --duration too"),
    (["--requests", "-5"], "--requests must be in [0, 1000000], got -5"),
    (["--requests", "99999999999"], "--requests must be in [0, 1000000], got 99999999999"),
    (["--chip", ""], "--chip: must not be empty"),
    (["--model", ""], "--model: must not be empty"),
    (["--topology", ""], "--topology: must not be empty"),
    (["--strategy", ""], "--strategy: must not be empty"),
    (["--trace", ""], "--trace: must not be empty"),
    (["--cards-per-server", "0"], "--cards-per-server must be >= 1, got 0"),
    (["--cards-per-server", "-4"], "--cards-per-server must be >= 1, got -4"),
    (["--chips", "-1"], "--chips must be in [0, 4096], got -1"),
    (["--chips", "100000"], "--chips must be in [0, 4096], got 100000"),
    (["--draft-len", "99"], "--draft-len must be in [0, 16], got 99"),
    (["--draft-len", "2", "--acceptance", "nan"], "--acceptance must be a finite number in [0, 1], got nan"),
    (["--slo-ttft", "inf"], "--slo-ttft must be a finite number"),
    (["--tensor-parallel", "-2"], "--tensor-parallel must be in [0, 1024], got -2"),
    (["--input-len", "99999999999"], "--input-len: not an integer"),
    (["--input-len", "lognormal:nan:1"], "--input-len: lognormal needs median"),
    (["--out", D], "is a directory, expected a file to write"),
    (["--distributed=garbage"], '--distributed: expected HOST:PORT, got "garbage" (no port)'),
    (["--distributed="], '--distributed: expected "local" or a comma-separated HOST:PORT list'),
    (["--distributed=127.0.0.1:99999"], "--distributed: expected HOST:PORT, got \"127.0.0.1:99999\" (port must be <= 65535)"),
    (["--coordinator", "127.0.0.1:"], '--coordinator: expected HOST:PORT, got "127.0.0.1:"'),
    (["--stall-timeout", "nan", "--distributed=local"], "--stall-timeout must be a finite number"),
    (["--liveness-timeout", "0.1", "--distributed=local"], "--liveness-timeout must be a finite number in [0.5, 3600], got 0.1"),
    (["--liveness-timeout", "inf", "--distributed=local"], "--liveness-timeout must be a finite number"),
    (["--chips-per-process", "0", "--distributed=local"], "--chips-per-process must be in [1, 4096], got 0"),
    (["--chips-per-process", "5000", "--distributed=local"], "--chips-per-process must be in [1, 4096], got 5000"),
    (["--chips-per-process", "x", "--distributed=local"], "--chips-per-process"),
    (["--chips-per-process", "10"], "--chips-per-process applies to --distributed runs"),
    (["--users", "2", "--rate", "3"], "give only one of --users"),
    (["--offline", "0"], "--offline must be in [1, 1000000], got 0"),
    (["--offline", "-5"], "--offline must be in [1, 1000000], got -5"),
    (["--offline", "4", "--users", "2"], "give only one of --users (closed loop), --rate (Poisson), --trace and --offline"),
    (["--routing", "skewed"], '--routing: expected uniform, zipf:S or histogram:PATH, got "skewed"'),
    (["--routing", "zipf:"], '--routing: expected uniform, zipf:S or histogram:PATH, got "zipf:"'),
    (["--routing", "zipf:0"], "--routing: zipf_s must be a finite number in (0, 8], got 0"),
    (["--routing", "zipf:nan"], "--routing: zipf_s must be a finite number in (0, 8], got nan"),
    (["--routing", "zipf:1e9"], "--routing: zipf_s must be a finite number in (0, 8], got 1e+09"),
    (["--routing", "histogram:"], '--routing: expected uniform, zipf:S or histogram:PATH, got "histogram:"'),
    (["--routing", "histogram:" + os.path.join(D, "no-such.json")], "no-such.json"),
    (["--routing", "histogram:" + write("hist_short.json", '{"default": [1, 2, 3]}')], "has 3 counts; deepseek-r1 has 256 routed experts"),
    (["--routing", "histogram:" + write("hist_bad.json", '{"default": [1e400]}')], "hist_bad.json: invalid JSON"),
    (["--routing", "histogram:" + write("hist_key.json", '{"defaults": [1]}')], 'hist_key.json: unknown key "defaults"'),
    (["--routing", "histogram:" + write("hist_neg.json", '{"layers": {"3": [-1, 2]}}')], "counts[0] must be a finite number in [0, 1e+15], got -1"),
    (["--routing", "zipf:1.1", "--model", L8, "--chip", "hc1", "--chips", "1"], "routing applies to MoE models; llama-3.1-8b has no routed experts"),
    (["--kv-policy", "lazy"], '--kv-policy: expected reserve or paged[:BLOCK[:recompute|:swap[:GB_PER_S]]], got "lazy"'),
    (["--kv-policy", "paged:x"], '--kv-policy: expected reserve or paged[:BLOCK[:recompute|:swap[:GB_PER_S]]], got "paged:x"'),
    (["--kv-policy", "paged:0"], "--kv-policy: block must be >= 1 token, got 0"),
    (["--kv-policy", "paged:99999999"], "--kv-policy: block_tokens must be in [0, 65536], got 99999999"),
    (["--kv-policy", "paged:16:evict"], '--kv-policy: preemption must be recompute or swap, got "evict"'),
    (["--kv-policy", "paged:16:swap:nan"], "--kv-policy: swap GB/s must be > 0, got nan"),
    (["--kv-policy", "paged:16:swap:1e9"], "--kv-policy: swap_gb_per_s must be a finite number in [0, 100000], got 1e+09"),
    (["--kv-policy", "paged:16:recompute:5"], "--kv-policy: swap_gb_per_s applies only with preemption: swap"),
    (["--kv-policy", "reserve:16"], '--kv-policy: expected reserve or paged'),
    (["--redundant-experts", "-1"], "--redundant-experts must be in [0, 65536], got -1"),
    (["--redundant-experts", "x"], "--redundant-experts"),
    (["--redundant-experts", "4", "--model", L8, "--chip", "hc1", "--chips", "1"], "routing.redundant_experts applies to hard-wired plans that spread a layer's experts over several chips"),
    (["--redundant-experts", "4", "--chips", "16", "--chip", "h100"], "routing.redundant_experts applies to hard-wired plans"),
    (["--redundant-experts", "300", "--chips", "32", "--strategy", "expert-spread"], "routing.redundant_experts (300) exceeds the 256 routed experts of a layer"),
    (["--redundant-experts", "8", "--chips", "28", "--strategy", "expert-spread"], "routing.redundant_experts: 8 copies per layer need"),
    (["--prefix-cache", "1536"], '--prefix-cache: expected TOKENS:HIT_RATE, got "1536"'),
    (["--prefix-cache", "x:0.5"], '--prefix-cache: expected TOKENS:HIT_RATE, got "x:0.5"'),
    (["--prefix-cache", "0:0.5"], '--prefix-cache: TOKENS must be >= 1 and HIT_RATE > 0, got "0:0.5"'),
    (["--prefix-cache", "100:nan"], '--prefix-cache: TOKENS must be >= 1 and HIT_RATE > 0, got "100:nan"'),
    (["--prefill-pool", ""], "--prefill-pool: expected a chip name"),
    (["--prefill-pool", "h100:x"], '--prefill-pool: CHIPS is not an integer, got "h100:x" (use CHIP[:CHIPS[:TP]], e.g. h100:8:8)'),
    (["--prefill-pool", "h100:8:y"], "--prefill-pool: TP is not an integer"),
    (["--prefill-pool", "h100:8:8:8"], '--prefill-pool: too many fields, got "h100:8:8:8"'),
    (["--prefill-pool", "h100:-2"], "--prefill-pool: prefill_chips must be in [0, 4096], got -2"),
    (["--prefill-pool", "nochip:1"], "nochip"),
    (["--prefill-pool", "h100:1", "--model", L8, "--chip", "hc1", "--input-len", "900000"], "input"),
    (["--prefill-pool", "hc1:1", "--model", L8, "--chip", "h100", "--chips", "1", "--input-len", "8000", "--output-len", "8"], "scenario: disaggregation: every prompt needs 8,000 tokens of KV cache but the prefill pool holds"),
    (["--prefill-pool", "h100:1", "--kv-policy", "paged"], "disaggregation cannot be combined with paged KV"),
    (["--prefill-pool", "hc1:1:2", "--model", L8], "scenario: disaggregation.prefill_tensor_parallel applies to roofline chips (GPUs); hc1 is hard-wired"),
    (["--attention-pool", ""], "--attention-pool: expected a chip name"),
    (["--attention-pool", "h100:x"], '--attention-pool: N is not an integer, got "h100:x" (use CHIP[:N], e.g. h100:8)'),
    (["--attention-pool", "h100:1:2"], '--attention-pool: too many fields, got "h100:1:2"'),
    (["--attention-pool", "h100:5000"], "--attention-pool: attention_chips must be in [0, 1024], got 5000"),
    (["--attention-pool", "nochip"], 'unknown chip "nochip"'),
    (["--attention-pool", "h100:1", "--chips", "1", "--chip", "hc2"], "scenario: attention_ffn: 1 x hc2 cannot hold the model's FFNs"),
    (["--attention-pool", "h100:1", "--chip", "hc1"], "scenario: attention_ffn: layer 3's FFN (11.32B parameters) does not fit one hc1 (3.60 GB); splitting one layer's FFN over chips is not modelled"),
    (["--attention-pool", "h100:1", "--model", L8, "--chip", "hc1", "--input-len", "1000000", "--output-len", "100000"], "every request needs 1,100,000 tokens of KV cache (input + output) but the attention group holds"),
    # A hybrid model: the message counts the recurrent state beside the KV.
    (["--model", "qwen3.5-35b-a3b", "--chip", "hc2", "--input-len", "1000000", "--output-len", "8"], "every request needs 1,000,008 tokens of KV cache (input + output) plus "),
    (["--prefix-cache", "100:1.5"], "--prefix-cache: prefix_hit_rate must be a finite number in [0, 1], got 1.5"),
    (["--prefix-cache", "99999999:0.5"], "--prefix-cache: prefix_tokens must be in [0, 1048576], got 99999999"),
    (["--prefix-cache", "5000:0.5", "--model", L8, "--chip", "hc1", "--chips", "1"], "kv_policy.prefix_tokens: a cached prefix of 5,000 tokens does not fit the KV memory (4,096 tokens at the full rate"),
]:
    row(f"flag simulate {' '.join(args)}", ["simulate"] + args, expect)
for argv, expect in [
    (["chip", "serve", "--listen", "127.0.0.1:99999"], '--listen: expected HOST:PORT, got "127.0.0.1:99999" (port must be <= 65535)'),
    (["chip", "serve", "--listen", "127.0.0.1:-1"], "--listen: expected HOST:PORT"),
    (["chip", "serve", "--listen", "nohost"], '--listen: expected HOST:PORT, got "nohost" (no port)'),
    (["chip", "serve", "--metrics-listen", "127.0.0.1:70000"], "--metrics-listen: expected HOST:PORT"),
    (["coordinator", "serve", "--chip-addresses", "127.0.0.1:1,bad"], '--chip-addresses: expected HOST:PORT, got "bad"'),
    (["coordinator", "serve", "--chip-addresses", ""], "--chip-addresses: give at least one chip address"),
    (["coordinator", "serve", "--chip-addresses", "127.0.0.1:1", "--stall-timeout", "-1"], "--stall-timeout must be a finite number"),
    (["coordinator", "serve", "--chip-addresses", "127.0.0.1:1", "--liveness-timeout", "-1"], "--liveness-timeout must be a finite number in [0.5, 3600], got -1"),
    (["coordinator", "serve", "--chip-addresses", "127.0.0.1:1", "--chips-per-process", "-3"], "--chips-per-process must be in [1, 4096], got -3"),
    (["cluster", "up", "--local", "--chips", "30", "--chips-per-process", "0"], "--chips-per-process must be in [1, 4096], got 0"),
    (["health", ""], 'health: expected HOST:PORT, got "" (no port)'),
    (["health", "127.0.0.1:0"], "port 0 is only for listening"),
    (["models", "show", L8, "--context", "0"], "--context must be in [1, 1048576], got 0"),
    (["models", "show", L8, "--context", "99999999999"], "--context must be in [1, 1048576]"),
    (["partition", "--model", ""], "--model: must not be empty"),
    (["partition", "--chips", "-1"], "--chips must be in [1, 4096] (or 0 for the minimum), got -1"),
    (["calibrate", "--target-tokens-per-s", "inf"], "--target-tokens-per-s must be a finite number"),
    (["simulate", "--users", "abc"], 'invalid value "abc" for --users'),
]:
    row(f"flag {' '.join(argv)}", argv, expect)

# --- functional mode: verify flags and safetensors files -------------------
for args, expect in [
    (["--model", "nope"], 'unknown tiny model "nope"'),
    (["--chips", "0"], "verify: --chips must be in [1, 256], got 0"),
    (["--chips", "300"], "verify: --chips must be in [1, 256], got 300"),
    (["--chips", "8", "--strategy", "pipeline"], "tiny-r1"),
    (["--strategy", "diagonal"], 'unknown strategy "diagonal"'),
    (["--weight-format", "fp3"], 'unknown weight format "fp3"'),
    (["--fault", "melt:1"], "--fault: unknown fault kind"),
    (["--fault", "drop-expert:0:1"], "--fault: that layer has no routed experts"),
    (["--fault", "drop-expert:1:99"], "--fault: expert must be in [0, 15]"),
    (["--fault", "skip-layer:9"], "--fault: layer must be in [0, 3]"),
    (["--fault", "stale-kv:x"], "--fault: fields after the kind must be integers"),
    (["--fault", "skip-layer"], "--fault: wrong number of fields"),
    (["--prompt-tokens", "0"], "verify: --prompt-tokens must be in [1, 256], got 0"),
    (["--new-tokens", "1000"], "verify: --new-tokens must be in [0, 248], got 1000"),
    (["--distributed=10.0.0.1:5"], 'verify supports only "local"'),
    (["--weights", "/nonexistent.safetensors"], "/nonexistent.safetensors: no such file"),
    (["--weights", "/dev/null", "--model", "tiny-r1"], "give --model or --weights, not both"),
]:
    row(f"flag verify {' '.join(args)}", ["verify"] + args, expect)
for argv, expect in [
    (["verify", "generate"], "--out: give the safetensors file to write"),
    (["verify", "generate", "--out", "/nonexistent/dir/x.safetensors"], "/nonexistent/dir"),
    (["verify", "serve", "--listen", "127.0.0.1:99999"], "--listen: expected HOST:PORT"),
    (["verify", "serve", "--metrics-listen", "127.0.0.1:0"], "--metrics-listen: a functional chip exports no metrics"),
]:
    row(f"flag {' '.join(argv)}", argv, expect)

GOOD_ST = os.path.join(D, "good.safetensors")
subprocess.run([ETCHSIM, "verify", "generate", "--model", "tiny-llama", "--out", GOOD_ST],
               check=True, capture_output=True)
with open(GOOD_ST, "rb") as f:
    _st = f.read()
_n = struct.unpack("<Q", _st[:8])[0]
ST_HEADER, ST_DATA = json.loads(_st[8:8 + _n]), _st[8 + _n:]


def safetensors(header, data=None, length=None):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + (
        ST_DATA if data is None else data)


def st_edit(fn):
    h = json.loads(json.dumps(ST_HEADER))
    fn(h)
    return h


def st_config(key, raw):
    def fn(h):
        c = json.loads(h["__metadata__"]["config"])
        c[key] = raw
        h["__metadata__"]["config"] = json.dumps(c)
    return st_edit(fn)


NORM = "model.norm.weight"
_norm_b = ST_HEADER[NORM]["data_offsets"][0]
for name, content, expect in [
    ("truncated", b"\x10\x00", "shorter than its 8-byte header length"),
    ("length lies", safetensors(ST_HEADER, length=1 << 62), "safetensors header length 4611686018427387904 exceeds"),
    ("header not json", struct.pack("<Q", 5) + b"{oops" + ST_DATA, "safetensors header is not a JSON object"),
    ("offsets past end", safetensors(st_edit(lambda h: h[NORM].update(data_offsets=[0, 1 << 40]))), "lie outside the data section"),
    ("size mismatch", safetensors(st_edit(lambda h: h[NORM].update(shape=[64]))), "bytes of data for 64 BF16 elements"),
    ("data cut short", safetensors(ST_HEADER, data=ST_DATA[:-2]), "lie outside the data section"),
    ("unknown dtype", safetensors(st_edit(lambda h: h[NORM].update(dtype="F4"))), 'unknown dtype "F4"'),
    ("int dtype", safetensors(st_edit(lambda h: h[NORM].update(dtype="I16"))), 'tensor "model.norm.weight" is I16; expected BF16'),
    ("no config", safetensors(st_edit(lambda h: h["__metadata__"].pop("config"))), '__metadata__ has no "config"'),
    ("bad config", safetensors(st_config("num_hidden_layers", -3)), 'config: "num_hidden_layers" must be > 0, got -3'),
    ("config too big", safetensors(st_config("hidden_size", 4096)), "hidden_size must be in [1, 1024], got 4096"),
    ("config mismatch", safetensors(st_config("intermediate_size", 128)), "has shape [256, 128], the config needs [128, 128]"),
    ("dropped tensor", safetensors(st_edit(lambda h: h.pop("lm_head.weight")), data=None), "safetensors data has a hole"),
    ("extra tensor", safetensors(st_edit(lambda h: h.update(extra={"dtype": "BF16", "shape": [1], "data_offsets": [len(ST_DATA), len(ST_DATA) + 2]})), data=ST_DATA + b"\0\0"), 'tensor "extra" is not part of this model'),
    ("nan weight", safetensors(ST_HEADER, data=ST_DATA[:_norm_b] + b"\xc0\x7f" + ST_DATA[_norm_b + 2:]), 'tensor "model.norm.weight" holds nan'),
]:
    row(f"safetensors {name}", ["verify", "--weights", write(f"bad_{name.replace(' ', '_')}.safetensors", content)], expect)
# --- scenario faults (in-process fault injection) --------------------------
FAULT_BASE = "duration_s: 0.2 faults { %s }"
for body, expect in [
    ("chip_failures { stage: -1 at_s: 0.1 spare: true }", "scenario: faults.chip_failures[0].stage must be in [0, 4095], got -1"),
    ("chip_failures { stage: 99 at_s: 0.1 spare: true }", "scenario: faults.chip_failures[0].stage must be a stage of the cluster, in [0, 27], got 99"),
    ("chip_failures { stage: 1 at_s: nan spare: true }", "scenario: faults.chip_failures[0].at_s must be a finite number"),
    ("chip_failures { stage: 1 at_s: 1e30 spare: true }", "scenario: faults.chip_failures[0].at_s must be a finite number in [0, 900000], got 1e+30"),
    ("chip_failures { stage: 1 at_s: 0.5 spare: true }", "scenario: faults.chip_failures[0].at_s must be < duration_s (0.2), got 0.5"),
    ("chip_failures { stage: 1 at_s: 0.1 spare: true reload_s: inf }", "scenario: faults.chip_failures[0].reload_s must be a finite number"),
    ("chip_failures { stage: 1 at_s: 0.1 reload_s: 3 }", "scenario: faults.chip_failures[0].reload_s needs spare: true"),
    ("link_faults { drop: true end_s: 0.1 }", "scenario: faults.link_faults[0].link must name a link"),
    ("link_faults { link: \"chip0->server9\" drop: true end_s: 0.1 }", "scenario: faults.link_faults[0].link names no link of this topology: \"chip0->server9\""),
    ("link_faults { link: \"chip0->server0\" latency_factor: 0.5 }", "scenario: faults.link_faults[0].latency_factor must be a finite number in [1, 1000], got 0.5"),
    ("link_faults { link: \"chip0->server0\" latency_factor: nan }", "scenario: faults.link_faults[0].latency_factor must be a finite number"),
    ("link_faults { link: \"chip0->server0\" bandwidth_factor: 1e9 }", "scenario: faults.link_faults[0].bandwidth_factor must be a finite number in [1, 1000], got 1e+09"),
    ("link_faults { link: \"chip0->server0\" }", "scenario: faults.link_faults[0] does nothing"),
    ("link_faults { link: \"chip0->server0\" start_s: 0.1 end_s: 0.05 drop: true }", "scenario: faults.link_faults[0].end_s must be 0 (to the end) or > start_s (0.1), got 0.05"),
    ("link_faults { link: \"chip0->server0\" start_s: -1 drop: true }", "scenario: faults.link_faults[0].start_s must be a finite number"),
    ("stragglers { stage: 3 }", "scenario: faults.stragglers[0].slowdown must be a finite number in [1, 1000], got 0"),
    ("stragglers { stage: 3 slowdown: inf }", "scenario: faults.stragglers[0].slowdown must be a finite number"),
    ("stragglers { stage: 30 slowdown: 2 }", "scenario: faults.stragglers[0].stage must be a stage of the cluster"),
    ("detect_s: nan", "scenario: faults.detect_s must be a finite number in [0, 3600], got nan"),
    ("max_retries: -1", "scenario: faults.max_retries must be in [0, 100], got -1"),
    ("chip_failures { stage: 1 at_s: 0.1 spare: maybe }", "line 1, column"),
]:
    p = write(f"fault_{len(ROWS)}.textproto", FAULT_BASE % body)
    row(f"fault {body}", ["simulate", "--scenario", p], expect)
p = write("fault_forever.textproto", "max_requests: 5 faults { chip_failures { stage: 1 at_s: 0.1 } }")
row("fault without spare and no duration", ["simulate", "--scenario", p],
    "scenario: faults.chip_failures[0].spare is false, so the stage never returns: set duration_s")
p = write("fault_distributed.textproto", FAULT_BASE % "stragglers { stage: 1 slowdown: 2 }")
row("faults in distributed mode", ["simulate", "--scenario", p, "--distributed=local"],
    "scenario: faults are simulated in-process only")

# --- cost breakeven, plan and calibrate bounds (issue 29) ---------------------
for argv, expect in [
    (["--usd-per-mask", "1e308"], "cost breakeven: --usd-per-mask must be a finite number in [0, 1e+09], got 1e+308"),
    (["--horizon-months", "inf"], "cost breakeven: --horizon-months must be a finite number in (0, 600], got inf"),
    (["--demand", "nan"], "cost breakeven: --demand must be a finite number in (0, 1e+10], got nan"),
    (["--demand", "1e308"], "cost breakeven: --demand must be a finite number in (0, 1e+10]"),
    (["--hazard", "1"], "cost breakeven: --hazard must be a finite number in [0, 0.999], got 1"),
    (["--engineering-usd", "-1"], "cost breakeven: --engineering-usd must be a finite number"),
    (["--masks", "100000"], "cost breakeven: --masks must be in [0, 200], got 100000"),
    (["--gpu-chips", "0"], "cost breakeven: --gpu-chips must be in [1, 4096], got 0"),
    (["--gpu-usd-per-hour", "inf"], "cost breakeven: --gpu-usd-per-hour must be a finite number"),
    (["--gpu", "nosuchgpu"], "the GPU replica (--gpu nosuchgpu --gpu-chips 8): unknown chip"),
]:
    row(f"breakeven {' '.join(argv)}", ["cost", "breakeven", "--model", "llama-3.1-8b", "--chip", "hc1",
                                        "--chips", "1"] + argv, expect)
row("plan failure rate without --spares", ["plan", "--model", "llama-3.1-8b", "--chip-fit", "nan"],
    "plan: --chip-fit is used only with --spares K")
row("plan with no buildable candidate", ["plan", "--model", "llama-3.1-8b", "--candidates", "hc1",
                                         "--pools", "prefill=nosuchchip", "--requests", "20"],
    "plan: no candidate can be built: unknown chip")
row("calibrate below reach", ["calibrate", "--target-tokens-per-s", "0.001"],
    "--target-tokens-per-s 0.001 is below what hc1 can be made to give")
row("trace every request past the KV memory",
    ["simulate", "--model", "llama-3.1-8b", "--chip", "hc1", "--chips", "1", "--trace",
     write("past_kv.csv", "arrival_s,input_len,output_len\n0,100000,100000\n1,90000,90000\n")],
    "workload.trace.path: every request of")
row("model name of 10 MB", ["simulate", "--scenario",
                            write("long_name.textproto", 'model: "%s"\n' % ("a" * 10_000_000))],
    "scenario: model is 10000000 bytes long, more than 4096")
row("sweep file parse error", ["sweep", "--sweep", write("bad.sweep.textproto", "axis { bogus\n")],
    "line 1, column 6")

# --- hybrid linear-attention configs (issue 30) --------------------------------
_q = json.loads(read("model/configs/qwen3.5-35b-a3b.json"))
for k in ["linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim",
          "linear_value_head_dim"]:
    _q["text_config"][k] = 4096
row("config qwen3.5 recurrent state past the bound",
    ["models", "show", write("huge_state.json", json.dumps(_q))],
    "bytes of recurrent state per sequence, more than the")
_q = json.loads(read("model/configs/qwen3.5-35b-a3b.json"))
_q["text_config"]["layer_types"] = _q["text_config"]["layer_types"][:7]
row("config qwen3.5 layer_types shorter than the layers",
    ["models", "show", write("short_types.json", json.dumps(_q))],
    '"text_config.layer_types" must have one entry per layer')
_q = json.loads(read("model/configs/qwen3.5-35b-a3b.json"))
_q["text_config"]["linear_key_head_dim"] = 0
row("config qwen3.5 state dimension zero",
    ["models", "show", write("zero_dim.json", json.dumps(_q))],
    '"text_config.linear_key_head_dim" must be > 0')

# --- cost availability flags ---------------------------------------------------
for argv, expect in [
    (["--spares", "-1"], "--spares (spare cards, at most a cluster's worth) must be in [0, 4096], got -1"),
    (["--spares", "100000"], "--spares (spare cards, at most a cluster's worth) must be in [0, 4096], got 100000"),
    (["--chip-fit", "nan"], "--chip-fit must be a finite number in [0, 1e+09], got nan"),
    (["--server-fit", "-5"], "--server-fit must be a finite number"),
    (["--link-fit", "inf"], "--link-fit must be a finite number"),
    (["--hbm-fit", "1e300"], "--hbm-fit must be a finite number"),
    (["--takeover-s", "-1"], "--takeover-s must be a finite number in [0, 86400], got -1"),
    (["--card-replace-h", "1e9"], "--card-replace-h must be a finite number in [0, 8766], got 1e+09"),
    (["--server-repair-h", "nan"], "--server-repair-h must be a finite number"),
    (["--link-repair-h", "-2"], "--link-repair-h must be a finite number"),
]:
    row(f"availability {' '.join(argv)}", ["cost", "availability"] + argv, expect)


def main():
    failures = 0
    for name, argv, expect in ROWS:
        try:
            p = subprocess.run([ETCHSIM] + argv, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"FAIL {name}: no answer within {TIMEOUT_S} s")
            failures += 1
            continue
        err = p.stderr.decode(errors="replace")
        lines = err.rstrip("\n").split("\n")
        problems = []
        if p.returncode != 2:
            problems.append(f"exit {p.returncode}, want 2")
        if len(lines) != 1 or not err.endswith("\n"):
            problems.append(f"{len(lines)} stderr lines, want 1")
        if expect not in err:
            problems.append(f"stderr lacks {expect!r}")
        if p.stdout:
            problems.append("stdout not empty")
        if problems:
            failures += 1
            print(f"FAIL {name}: {'; '.join(problems)}\n  argv: {argv}\n  stderr: {err[:600]!r}")
    print(f"{len(ROWS)} bad inputs, {len(ROWS) - failures} handled, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
