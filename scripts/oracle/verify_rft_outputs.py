# Runs on the device machine: do checkpoints that `rft train` wrote from imported Hugging Face checkpoints load in
# transformers with no missing or unexpected keys, keep their architecture, and does transformers' greedy decoding equal
# `rft eval`'s predictions (the product's exported ONNX through its own sampler)?
import glob, json, os, sys, torch
import pyarrow.parquet as pq
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer

root = ".devicework/cases"
data = pq.read_table(glob.glob(f"{root}/eval-data/*.parquet")).to_pylist()
prompts = {r["id"]: r["prompt"] for r in data}
ok_all = True
for case in sorted(d for d in os.listdir(root) if d != "eval-data"):
    ck = f"{root}/{case}/checkpoint"
    model, info = AutoModelForCausalLM.from_pretrained(ck, dtype=torch.float32, output_loading_info=True)
    model.eval()
    cfg = json.load(open(f"{ck}/config.json"))
    missing, unexpected = info["missing_keys"], info["unexpected_keys"]
    raw = Tokenizer.from_file(f"{ck}/tokenizer.json")
    auto = AutoTokenizer.from_pretrained(ck)
    tmpl = json.load(open(f"{ck}/rft_prompt.json"))["prompt_template"] if os.path.exists(f"{ck}/rft_prompt.json") else "{prompt}"
    preds = {r["example_id"]: r["prediction"] for r in pq.read_table(glob.glob(f"{root}/{case}/results/*.parquet")).to_pylist()}
    eos = model.generation_config.eos_token_id
    match, auto_same = 0, 0
    for ex_id, pred in sorted(preds.items()):
        text = tmpl.replace("{prompt}", prompts[ex_id])
        ids = raw.encode(text, add_special_tokens=True).ids
        auto_same += ids == auto(text)["input_ids"]
        x = torch.tensor([ids])
        with torch.no_grad():
            out = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False, max_new_tokens=24, eos_token_id=eos,
                                 pad_token_id=model.config.pad_token_id if model.config.pad_token_id is not None else eos)
        gen = out[0, len(ids):].tolist()
        hf_text = raw.decode(gen, skip_special_tokens=True)
        if hf_text == pred: match += 1
        else: print(f"  {case} {ex_id}: transformers {hf_text!r} vs rft eval {pred!r}")
    good = not missing and not unexpected and match == len(preds)
    ok_all &= good
    print(f"{case}: architectures {cfg.get('architectures')} model_type {cfg.get('model_type')} missing {missing} unexpected {unexpected} "
          f"template {tmpl!r} greedy equal {match}/{len(preds)} AutoTokenizer ids == tokenizer.json ids {auto_same}/{len(preds)} -> {'OK' if good else 'FAIL'}")
print("ALL OK" if ok_all else "SOME FAILED")
