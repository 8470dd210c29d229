#!/usr/bin/env python3
"""TAP tests of the knowledge tables (knowledge/*.json) and of their tools.

1. The committed tables pass tools/knowledge-check.py, and each has its curated part.
2. Broken copies of a committed table fail it, each with the problem it was given.
3. tools/knowledge-gen.py run on a small git repository made here (our own files
   shaped like vllm-ascend's, tagged twice) finds the keys, defaults, strictness,
   env variables and the pinned vLLM tag; merges, verifies and drafts curated parts.
4. With V4_KNOWLEDGE_GITDIR=<vllm-ascend git dir> the committed tables are
   regenerated and compared (skipped otherwise: no network, no fetched repo).
"""
import copy
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "tools", "knowledge-check.py")
GEN = os.path.join(ROOT, "tools", "knowledge-gen.py")
KDIR = os.path.join(ROOT, "knowledge")
n = 0
failed = 0


def ok(cond, name, diag=""):
    """One TAP result line."""
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        failed += 1
        for line in str(diag).splitlines()[:20]:
            print("# " + line)


def run(*args, cwd=None):
    """Runs a command; returns (exit status, stdout + stderr)."""
    p = subprocess.run(list(args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    return p.returncode, p.stdout.decode("utf-8", errors="replace")


def check_one(doc, tmp, name):
    """Writes doc as tmp/name and runs the checker on it."""
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return run(sys.executable, CHECK, path)


def committed_tables():
    """Section 1."""
    tables = sorted(glob.glob(os.path.join(KDIR, "vllm-ascend-*.json")))
    ok(len(tables) >= 3, "at least three version tables are committed", tables)
    for t in tables:
        rc, out = run(sys.executable, CHECK, t)
        ok(rc == 0, "%s passes knowledge-check" % os.path.basename(t), out)
        tag = os.path.basename(t)[len("vllm-ascend-"):-len(".json")]
        ok(os.path.exists(os.path.join(KDIR, "curated", tag + ".json")), "%s has knowledge/curated/%s.json" % (tag, tag))
    for c in sorted(glob.glob(os.path.join(KDIR, "curated", "*.json"))):
        tag = os.path.basename(c)[:-len(".json")]
        with open(c, encoding="utf-8") as f:
            cur = json.load(f)
        ok(cur.get("vllm_ascend") == tag and os.path.exists(os.path.join(KDIR, "vllm-ascend-%s.json" % tag)),
           "curated/%s.json names its tag and has a generated table" % tag)
    return tables


def entry(doc, table, i):
    """The entry of id i in table."""
    return next(e for e in doc[table] if e["id"] == i)


def broken_copies(base, tmp):
    """Section 2: each mutation must be caught, with its own message."""
    with open(base, encoding="utf-8") as f:
        good = json.load(f)
    name = os.path.basename(base)
    tag = good["vllm_ascend"]

    def breaks(what, mutate, expect, fname=name):
        doc = copy.deepcopy(good)
        mutate(doc)
        rc, out = check_one(doc, tmp, fname)
        ok(rc == 1 and expect in out, "a copy with %s fails (%s)" % (what, expect), out)

    breaks("an entry without source", lambda d: entry(d, "crashes", "kv_nz_index_topk").pop("source"), "no field source")
    breaks("a source without repo@tag", lambda d: entry(d, "defaults", "block_size_unset").update(
        source="vllm_ascend/utils.py:1257"), "not repo@tag path")
    breaks("a source at another tag", lambda d: entry(d, "crashes", "kv_nz_not_consumer").update(
        source="vllm-project/vllm-ascend@v0.13.0 vllm_ascend/ascend_config.py:1"), "is not this table's")
    breaks("a GitHub URL that is no issue", lambda d: entry(d, "timeouts", "VLLM_RPC_TIMEOUT").update(
        source="https://github.com/vllm-project/vllm/blob/main/vllm/envs.py"), "issue or pull request URL")
    breaks("two entries for one key", lambda d: d["additional_config"].append(
        dict(entry(d, "additional_config", "enable_kv_nz"), default=True)), "two entries for one id")
    breaks("a required key missing", lambda d: d.__setitem__("additional_config", [
        e for e in d["additional_config"] if e["id"] != "enable_balance_scheduling"]), "no entry enable_balance_scheduling")
    breaks("a crash on a key marked not read", lambda d: entry(d, "additional_config", "enable_kv_nz").update(
        read=False), "is marked not read")
    breaks("an unknown checked state", lambda d: entry(d, "env", "HCCL_BUFFSIZE").update(checked="stale"),
           "is not one of")
    breaks("a timeout bounding what nothing reads", lambda d: entry(d, "timeouts", "VLLM_RPC_TIMEOUT").update(
        bounds="ZMQ RPCs"), "read by nothing")
    breaks("an observation outside observations", lambda d: entry(d, "defaults", "dp_group_backend").update(
        source="observed: the notes", checked="observed"), "an observation outside observations")
    breaks("no vllm_pin_source line", lambda d: d.__setitem__("vllm_pin_source", None), "vllm_pin_source")
    breaks("a file name of another tag", lambda d: None, "file name does not match", fname="vllm-ascend-v0.0.1.json")
    breaks("generated_from without a commit", lambda d: d["generated_from"].__setitem__("vllm_ascend", tag),
           "not a commit id")


# ---- section 3: the generator on a repository made here ----

CONFIG_V1 = '''\
import os


class AscendConfig:
    def __init__(self, vllm_config):
        additional_config = vllm_config.additional_config or {}
        sub = additional_config.get("sub_config", {})
        self.sub = SubConfig(**sub)
        strict = additional_config.get("strict_config", {})
        self.strict = StrictConfig(strict)
        self.flag = additional_config.get("enable_flag", False)
        self.count = int(additional_config.get("count", 4))
        self.mode = self._get_config_value(additional_config, "mode", "TOY_MODE", 0)
        self.nested = NestedConfig(self._get_config_value(additional_config, "nested", "TOY_NESTED", {}))
        if self.flag and self.count > 8:
            raise ValueError("enable_flag needs count <= 8.")

    @staticmethod
    def _get_config_value(additional_config, config_key, env_key, env_value):
        return additional_config.get(config_key, env_value)


class SubConfig:
    def __init__(self, alpha: bool = True, beta: int = 2, **kwargs):
        self.gamma = kwargs.get("gamma", "x")


class NestedConfig:
    def __init__(self, config):
        self.depth = config.get("depth", 3)


class StrictConfig:
    _defaults = {"one": 1, "two": None}

    def __init__(self, user_config):
        for key in user_config:
            if key not in self._defaults:
                raise ValueError(f"Config has no attribute '{key}'")
'''

ENVS = '''\
import os

env_variables = {
    "TOY_MODE": lambda: bool(int(os.getenv("TOY_MODE", "1"))),
    "TOY_NAME": lambda: os.getenv("TOY_NAME", None),
}
'''

OTHER = '''\
import os


def other(vllm_config):
    if os.environ.get("TOY_DIRECT", "0") == "1":
        return vllm_config.additional_config.get("late_key", 7)
    return None
'''


def git(repo, *args):
    """Runs git in repo with a fixed identity; returns (status, output)."""
    env = ["-c", "user.name=knowledge test", "-c", "user.email=test@invalid", "-c", "commit.gpgsign=false"]
    return run("git", *env, *args, cwd=repo)


def write(repo, rel, text):
    """Writes one file of the test repository."""
    path = os.path.join(repo, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def make_repo(tmp):
    """A repository with tags v9.9.9 and v9.9.10 (lines shifted, one message gone)."""
    repo = os.path.join(tmp, "toy")
    os.makedirs(repo)
    rc, out = git(repo, "init", "-q")
    if rc:
        return None, out
    write(repo, "Dockerfile", "FROM scratch\nARG VLLM_REPO=x\nARG VLLM_TAG=v9.8.7\n")
    write(repo, "vllm_ascend/ascend_config.py", CONFIG_V1)
    write(repo, "vllm_ascend/envs.py", ENVS)
    write(repo, "vllm_ascend/other.py", OTHER)
    write(repo, "vllm_ascend/tests/test_x.py", 'def t(additional_config):\n    return additional_config.get("test_only")\n')
    for args in (("add", "-A"), ("commit", "-qm", "one"), ("tag", "v9.9.9")):
        rc, out = git(repo, *args)
        if rc:
            return None, out
    v2 = CONFIG_V1.replace("import os\n", "import os\n\n# two\n# more\n# lines\n", 1)
    v2 = v2.replace('raise ValueError("enable_flag needs count <= 8.")', 'pass')
    write(repo, "vllm_ascend/ascend_config.py", v2)
    for args in (("commit", "-qam", "two"), ("tag", "v9.9.10")):
        rc, out = git(repo, *args)
        if rc:
            return None, out
    return repo, ""


VLLM_ENVS = '''\
import os

environment_variables = {
    "VLLM_READY": lambda: int(os.getenv("VLLM_READY", "600")),
    "VLLM_DEAD": lambda: int(os.getenv("VLLM_DEAD", "10000")),
}
'''

VLLM_READER = '''\
import vllm.envs as envs


def wait():
    return envs.VLLM_READY
'''

VLLM_LOADER = '''\
class DefaultModelLoader:
    def __init__(self, load_config):
        allowed_keys = {"alpha_key", "beta_key"}
        unexpected = set(load_config) - allowed_keys
        if unexpected:
            raise ValueError("Unexpected extra config keys")
'''


def make_vllm(tmp):
    """A vLLM-shaped repository tagged v9.8.7 (the tag the toy Dockerfile pins)."""
    repo = os.path.join(tmp, "toyvllm")
    os.makedirs(repo)
    write(repo, "vllm/envs.py", VLLM_ENVS)
    write(repo, "vllm/engine/reader.py", VLLM_READER)
    write(repo, "vllm/model_executor/model_loader/default_loader.py", VLLM_LOADER)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "v"), ("tag", "v9.8.7")):
        rc, out = git(repo, *args)
        if rc:
            return None
    return os.path.join(repo, ".git")


def generator(tmp):
    """Section 3."""
    global n
    if not shutil.which("git"):
        print("ok %d # SKIP git missing" % (n + 1))
        n += 1
        return
    repo, why = make_repo(tmp)
    ok(repo is not None, "a test repository is made", why)
    if repo is None:
        return
    gitdir = os.path.join(repo, ".git")
    rc, out = run(sys.executable, GEN, "--vllm-ascend", gitdir, "--tag", "v9.9.9", "--no-curated")
    ok(rc == 0, "knowledge-gen runs on it", out)
    try:
        doc = json.loads(out)
    except ValueError:
        ok(False, "knowledge-gen prints JSON", out)
        return
    ac = {e["id"]: e for e in doc["additional_config"]}
    src = "vllm-project/vllm-ascend@v9.9.9 vllm_ascend/ascend_config.py:"
    ok(doc["vllm"] == "v9.8.7" and doc["vllm_pin_source"] == "vllm-project/vllm-ascend@v9.9.9 Dockerfile:3",
       "the pinned vLLM tag and its Dockerfile line", doc.get("vllm_pin_source"))
    ok(ac.get("enable_flag", {}).get("default") is False and ac["enable_flag"]["source"] == src + "11",
       "a top-level key with its default and line", ac.get("enable_flag"))
    ok(ac.get("count", {}).get("parse") == "int()" and ac["count"]["default"] == 4, "int() parsing is named",
       ac.get("count"))
    ok("swallows" in ac.get("sub_config", {}).get("strict", ""), "a **kwargs sub-config swallows unknown keys",
       ac.get("sub_config"))
    ok(ac.get("sub_config.alpha", {}).get("default") is True and ac.get("sub_config.gamma", {}).get("default") == "x",
       "sub-config keys from the signature and from kwargs.get", [ac.get("sub_config.alpha"), ac.get("sub_config.gamma")])
    ok(ac.get("strict_config", {}).get("strict") == "raises on unknown keys" and "strict_config.two" in ac,
       "a _defaults sub-config that raises is strict", ac.get("strict_config"))
    ok(ac.get("mode", {}).get("env_fallback") == "TOY_MODE" and ac["mode"]["default"] is True,
       "a config key backed by an env variable takes its unset value", ac.get("mode"))
    ok(ac.get("nested.depth", {}).get("default") == 3 and ac.get("nested", {}).get("strict") == "ignores unknown keys",
       "a dict read through _get_config_value is followed into its class", [ac.get("nested"), ac.get("nested.depth")])
    ok("late_key" in ac and "test_only" not in ac, "keys read outside ascend_config.py count, tests do not",
       sorted(ac))
    env = {e["id"]: e for e in doc["env"]}
    ok(env.get("TOY_MODE", {}).get("parse", "").startswith("bool(int(") and env["TOY_MODE"]["default"] == "1",
       "an env table entry with its parse and default", env.get("TOY_MODE"))
    ok(env.get("TOY_DIRECT", {}).get("default") == "0" and "TOY_NAME" in env, "direct os.environ reads are listed",
       sorted(env))

    vgit = make_vllm(tmp)
    rc, out = run(sys.executable, GEN, "--vllm-ascend", gitdir, "--tag", "v9.9.9", "--vllm", vgit or "/nonexistent",
                  "--no-curated")
    vdoc = json.loads(out) if rc == 0 else {}
    venv = {e["id"]: e for e in vdoc.get("env", [])}
    ok(venv.get("VLLM_READY", {}).get("readers") == 1 and venv.get("VLLM_DEAD", {}).get("readers") == 0
       and venv["VLLM_READY"].get("default") == "600", "with --vllm: the env table with its readers (0: read by nothing)",
       out[-1500:])
    ok([e["id"] for e in vdoc.get("loader_extra_config", [])] == ["alpha_key", "beta_key"]
       and len(vdoc.get("generated_from", {}).get("vllm", "")) == 40,
       "with --vllm: the loader's allowed keys and the vLLM commit", vdoc.get("loader_extra_config"))

    cur = {"vllm_ascend": "v9.9.9", "crashes": [
        {"id": "flag_count", "keys": ["enable_flag", "count"], "when": "enable_flag with count > 8",
         "exception": "ValueError", "message": "enable_flag needs count <= 8.", "phase": "start-up",
         "checked": "at-tag", "source": src + "16-17"}],
        "additional_config": [{"id": "enable_flag", "note": "reviewed"}]}
    cpath = os.path.join(tmp, "cur.json")
    with open(cpath, "w", encoding="utf-8") as f:
        json.dump(cur, f)
    rc, out = run(sys.executable, GEN, "--vllm-ascend", gitdir, "--tag", "v9.9.9", "--curated", cpath, "--strict")
    merged = json.loads(out) if rc == 0 else {}
    flag = next((e for e in merged.get("additional_config", []) if e["id"] == "enable_flag"), {})
    ok(rc == 0 and flag.get("note") == "reviewed" and flag.get("origin") == "generated+curated"
       and any(e["id"] == "flag_count" for e in merged.get("crashes", [])),
       "the curated part is merged over the generated tables", out)
    bad = copy.deepcopy(cur)
    bad["crashes"][0]["source"] = src + "5"
    with open(cpath, "w", encoding="utf-8") as f:
        json.dump(bad, f)
    rc, out = run(sys.executable, GEN, "--vllm-ascend", gitdir, "--tag", "v9.9.9", "--curated", cpath, "--strict")
    ok(rc == 1 and "message not at" in out, "--strict fails a curated message that is not at its line", out)

    with open(cpath, "w", encoding="utf-8") as f:
        json.dump(dict(cur, defaults=[{"id": "count_default", "value": 4, "when": "unset", "checked": "at-tag",
                                       "source": src + "12"}]), f)
    rc, out = run(sys.executable, GEN, "--vllm-ascend", gitdir, "--tag", "v9.9.10", "--draft-curated", cpath)
    draft = json.loads(out) if rc == 0 else {}
    moved = next((e for e in draft.get("defaults", []) if e["id"] == "count_default"), {})
    gone = next((e for e in draft.get("crashes", []) if e["id"] == "flag_count"), {})
    ok(moved.get("source") == "vllm-project/vllm-ascend@v9.9.10 vllm_ascend/ascend_config.py:16",
       "a draft for the next tag follows the cited line as it moves", moved)
    ok(gone.get("checked") == "stale", "a draft marks an entry whose message is gone as stale", gone)


def regenerate():
    """Section 4 (optional): the committed tables are what the generator makes today."""
    global n
    gitdir = os.environ.get("V4_KNOWLEDGE_GITDIR")
    tables = sorted(glob.glob(os.path.join(KDIR, "vllm-ascend-*.json")))
    if not gitdir:
        print("ok %d # SKIP set V4_KNOWLEDGE_GITDIR to a vllm-ascend git dir to regenerate" % (n + 1))
        n += 1
        return
    for t in tables:
        tag = os.path.basename(t)[len("vllm-ascend-"):-len(".json")]
        rc, out = run(sys.executable, GEN, "--vllm-ascend", gitdir, "--tag", tag, "--strict")
        with open(t, encoding="utf-8") as f:
            ok(rc == 0 and json.loads(out) == json.load(f), "%s regenerates unchanged" % tag, out[-2000:])


def main():
    """Runs the sections and prints the plan last."""
    tmp = tempfile.mkdtemp(prefix="v4knowledge.")
    try:
        tables = committed_tables()
        if tables:
            broken_copies(tables[0], tmp)
        generator(tmp)
        regenerate()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
