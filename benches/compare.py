#!/usr/bin/env python3
"""slant against scikit-learn and fastText on one generated corpus, on this machine, in one run.

Run through `benches/compare.sh` (it makes the virtual environment with the pinned versions of
`benches/requirements.txt` under target/ and calls this script). `benches/README.md` says what is
measured and how to read the table.

    benches/compare.sh                       # 1k and 10k paragraphs, best of 3
    benches/compare.sh --big                 # also train at 100k (slow)
    benches/compare.sh --sizes 1000 --repeats 1 --no-criterion   # a quick look

The script also runs itself as a child process for each Python measurement (`sk-train`,
`sk-fit`, `sk-score`, `ft-train`, `ft-score`), so that every tool's peak resident memory and wall
time are measured the same way: GNU time around the child process.
"""

import argparse
import datetime
import glob
import json
import os
import pickle
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLANT = ROOT / "target" / "release" / "slant"
EXAMPLES = ROOT / "target" / "release" / "examples"
RESULTS = ROOT / "target" / "bench-results.json"
TIME = "/usr/bin/time"  # GNU time (Debian package `time`), for peak RSS

# The benchmark configuration: the shipped model's featurizer (word 1-2-grams, Snowball stems,
# at most 10,000 terms, neighbour context +-2 at weight 0.5) and penalty, without class balance
# (it repeats rows, which scikit-learn would express differently). Spelled out rather than taken
# from models/stance.json so that retraining the shipped model does not move the benchmark.
NGRAM = (1, 2)
MAX_FEATURES = 10000
ALPHA = 0.5
MAX_ITER = 100
SLANT_FLAGS = [
    "--ngram-min", str(NGRAM[0]), "--ngram-max", str(NGRAM[1]), "--stem", "true",
    "--stop-words", "false", "--char-ngrams", "none", "--min-df", "1",
    "--max-features", str(MAX_FEATURES), "--sublinear-tf", "false",
    "--context-window", "2", "--neighbour-weight", "0.5", "--article-weight", "0",
    "--alpha", str(ALPHA), "--class-balance", "false", "--max-iter", str(MAX_ITER),
]
THREADS = 2
BATCH = 1000  # paragraphs per predict call in the Python scorers
WORD = re.compile(r"\w+")
BLANK = re.compile(r"\n\s*\n")


# --------------------------------------------------------------------------------------------
# The Python side: tokenizer, readers, and the child commands.


def stem_tokenize(text):
    """Lower-case regex words, each through nltk's English Snowball stemmer (no cache: the
    plain way to plug a stemmer into TfidfVectorizer)."""
    return [_STEMMER.stem(w) for w in WORD.findall(text.lower())]


_STEMMER = None


def _init_stemmer():
    global _STEMMER
    from nltk.stem.snowball import SnowballStemmer

    _STEMMER = SnowballStemmer("english")


def read_labels(path):
    """(doc, text, label) rows of a labels TSV (no quoting: texts hold no tabs)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        di, ti, li = header.index("doc"), header.index("text"), header.index("label")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            rows.append((cols[di], cols[ti], cols[li]))
    return rows


def article_paragraphs(directory):
    """(doc, para, text) of every paragraph of every .txt file, files in sorted order:
    paragraphs are separated by blank lines, whitespace collapsed."""
    for path in sorted(glob.glob(os.path.join(directory, "*.txt"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        doc = os.path.splitext(os.path.basename(path))[0]
        n = 0
        for block in BLANK.split(text):
            para = " ".join(block.split())
            if para:
                n += 1
                yield doc, n, para


def macro_f1(truth, pred):
    from sklearn.metrics import f1_score

    return float(f1_score(truth, pred, average="macro"))


def child_sk_train(a):
    """scikit-learn end to end: read the TSV, fit TfidfVectorizer (nltk stems), fit
    LogisticRegression (lbfgs), pickle both; macro-F1 on the test TSV."""
    t0 = time.perf_counter()
    _init_stemmer()
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    t_import = time.perf_counter() - t0
    import numpy as np

    t1 = time.perf_counter()
    rows = read_labels(a.train)
    vec = TfidfVectorizer(
        tokenizer=stem_tokenize, token_pattern=None, lowercase=False, ngram_range=NGRAM,
        max_features=MAX_FEATURES, smooth_idf=True, norm="l2", dtype=np.float64,
    )
    x = vec.fit_transform([r[1] for r in rows])
    t_feat = time.perf_counter() - t1
    t2 = time.perf_counter()
    clf = LogisticRegression(C=1.0 / ALPHA, solver="lbfgs", max_iter=MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, [r[2] for r in rows])
    t_fit = time.perf_counter() - t2
    with open(a.out, "wb") as f:
        pickle.dump((vec, clf), f)
    t_total = time.perf_counter() - t1
    test = read_labels(a.test)
    pred = clf.predict(vec.transform([r[1] for r in test]))
    return {
        "import_s": t_import, "featurize_s": t_feat, "fit_s": t_fit,
        "train_s": t_total, "n_iter": int(max(clf.n_iter_)),
        "n_features": len(vec.vocabulary_),
        "test_macro_f1": macro_f1([r[2] for r in test], pred),
    }


def child_sk_fit(a):
    """scikit-learn's lbfgs on slant's exported rows: fit time (best of --repeats), iterations,
    and macro-F1 on the test rows for scikit-learn and for slant (its predictions were written
    by export_features)."""
    import warnings

    import numpy as np
    from sklearn.datasets import load_svmlight_file
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    meta = json.load(open(os.path.join(a.dir, "features.json")))
    n = meta["n_features"]
    xtr, ytr = load_svmlight_file(os.path.join(a.dir, "train.svm"), n_features=n,
                                  zero_based=True, dtype=np.float64)
    xte, yte = load_svmlight_file(os.path.join(a.dir, "test.svm"), n_features=n,
                                  zero_based=True, dtype=np.float64)
    slant_pred = np.loadtxt(os.path.join(a.dir, "slant_test_pred.txt"), dtype=np.int64, ndmin=1)
    out = {"slant_test_macro_f1": macro_f1(yte, slant_pred), "fits": {}}
    # scikit-learn's tol is on the largest gradient entry of the loss averaged over rows; slant's
    # gradient_tolerance times the row count bounds the gradient norm of the summed loss, i.e.
    # the norm of the averaged loss's gradient. `default` is how scikit-learn is normally run;
    # `matched` uses slant's tolerance, so that both stop at about the same gradient
    # (scikit-learn's max-entry test is the looser).
    tols = {"default": 1e-4, "matched": meta["gradient_tolerance"]}
    for name, tol in tols.items():
        best, clf = float("inf"), None
        for _ in range(a.repeats):
            clf = LogisticRegression(C=1.0 / meta["alpha"], solver="lbfgs",
                                     max_iter=meta["max_iterations"], tol=tol)
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(xtr, ytr)
            best = min(best, time.perf_counter() - t)
        out["fits"][name] = {
            "tol": tol, "fit_s": best, "n_iter": int(max(clf.n_iter_)),
            "test_macro_f1": macro_f1(yte, clf.predict(xte)),
        }
    return out


def write_jsonl(f, ids, classes, probs):
    for (doc, para), p in zip(ids, probs):
        best = max(range(len(classes)), key=lambda i: p[i])
        f.write(json.dumps({"doc": doc, "para": para, "label": classes[best],
                            "probs": {c: float(v) for c, v in zip(classes, p)}}))
        f.write("\n")


def score_loop(directory, out, predict, classes):
    """Read, split, featurize and predict in batches, write JSON Lines; returns (paragraphs,
    seconds)."""
    t = time.perf_counter()
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        ids, texts = [], []
        for doc, para, text in article_paragraphs(directory):
            ids.append((doc, para))
            texts.append(text)
            if len(texts) == BATCH:
                write_jsonl(f, ids, classes, predict(texts))
                n += len(texts)
                ids, texts = [], []
        if texts:
            write_jsonl(f, ids, classes, predict(texts))
            n += len(texts)
    return n, time.perf_counter() - t


def child_sk_score(a):
    t0 = time.perf_counter()
    _init_stemmer()
    import sklearn  # noqa: F401  (imported before the clock starts, like the model)

    with open(a.model, "rb") as f:
        vec, clf = pickle.load(f)
    load_s = time.perf_counter() - t0
    classes = [str(c) for c in clf.classes_]
    n, s = score_loop(a.articles, a.out, lambda t: clf.predict_proba(vec.transform(t)).tolist(),
                      classes)
    return {"paragraphs": n, "loop_s": s, "startup_s": load_s}


def ft_text(text):
    return " ".join(WORD.findall(text.lower()))


def child_ft_train(a):
    import fasttext

    rows = read_labels(a.train)
    data = a.out + ".train.txt"
    with open(data, "w", encoding="utf-8") as f:
        for _, text, label in rows:
            f.write(f"__label__{label} {ft_text(text)}\n")
    t = time.perf_counter()
    # 25 epochs at rate 0.5: with the defaults (5 epochs, 0.1) and word bigrams, a thousand
    # paragraphs leave fastText predicting one class. Neither changes prediction speed.
    model = fasttext.train_supervised(input=data, wordNgrams=NGRAM[1], epoch=25, lr=0.5,
                                      thread=THREADS, seed=a.seed, verbose=0)
    fit_s = time.perf_counter() - t
    model.save_model(a.out)
    os.remove(data)
    test = read_labels(a.test)
    labels, _ = model.predict([ft_text(r[1]) for r in test], k=1)
    pred = [ls[0][len("__label__"):] for ls in labels]
    return {"fit_s": fit_s, "test_macro_f1": macro_f1([r[2] for r in test], pred)}


def child_ft_score(a):
    t0 = time.perf_counter()
    import fasttext

    model = fasttext.load_model(a.model)
    classes = sorted(label[len("__label__"):] for label in model.get_labels())
    load_s = time.perf_counter() - t0

    def predict(texts):
        # k=-1: every label with its probability, as `fasttext predict-prob model - -1` prints.
        labels, probs = model.predict([ft_text(t) for t in texts], k=-1)
        out = []
        for ls, ps in zip(labels, probs):
            by = {l[len("__label__"):]: float(p) for l, p in zip(ls, ps)}
            out.append([by.get(c, 0.0) for c in classes])
        return out

    n, s = score_loop(a.articles, a.out, predict, classes)
    return {"paragraphs": n, "loop_s": s, "startup_s": load_s}


# --------------------------------------------------------------------------------------------
# The parent: runs every tool as a child process and measures it.


def measure(cmd, log_dir, name, env=None):
    """Runs cmd, returns wall seconds, peak RSS (MiB), exit status, stdout text; stdout and
    stderr go to files under log_dir (named after `name`).

    Peak RSS comes from GNU time (`/usr/bin/time -f %M`), not from our own wait4: a child forked
    from this Python process inherits its high-water mark across exec on Linux, which would add
    the parent's memory to a small program's figure."""
    out_path = log_dir / f"{name}.out"
    err_path = log_dir / f"{name}.err"
    rss_path = log_dir / f"{name}.rss"
    full_env = dict(os.environ)
    full_env.update(env or {})
    wrapped = [TIME, "-f", "%M", "-o", rss_path] + list(cmd)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t = time.perf_counter()
        status = subprocess.run([str(c) for c in wrapped], stdout=out, stderr=err, env=full_env,
                                cwd=ROOT).returncode
        wall = time.perf_counter() - t
    # GNU time writes "Command exited with non-zero status N" before the figure on failure.
    rss_kib = int(rss_path.read_text().split()[-1])
    return {
        "wall_s": wall, "max_rss_mib": rss_kib / 1024.0, "status": status,
        "stdout": out_path.read_text(errors="replace"),
        "stderr": err_path.read_text(errors="replace").strip(),
    }


def python_env(a):
    """OpenBLAS with two threads on two busy cores made scikit-learn's fit ten times slower
    than with one in our runs, so the Python children get --blas-threads (default 1)."""
    n = str(a.blas_threads)
    return {"OPENBLAS_NUM_THREADS": n, "OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n}


def python_child(kind, **kw):
    cmd = [sys.executable, Path(__file__).resolve(), kind]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", v]
    return cmd


def repeated(n, cmd, log_dir, name, env=None, check=True):
    """Runs cmd n times. Returns every run and a summary: best (lowest) wall time, median, worst,
    highest peak RSS, and the parsed JSON stdout of the best run (Python children print one)."""
    runs = []
    for i in range(n):
        r = measure(cmd, log_dir, f"{name}.{i}", env)
        if r["status"] != 0:
            if check:
                raise SystemExit(f"compare: {name} failed (exit {r['status']}): {r['stderr'][-2000:]}")
            return {"error": r["stderr"].splitlines()[-1] if r["stderr"] else f"exit {r['status']}",
                    "max_rss_mib": r["max_rss_mib"], "wall_s": r["wall_s"]}
        runs.append(r)
    walls = sorted(r["wall_s"] for r in runs)
    best = min(runs, key=lambda r: r["wall_s"])
    summary = {
        "runs": n, "wall_s": walls[0], "wall_median_s": walls[len(walls) // 2],
        "wall_max_s": walls[-1], "max_rss_mib": max(r["max_rss_mib"] for r in runs),
    }
    text = best["stdout"].strip()
    if text.startswith("{") and "\n" not in text:  # a Python child's one-line report
        summary["child"] = json.loads(text)
        # The best of the child's own clock (the loop without interpreter start-up).
        if "loop_s" in summary["child"]:
            loops = sorted(json.loads(r["stdout"])["loop_s"] for r in runs)
            summary["loop_s"] = loops[0]
            summary["loop_median_s"] = loops[len(loops) // 2]
            summary["loop_max_s"] = loops[-1]
    return summary


def lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def corpus(work, n, seed, log_dir):
    d = work / f"corpus-{n}-s{seed}"
    meta = d / "corpus.json"
    if meta.exists():
        m = json.loads(meta.read_text())
        if m.get("paragraphs") == n and m.get("seed") == seed:
            return d, m
    shutil.rmtree(d, ignore_errors=True)
    r = measure([EXAMPLES / "gen_corpus", "--paragraphs", n, "--seed", seed, "--out", d],
                log_dir, f"gen-{n}")
    if r["status"] != 0:
        raise SystemExit(f"compare: gen_corpus failed: {r['stderr']}")
    return d, json.loads(meta.read_text())


def slant_score(a, articles, model, out, log_dir, name):
    """Best of --repeats runs of `slant score`, two threads; `out=None` writes to standard
    output (redirected to a file under log_dir, removed afterwards)."""
    env = {"RAYON_NUM_THREADS": str(THREADS)}
    to = ["--out", out] if out else []
    r = repeated(a.repeats, [SLANT, "score", "--model", model] + to + [articles], log_dir, name, env)
    if out:
        r["records"] = lines(out)
    else:
        r["records"] = lines(log_dir / f"{name}.0.out")
        for i in range(a.repeats):
            os.remove(log_dir / f"{name}.{i}.out")
    return r


def run_size(a, n, log_dir):
    print(f"compare: {n} paragraphs", file=sys.stderr, flush=True)
    d, meta = corpus(a.work, n, a.seed, log_dir)
    res = {"corpus": meta, "dir": str(d)}
    train_repeats = a.train_repeats if n < 100000 else 1
    model = d / "slant-model.json"
    res["slant_train"] = repeated(
        train_repeats,
        [SLANT, "train", "--data", d / "train.tsv", "--no-cv", "--out", model] + SLANT_FLAGS,
        log_dir, f"slant-train-{n}", check=False)
    if "error" in res["slant_train"]:
        print(f"compare: slant train at {n}: {res['slant_train']['error']}", file=sys.stderr)
    else:
        feat = d / "features"
        res["export"] = measure(
            [EXAMPLES / "export_features", "--model", model, "--train", d / "train.tsv",
             "--test", d / "test.tsv", "--out-dir", feat, "--repeats", train_repeats],
            log_dir, f"export-{n}")
        if res["export"]["status"] != 0:
            raise SystemExit(f"compare: export_features failed: {res['export']['stderr']}")
        res["export"]["features"] = json.loads((feat / "features.json").read_text())
        res["sk_fit"] = repeated(1, python_child("sk-fit", dir=feat, repeats=train_repeats),
                                 log_dir, f"sk-fit-{n}", python_env(a))
    sk_model = d / "sk-model.pkl"
    res["sk_train"] = repeated(train_repeats, python_child(
        "sk-train", train=d / "train.tsv", test=d / "test.tsv", out=sk_model),
        log_dir, f"sk-train-{n}", python_env(a))
    ft_model = d / "ft-model.bin"
    res["ft_train"] = repeated(1, python_child(
        "ft-train", train=d / "train.tsv", test=d / "test.tsv", out=ft_model, seed=a.seed),
        log_dir, f"ft-train-{n}", python_env(a))
    if n <= a.max_score_size:
        print(f"compare: scoring {n} paragraphs", file=sys.stderr, flush=True)
        arts = d / "articles"
        if "error" not in res["slant_train"]:
            res["slant_score"] = slant_score(a, arts, model, d / "slant-scores.jsonl", log_dir,
                                             f"slant-score-{n}")
        res["sk_score"] = repeated(a.repeats, python_child(
            "sk-score", model=sk_model, articles=arts, out=d / "sk-scores.jsonl"),
            log_dir, f"sk-score-{n}", python_env(a))
        res["ft_score"] = repeated(a.repeats, python_child(
            "ft-score", model=ft_model, articles=arts, out=d / "ft-scores.jsonl"),
            log_dir, f"ft-score-{n}", python_env(a))
        for k in ("slant_score", "sk_score", "ft_score"):
            if k in res:
                got = res[k].get("records", res[k].get("child", {}).get("paragraphs"))
                if got != n:
                    raise SystemExit(f"compare: {k} wrote {got} records for {n} paragraphs")
    return res


def criterion_results(a, log_dir):
    """Runs the criterion benches that exist and reads their estimates."""
    benches = [b for b in ("throughput", "featurize", "load") if (ROOT / "benches" / f"{b}.rs").exists()]
    out = []
    for b in benches:
        print(f"compare: cargo bench --bench {b}", file=sys.stderr, flush=True)
        start = time.time()
        r = measure(["cargo", "bench", "--bench", b], log_dir, f"criterion-{b}")
        if r["status"] != 0:
            out.append({"bench": b, "error": r["stderr"][-500:]})
            continue
        for est in glob.glob(str(ROOT / "target" / "criterion" / "**" / "new" / "estimates.json"),
                             recursive=True):
            if os.path.getmtime(est) < start:
                continue
            info = json.load(open(os.path.join(os.path.dirname(est), "benchmark.json")))
            e = json.load(open(est))
            point = (e.get("slope") or e["mean"])["point_estimate"]
            out.append({"bench": b, "group": info.get("group_id"),
                        "function": info.get("function_id"), "id": info["full_id"],
                        "ns": point, "throughput": info.get("throughput")})
    return out


def machine():
    def cmd(*c):
        try:
            return subprocess.run(c, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    lscpu = cmd("lscpu") or ""
    model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines()
                  if l.startswith("Model name")), platform.processor())
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {"cpu": model, "nproc": os.cpu_count(), "mem_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(),
            "rustc": cmd("rustc", "--version"), "load_avg_start": os.getloadavg()}


def git_state():
    def git(*c):
        return subprocess.run(["git", *c], capture_output=True, text=True, cwd=ROOT).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def child_versions(a):
    import fasttext  # noqa: F401
    import nltk
    import numpy
    import scipy
    import sklearn

    return {"scikit-learn": sklearn.__version__, "nltk": nltk.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__,
            "fasttext-wheel": _dist_version("fasttext-wheel")}


def _dist_version(name):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


# --------------------------------------------------------------------------------------------
# The table.


def pps(n, seconds):
    return n / seconds if seconds else float("nan")


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if v != v:
        return "nan"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def targets(results):
    """One row per target of the issue: (target, slant, other, ratio, goal, met)."""
    rows = []
    sizes = results["sizes"]
    for n in sorted(sizes, key=int):
        s = sizes[n]
        if "slant_score" not in s:
            continue
        p_slant = pps(int(n), s["slant_score"]["wall_s"])
        p_sk = pps(int(n), s["sk_score"]["loop_s"])
        p_ft = pps(int(n), s["ft_score"]["loop_s"])
        rows.append((f"scoring {int(n):,} paras: slant vs scikit-learn (para/s)", p_slant, p_sk,
                     p_slant / p_sk, ">= 20", p_slant / p_sk >= 20))
        rows.append((f"scoring {int(n):,} paras: slant vs fastText predict k=-1 (para/s)", p_slant,
                     p_ft, p_slant / p_ft, ">= 1", p_slant / p_ft >= 1))
    for n in sorted(sizes, key=int):
        s = sizes[n]
        if "sk_fit" not in s:
            if "error" in s.get("slant_train", {}):
                rows.append((f"training {int(n):,} paras: slant train", s["slant_train"]["error"],
                             None, None, "runs", False))
            continue
        f = s["export"]["features"]
        sk = s["sk_fit"]["child"]
        for tol in ("default", "matched"):
            r = sk["fits"][tol]["fit_s"] / f["model_fit_s"] if f["model_fit_s"] > 0 else None
            rows.append((f"training {int(n):,} paras, fit only: scikit-learn lbfgs (tol {tol}) / slant (s)",
                         f["model_fit_s"], sk["fits"][tol]["fit_s"], r, ">= 1",
                         r is not None and r >= 1))
        e2e = s["sk_train"]["wall_s"] / s["slant_train"]["wall_s"]
        rows.append((f"training {int(n):,} paras, end to end: scikit-learn / slant train (s)",
                     s["slant_train"]["wall_s"], s["sk_train"]["wall_s"], e2e, ">= 1", e2e >= 1))
        d = sk["slant_test_macro_f1"] - sk["fits"]["default"]["test_macro_f1"]
        rows.append((f"training {int(n):,} paras: macro-F1 slant minus scikit-learn (same rows)",
                     sk["slant_test_macro_f1"], sk["fits"]["default"]["test_macro_f1"], d,
                     "within ±0.01", abs(d) <= 0.01))
    for mode in ("--out", "stdout"):
        rss = [r for r in results.get("score_rss", []) if r.get("mode", "--out") == mode]
        if len(rss) >= 2:
            lo, hi = rss[0], rss[-1]
            r = hi["max_rss_mib"] / lo["max_rss_mib"]
            rows.append((f"slant score {'--out FILE' if mode == '--out' else '> FILE'} peak RSS, "
                         f"{hi['paragraphs']:,} vs {lo['paragraphs']:,} paras (MiB)",
                         hi["max_rss_mib"], lo["max_rss_mib"], 1 / r, ">= 0.9 (flat)", r <= 1 / 0.9))
    crit = results.get("criterion", [])
    groups = {}
    for c in crit:
        if "ns" in c:
            groups.setdefault((c["bench"], c["group"]), []).append(c)
    for (bench, group), items in sorted(groups.items(), key=lambda kv: str(kv[0])):
        floor = [c for c in items if str(c.get("function", "")).startswith("floor")]
        if bench == "featurize" and len(floor) == 1:
            for c in items:
                if c is not floor[0]:
                    r = c["ns"] / floor[0]["ns"]
                    rows.append((f"featurize: {c['id']} / {floor[0]['id']} (ms)", c["ns"] / 1e6,
                                 floor[0]["ns"] / 1e6, r, "<= 3", r <= 3))
    for c in crit:
        if c.get("bench") == "load" and "ns" in c:
            ms = c["ns"] / 1e6
            rows.append((f"model load: {c['id']} (ms)", ms, None, None, "< 20 ms", ms < 20))
    return rows


def render(results):
    out = []
    g = results["git"]
    m = results["machine"]
    out.append(f"## slant performance: commit {g['commit'][:12]}{' (dirty)' if g['dirty'] else ''}, "
               f"{results['date']}")
    out.append("")
    out.append(f"Machine: {m['cpu']}, {m['nproc']} cores, {m['mem_gib']} GiB; load average at start "
               f"{', '.join(f'{x:.2f}' for x in m['load_avg_start'])}, at end "
               f"{', '.join(f'{x:.2f}' for x in results['load_avg_end'])}. "
               f"Times are the best of {results['settings']['repeats']} runs (training: "
               f"{results['settings']['train_repeats']}; 100k: 1).")
    out.append("")
    out.append("| target | slant | other | ratio (above 1: slant better) | goal | met |")
    out.append("|---|---:|---:|---:|---|---|")
    for name, a, b, r, goal, met in targets(results):
        out.append(f"| {name} | {fmt(a, 3)} | {fmt(b, 3)} | {fmt(r)} | {goal} | {'yes' if met else 'NO'} |")
    out.append("")
    out.append("Scoring, paragraphs per second (best; median; worst run):")
    out.append("")
    out.append("| paragraphs | slant score (whole process) | scikit-learn (loop) | fastText (loop) | slant peak RSS MiB |")
    out.append("|---:|---:|---:|---:|---:|")
    for n, s in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        if "sk_score" not in s:
            continue
        n_ = int(n)

        def three(r, key):
            stem = key[:-2]  # wall or loop
            return "; ".join(fmt(pps(n_, r[k]), 0)
                             for k in (key, f"{stem}_median_s", f"{stem}_max_s"))

        ss = s.get("slant_score")
        out.append(f"| {n_:,} | {three(ss, 'wall_s') if ss else '–'} | {three(s['sk_score'], 'loop_s')} | "
                   f"{three(s['ft_score'], 'loop_s')} | {fmt(ss['max_rss_mib'], 1) if ss else '–'} |")
    if results.get("score_rss"):
        out.append("")
        out.append("slant score peak RSS by input size: " + ", ".join(
            f"{r.get('mode', '--out')} {r['paragraphs']:,} paras {r['max_rss_mib']:.1f} MiB "
            f"({fmt(pps(r['paragraphs'], r['wall_s']), 0)} para/s)"
            for r in results["score_rss"]))
    out.append("")
    out.append("Training (best wall time in seconds; peak RSS in MiB; macro-F1 on the generated test split):")
    out.append("")
    out.append("| paragraphs | slant train s | slant RSS | slant fit only s | sklearn fit s (default tol; matched) | sklearn iters | sklearn end-to-end s | sklearn RSS | fastText fit s | macro-F1 slant / sklearn (same rows) / sklearn pipeline / fastText |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, s in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        st = s["slant_train"]
        if "error" in st:
            slant_cells = f"failed: {st['error'][:80]} | {fmt(st['max_rss_mib'], 0)} | – "
            fit_cells, iters, f1_slant, f1_same = "–", "–", "–", "–"
        else:
            f = s["export"]["features"]
            sk = s["sk_fit"]["child"]
            slant_cells = f"{fmt(st['wall_s'])} | {fmt(st['max_rss_mib'], 0)} | {fmt(f['model_fit_s'])}"
            fit_cells = f"{fmt(sk['fits']['default']['fit_s'])}; {fmt(sk['fits']['matched']['fit_s'])}"
            iters = f"{sk['fits']['default']['n_iter']}; {sk['fits']['matched']['n_iter']}"
            f1_slant = fmt(sk["slant_test_macro_f1"], 3)
            f1_same = fmt(sk["fits"]["default"]["test_macro_f1"], 3)
        skt = s["sk_train"]
        out.append(f"| {int(n):,} | {slant_cells} | {fit_cells} | {iters} | {fmt(skt['wall_s'])} | "
                   f"{fmt(skt['max_rss_mib'], 0)} | {fmt(s['ft_train']['child']['fit_s'])} | "
                   f"{f1_slant} / {f1_same} / {fmt(skt['child']['test_macro_f1'], 3)} / "
                   f"{fmt(s['ft_train']['child']['test_macro_f1'], 3)} |")
    crit = [c for c in results.get("criterion", []) if "ns" in c]
    if crit:
        out.append("")
        out.append("Criterion estimates (in-process):")
        out.append("")
        out.append("| bench | id | time |")
        out.append("|---|---|---:|")
        for c in sorted(crit, key=lambda c: (c["bench"], c["id"])):
            out.append(f"| {c['bench']} | {c['id']} | {fmt(c['ns'] / 1e6, 3)} ms |")
    for c in results.get("criterion", []):
        if "error" in c:
            out.append(f"\ncargo bench --bench {c['bench']} failed: {c['error']}")
    return "\n".join(out) + "\n"


def main_run(a):
    if not os.access(TIME, os.X_OK):
        raise SystemExit(f"compare: {TIME} (GNU time) is missing; install it: apt-get install time")
    a.work = (ROOT / a.work).resolve()
    a.work.mkdir(parents=True, exist_ok=True)
    log_dir = a.work / "logs"
    log_dir.mkdir(exist_ok=True)
    if not a.no_build:
        print("compare: cargo build --release", file=sys.stderr, flush=True)
        subprocess.run(["cargo", "build", "--release", "--bin", "slant", "--example", "gen_corpus",
                        "--example", "export_features"], cwd=ROOT, check=True)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_state(), "machine": machine(),
        "python_packages": json.loads(subprocess.run(
            [sys.executable, __file__, "versions"], capture_output=True, text=True,
            check=True).stdout),
        "settings": {"sizes": a.sizes, "repeats": a.repeats, "train_repeats": a.train_repeats,
                     "seed": a.seed, "threads": THREADS, "slant_flags": SLANT_FLAGS,
                     "rss_size": a.rss_size, "batch": BATCH,
                     "blas_threads": a.blas_threads},
        "sizes": {},
    }
    for n in a.sizes:
        results["sizes"][str(n)] = run_size(a, n, log_dir)
    # Peak RSS of slant score at a small and a large input, same model.
    trained = [n for n in a.sizes if "error" not in results["sizes"][str(n)]["slant_train"]]
    if trained and a.rss_size:
        model = Path(results["sizes"][str(max(trained))]["dir"]) / "slant-model.json"
        rss = []
        for mode in ("--out", "stdout"):
            for n in sorted({min(a.sizes), a.rss_size}):
                d, _ = corpus(a.work, n, a.seed, log_dir)
                out = a.work / f"rss-scores-{n}.jsonl" if mode == "--out" else None
                r = slant_score(a, d / "articles", model, out, log_dir,
                                f"slant-score-rss-{mode.strip('-')}-{n}")
                if r["records"] != n:
                    raise SystemExit(f"compare: slant score wrote {r['records']} records for {n}")
                rss.append({"mode": mode, "paragraphs": n, "max_rss_mib": r["max_rss_mib"],
                            "wall_s": r["wall_s"]})
                if out:
                    os.remove(out)
        results["score_rss"] = rss
    if not a.no_criterion:
        results["criterion"] = criterion_results(a, log_dir)
    results["load_avg_end"] = os.getloadavg()
    results["targets"] = [dict(zip(("target", "slant", "other", "ratio", "goal", "met"), r))
                          for r in targets(results)]
    RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
    sys.stdout.write(render(results))
    print(f"compare: wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)


CHILDREN = {
    "sk-train": child_sk_train, "sk-fit": child_sk_fit, "sk-score": child_sk_score,
    "ft-train": child_ft_train, "ft-score": child_ft_score, "versions": child_versions,
}


def main():
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        p = argparse.ArgumentParser(prog=f"compare.py {sys.argv[1]}")
        for name in ("train", "test", "out", "dir", "model", "articles"):
            p.add_argument(f"--{name}")
        p.add_argument("--repeats", type=int, default=1)
        p.add_argument("--seed", type=int, default=42)
        a = p.parse_args(sys.argv[2:])
        print(json.dumps(CHILDREN[sys.argv[1]](a)))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 10000],
                   help="corpus sizes in paragraphs, comma-separated (default 1000,10000)")
    p.add_argument("--big", action="store_true", help="also train at 100,000 paragraphs (slow)")
    p.add_argument("--repeats", type=int, default=3, help="runs of each scoring measurement")
    p.add_argument("--train-repeats", type=int, default=3,
                   help="runs of each training measurement below 100k (100k: 1)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rss-size", type=int, default=100000,
                   help="also run slant score on a corpus this large for peak RSS (0: skip)")
    p.add_argument("--max-score-size", type=int, default=10000,
                   help="largest size at which the three scorers are compared")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OpenBLAS/OpenMP threads of the Python children (default 1)")
    p.add_argument("--work", default="target/bench", help="where corpora, models and logs go")
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--no-criterion", action="store_true",
                   help="skip cargo bench (throughput, featurize, load when present)")
    a = p.parse_args()
    if a.big and 100000 not in a.sizes:
        a.sizes.append(100000)
    a.sizes.sort()
    main_run(a)


if __name__ == "__main__":
    main()
