# Runs on the device machine (transformers 5.17): writes two Hugging Face checkpoints the project has no fixture for,
# in the shared fixtures' format (reference.json + reference_logits.safetensors), as an outside reference.
import json, os, shutil, sys, torch
from safetensors.torch import save_file, load_file
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM, MistralConfig, MistralForCausalLM

out = os.environ.get("OUT", "/tmp/out")
src = os.environ.get("ORACLE_DIR", ".devicework")
probe = json.load(open(f"{src}/probe.json"))

def reference(folder, tok_src, dtype_name):
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    print(folder, "loaded rope:", getattr(model.config, "rope_parameters", None), "head_dim", getattr(model.config, "head_dim", None),
          "tied", model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr())
    ref = {"arch": model.config.model_type, "dtype": dtype_name, "bos": tok.bos_token_id, "eos": tok.eos_token_id,
           "pad": tok.pad_token_id, "vocab": model.config.vocab_size, "tokenize": [], "greedy": [],
           "logits_file": "reference_logits.safetensors", "transformers": transformers.__version__}
    for t in probe["texts"]:
        ids = tok.encode(t, add_special_tokens=False)
        ref["tokenize"].append({"text": t, "ids_no_special": ids, "ids_hf_default": tok(t)["input_ids"],
                                "decoded": tok.decode(ids)})
    logits = {}
    for i, p in enumerate(probe["prompts"]):
        ids = tok(p)["input_ids"]
        x = torch.tensor([ids])
        with torch.no_grad():
            lg = model(x).logits[0].float()
            gen = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False, max_new_tokens=24,
                                 pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
        g = gen[0, len(ids):].tolist()
        top2 = torch.topk(lg[-1], 2).values
        ref["greedy"].append({"prompt": p, "input_ids": ids, "generated_ids": g,
                              "generated_text": tok.decode(g, skip_special_tokens=True),
                              "last_top2_margin": float(top2[0] - top2[1])})
        logits[f"p{i}"] = lg.contiguous()
    save_file(logits, f"{folder}/reference_logits.safetensors")
    json.dump(ref, open(f"{folder}/reference.json", "w"), indent=1, ensure_ascii=False)

def randomize(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith("norm.weight"): p.copy_(1 + 0.1 * torch.randn_like(p))
            else: p.normal_(0, 0.2)

# 1) Qwen2: q/k/v biases, tied head (no lm_head.weight on disk), linear rope scaling written the older way
#    (top-level rope_theta + rope_scaling {"type": ...}), byte-level BPE, fp32, one file.
q = f"{out}/qwen2-tied-bias-fp32"
cfg = Qwen2Config(vocab_size=1024, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, tie_word_embeddings=True,
                  bos_token_id=0, eos_token_id=1, pad_token_id=2, use_sliding_window=False,
                  rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 1000000.0})
m = Qwen2ForCausalLM(cfg); randomize(m, 1234); m.tie_weights()
assert m.model.layers[0].self_attn.q_proj.bias is not None
m.save_pretrained(q)
for f in os.listdir(f"{src}/tok-llama-bytelevel-fp32"): shutil.copy(f"{src}/tok-llama-bytelevel-fp32/{f}", q)
c = json.load(open(f"{q}/config.json"))
rp = c.pop("rope_parameters", None)
c["rope_theta"] = 1000000.0; c["rope_scaling"] = {"type": "linear", "factor": 2.0}
json.dump(c, open(f"{q}/config.json", "w"), indent=2)
print("qwen2 config", json.dumps(c)); print("qwen2 rope_parameters as saved", rp)
print("qwen2 tensors", sorted(load_file(f"{q}/model.safetensors").keys())[:8])
reference(q, "tok-llama-bytelevel-fp32", "torch.float32")

# 2) Mistral: explicit head_dim 32 != hidden/heads, sliding_window larger than the context, Metaspace BPE, fp16, 3 shards.
mi = f"{out}/mistral-headdim-fp16-sharded"
cfg = MistralConfig(vocab_size=1024, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=32, max_position_embeddings=512, rms_norm_eps=1e-5, sliding_window=4096,
                    tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=3,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
m = MistralForCausalLM(cfg); randomize(m, 4321)
m = m.to(torch.float16)
m.save_pretrained(mi, max_shard_size="200KB")
for f in os.listdir(f"{src}/tok-llama-spm-bf16-sharded"): shutil.copy(f"{src}/tok-llama-spm-bf16-sharded/{f}", mi)
print("mistral files", sorted(os.listdir(mi)))
reference(mi, "tok-llama-spm-bf16-sharded", "torch.float16 (reference computed in fp32 from the fp16 weights)")
for d in (q, mi):
    shutil.make_archive(d, "gztar", out, os.path.basename(d)); shutil.rmtree(d)
print(sorted(os.listdir(out)))
