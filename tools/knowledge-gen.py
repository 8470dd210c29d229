#!/usr/bin/env python3
"""Regenerates a knowledge table (knowledge/vllm-ascend-TAG.json) from git.

Reads a bare or normal git directory of vllm-project/vllm-ascend at a tag
(and, optionally, one of vllm-project/vllm at the tag the Dockerfile pins),
extracts what can be read mechanically -- the --additional-config keys with
their defaults, how they are parsed and where, the environment variables
read, the loader's allowed keys -- and merges the hand-reviewed part from
knowledge/curated/TAG.json, which always wins field by field.

  tools/knowledge-gen.py --vllm-ascend GITDIR --tag v0.21.0rc1 \
      [--vllm GITDIR] [--curated FILE | --no-curated] > knowledge/vllm-ascend-v0.21.0rc1.json

Python 3 standard library only. Nothing is imported or run from the
repositories read: their files are parsed with the ast module.
"""
import argparse
import ast
import json
import os
import re
import subprocess
import sys

SCHEMA = 1
ASCEND_REPO = "vllm-project/vllm-ascend"
VLLM_REPO = "vllm-project/vllm"
# Tables the curated part may add to or override; each is a list keyed by "id".
TABLES = ("additional_config", "crashes", "loader_extra_config", "env", "timeouts", "defaults",
          "observations")


def die(msg):
    """Prints msg and exits 2."""
    sys.stderr.write("knowledge-gen: %s\n" % msg)
    sys.exit(2)


class Repo:
    """Read-only access to one git directory at one tag."""

    def __init__(self, gitdir, tag, name):
        self.gitdir, self.tag, self.name = gitdir, tag, name
        self.commit = self.git("rev-parse", "--verify", "-q", tag + "^{commit}").strip()
        if not re.fullmatch(r"[0-9a-f]{40}", self.commit):
            die("%s: no tag %s" % (gitdir, tag))

    def git(self, *args, data=None):
        """Runs git on the directory; returns stdout as text."""
        p = subprocess.run(["git", "--git-dir=" + self.gitdir] + list(args), input=data,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if p.returncode != 0:
            die("git %s: %s" % (" ".join(args), p.stderr.decode(errors="replace").strip()))
        return p.stdout.decode("utf-8", errors="replace")

    def files(self, under, suffix=".py"):
        """Paths under a folder at the tag ending in suffix, tests left out."""
        out = self.git("ls-tree", "-r", "--name-only", self.commit, "--", under)
        return sorted(p for p in out.splitlines()
                      if p.endswith(suffix) and "/tests/" not in "/" + p)

    def read(self, path):
        """The text of path at the tag, or None when absent."""
        p = subprocess.run(["git", "--git-dir=" + self.gitdir, "show", "%s:%s" % (self.commit, path)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        return p.stdout.decode("utf-8", errors="replace") if p.returncode == 0 else None

    def src(self, path, line):
        """A source reference repo@tag path:line."""
        return "%s@%s %s:%d" % (self.name, self.tag, path, line)


def literal(node):
    """The Python literal of node as JSON-able data, or a marker string."""
    if node is None:
        return None
    try:
        v = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return {"expr": ast.unparse(node)}
    if isinstance(v, (set, tuple)):
        v = sorted(v, key=str) if isinstance(v, set) else list(v)
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return {"expr": ast.unparse(node)}
    return v


def type_of(default):
    """A JSON type name for a default value."""
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    if isinstance(default, list):
        return "list"
    if isinstance(default, dict) and "expr" not in default:
        return "dict"
    return "any"


def const_str(node):
    """The string of a constant node, or None."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def parents(tree):
    """Maps each node to its parent."""
    par = {}
    for p in ast.walk(tree):
        for c in ast.iter_child_nodes(p):
            par[c] = p
    return par


# ---- --additional-config ----

class ConfigScan:
    """Finds the reads of --additional-config keys in one module."""

    def __init__(self, repo, path, tree, out, classes):
        self.repo, self.path, self.tree, self.out, self.classes = repo, path, tree, out, classes
        self.par = parents(tree)

    def is_root(self, node):
        """1 when node is the additional_config dict itself."""
        if isinstance(node, ast.Name) and node.id == "additional_config":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "additional_config":
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                and len(node.args) >= 2 and const_str(node.args[1]) == "additional_config"):
            return True
        return False

    def prefix(self, node, alias):
        """The key path node denotes ("" = the root), or None."""
        if self.is_root(node):
            return ""
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return self.prefix(node.values[0], alias)
        if isinstance(node, ast.IfExp):
            return self.prefix(node.body, alias)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return alias.get(ast.unparse(node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_get_config_value":
            strs = [(i, const_str(a)) for i, a in enumerate(node.args) if const_str(a) is not None]
            if strs:
                i, key = strs[0]
                main = next((p for p in (self.prefix(a, alias) for a in node.args[:i]) if p is not None), "")
                return join(main, key)
        k = self.key_access(node, alias)
        return k[0] if k else None

    def key_access(self, node, alias):
        """(key path, default node, has default) when node reads one key, else None."""
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and node.args and const_str(node.args[0]) is not None):
            p = self.prefix(node.func.value, alias)
            if p is not None:
                return (join(p, node.args[0].value), node.args[1] if len(node.args) > 1 else None,
                        len(node.args) > 1)
        if isinstance(node, ast.Subscript) and const_str(node.slice) is not None:
            p = self.prefix(node.value, alias)
            if p is not None:
                return (join(p, node.slice.value), None, False)
        return None

    def how(self, node):
        """How the value read at node is converted: bool(), int(), float() or plain."""
        p = self.par.get(node)
        if isinstance(p, ast.Call) and isinstance(p.func, ast.Name) and p.func.id in ("bool", "int", "float", "str"):
            return p.func.id + "()"
        if isinstance(p, ast.BoolOp) and isinstance(p.op, ast.And) and p.values[0] is node:
            return ".get() truthiness, and-ed with other conditions"
        if isinstance(p, ast.If) and p.test is node:
            return ".get() truthiness"
        return ".get() as written (no type check)"

    def add(self, key, default, has_default, line, parse, extra=None):
        """Records one key read."""
        e = {"id": key, "type": type_of(literal(default)) if has_default else "any",
             "default": literal(default) if has_default else None, "parse": parse,
             "source": self.repo.src(self.path, line)}
        if extra:
            e.update(extra)
        self.out.append(e)

    def scan_body(self, body, alias):
        """Walks statements in order, growing the alias map with assignments."""
        for stmt in body:
            for node in ast.walk(stmt):
                self.visit(node, alias)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                value = stmt.value
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                p = self.prefix(value, alias) if value is not None else None
                if p:
                    for t in targets:
                        alias[ast.unparse(t)] = p

    def visit(self, node, alias):
        """Records a key read, an env-backed read or a sub-config hand-off at node."""
        k = self.key_access(node, alias)
        if k:
            parse = self.how(node)
            if isinstance(node, ast.Subscript):
                parse = "subscript (KeyError when absent)" if parse.startswith(".get() as") \
                    else parse.replace(".get() ", "subscript ")
            self.add(k[0], k[1], k[2], node.lineno, parse)
            return
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
            s, p = const_str(node.left), self.prefix(node.comparators[0], alias)
            if s is not None and p is not None:
                self.add(join(p, s), None, False, node.lineno, "presence test ('in')")
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_get_config_value":
            self.config_value(node, alias)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id[:1].isupper():
            for i, a in enumerate(node.args):
                p = self.prefix(a, alias)
                if p:
                    self.classes.append((node.func.id, p, ("arg", i), self.repo.src(self.path, node.lineno)))
            for kw in node.keywords:
                p = self.prefix(kw.value, alias) if kw.arg is None else None
                if p:
                    self.classes.append((node.func.id, p, ("kwargs", 0), self.repo.src(self.path, node.lineno)))

    def config_value(self, node, alias):
        """A _get_config_value(dict, "key", "ENV", default) read: the key with its env fallback."""
        strs = [(i, const_str(a)) for i, a in enumerate(node.args) if const_str(a) is not None]
        if not strs:
            return
        i, key = strs[0]
        env = next((s for _, s in strs[1:] if re.fullmatch(r"[A-Z][A-Z0-9_]+", s)), None)
        prefixes = [self.prefix(a, alias) for a in node.args[:i]]
        main = next((p for p in prefixes if p is not None), "")
        default = node.args[-1] if len(node.args) > i + 1 and not env else None
        extra = {"env_fallback": env} if env else {}
        if env:
            extra["default_from"] = "env " + env
        parse = "config value as written, else the env variable's parse" if env else \
            "value as written (no type check), else the legacy top-level key, else the default"
        self.add(join(main, key), default, default is not None, node.lineno, parse, extra)
        if main and "" in prefixes[1:]:
            self.add(key, default, default is not None, node.lineno,
                     "legacy top-level spelling of %s (read when the nested one is absent)" % join(main, key),
                     dict(extra, legacy_of=join(main, key)))

    def run(self):
        """Scans every function; self.* aliases are shared within a class."""
        for cls in [n for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)] + [self.tree]:
            shared = {}
            for fn in cls.body:
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    alias = dict(shared)
                    self.scan_body(fn.body, alias)
                    shared.update({k: v for k, v in alias.items() if k.startswith("self.")})


def join(prefix, key):
    """prefix.key, or key at the root."""
    return prefix + "." + key if prefix else key


def class_defs(trees):
    """Maps class name to (path, ClassDef) over all modules."""
    out = {}
    for path, tree in trees.items():
        for n in ast.walk(tree):
            if isinstance(n, ast.ClassDef) and n.name not in out:
                out[n.name] = (path, n)
    return out


def raises_unknown(fn):
    """The text of a raise about unknown keys in fn, or None."""
    for n in ast.walk(fn):
        if isinstance(n, ast.Raise) and n.exc is not None:
            t = ast.unparse(n.exc)
            if re.search(r"[Uu]nknown|has no attribute|unexpected", t):
                return t
    return None


def scan_subconfig(repo, path, cls, prefix, how, where, out):
    """The keys a sub-config class reads from the dict handed to it."""
    init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
    if init is None:
        return
    args = init.args
    params = args.posonlyargs + args.args
    strict, why = "ignores unknown keys", None
    if how[0] == "kwargs":
        defaults = [None] * (len(params) - len(args.defaults)) + list(args.defaults)
        for p, d in zip(params, defaults):
            if p.arg == "self":
                continue
            ann = ast.unparse(p.annotation) if p.annotation is not None else None
            out.append({"id": join(prefix, p.arg), "type": ann or (type_of(literal(d)) if d else "any"),
                        "default": literal(d), "parse": "keyword argument of %s (no type check)" % cls.name,
                        "source": repo.src(path, p.lineno)})
        if args.kwarg is not None:
            strict, why = "swallows unknown keys (**%s)" % args.kwarg.arg, None
            alias = {args.kwarg.arg: prefix}
        else:
            strict, why = "raises on unknown keys", "TypeError: unexpected keyword argument"
            alias = {}
    else:
        idx = how[1] + (1 if params and params[0].arg == "self" else 0)
        alias = {params[idx].arg: prefix} if idx < len(params) else {}
    for node in cls.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id.strip("_") in ("defaults", "DEFAULTS"):
                    for k, v in zip(node.value.keys, node.value.values):
                        if const_str(k) is not None:
                            out.append({"id": join(prefix, k.value), "type": type_of(literal(v)),
                                        "default": literal(v), "parse": "%s._defaults" % cls.name,
                                        "source": repo.src(path, k.lineno)})
    sub = []
    scan = ConfigScan(repo, path, ast.Module(body=[], type_ignores=[]), sub, [])
    scan.par = parents(init)
    scan.is_root = lambda n: False
    scan.scan_body(init.body, dict(alias))
    for e in sub:
        e["parse"] = e["parse"].replace(".get()", "%s .get()" % cls.name, 1)
    out.extend(sub)
    r = raises_unknown(init)
    if r:
        strict, why = "raises on unknown keys", r
    entry = {"id": prefix, "type": "dict", "default": {}, "parse": "handed to %s" % cls.name,
             "strict": strict, "source": where, "reader": "%s %s:%d" % (cls.name, path, cls.lineno)}
    if why:
        entry["unknown_key_error"] = why
    out.append(entry)


def merge_reads(reads):
    """One entry per key: the first read (AscendConfig order) wins, others go to also_read_at."""
    by = {}
    order = []
    for e in reads:
        k = e["id"]
        if k not in by:
            by[k] = dict(e)
            order.append(k)
            continue
        cur = by[k]
        cur.setdefault("also_read_at", []).append(e["source"])
        if cur.get("parse", "").startswith("presence test"):
            cur["parse"] = e["parse"]
        for f in ("strict", "reader", "unknown_key_error", "env_fallback", "legacy_of"):
            if f in e and f not in cur:
                cur[f] = e[f]
        if cur.get("type") in ("any", None) and e.get("type") not in ("any", None):
            cur["type"], cur["default"] = e["type"], e["default"]
        elif e.get("default") is not None and cur.get("default") is not None and e["default"] != cur["default"]:
            cur.setdefault("other_defaults", []).append({"default": e["default"], "source": e["source"]})
    return [by[k] for k in sorted(order)]


def additional_config(repo, trees):
    """The --additional-config table of a vllm-ascend tag."""
    reads, handoffs, sub = [], [], []
    for path, tree in trees.items():
        ConfigScan(repo, path, tree, reads, handoffs).run()
    defs = class_defs(trees)
    seen = set()
    for name, prefix, how, where in handoffs:
        if name in defs and (name, prefix) not in seen:
            seen.add((name, prefix))
            path, cls = defs[name]
            scan_subconfig(repo, path, cls, prefix, how, where, sub)
    # What the reading class does with a key wins over later reads of the dict it wrote back.
    return merge_reads(sub + reads)


def env_default(entry):
    """The value an env table entry yields when the variable is unset (None when unknown)."""
    d, kind = entry.get("default"), entry.get("parse", "")
    try:
        if d is None or isinstance(d, dict):
            return None
        if kind.startswith("bool(int("):
            return bool(int(d))
        if kind.startswith("int("):
            return int(d)
        if kind.startswith("float("):
            return float(d)
    except (TypeError, ValueError):
        return None
    return d


def fill_env_defaults(table, envs):
    """Config keys that fall back to an env variable take its unset value as default."""
    by = {e["id"]: e for e in envs}
    for e in table:
        env = by.get(e.get("env_fallback"))
        if env and e.get("default") is None:
            e["default"] = env_default(env)
            e["type"] = type_of(e["default"]) if e["default"] is not None else e["type"]
            e["default_source"] = env["source"]


# ---- environment variables ----

def env_table_dict(tree, var):
    """The dict literal assigned to var (environment table) in a module, or None."""
    for n in ast.walk(tree):
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and isinstance(n.value, ast.Dict):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(isinstance(t, ast.Name) and t.id == var for t in targets):
                return n.value
    return None


def getenv_call(node):
    """(name, default node) of an os.getenv / os.environ.get call, else None."""
    if not isinstance(node, ast.Call) or not node.args or const_str(node.args[0]) is None:
        return None
    f = ast.unparse(node.func)
    if f in ("os.getenv", "os.environ.get", "getenv", "environ.get"):
        return node.args[0].value, node.args[1] if len(node.args) > 1 else None
    return None


def parse_kind(expr):
    """How a table lambda converts the text: a short description."""
    t = ast.unparse(expr)
    if re.match(r"bool\(int\(", t):
        return "bool(int(value)): only integers; 'true' raises ValueError"
    if re.match(r"int\(", t):
        return "int(value)"
    if re.match(r"float\(", t):
        return "float(value)"
    if ".lower()" in t and ("in (" in t or "in [" in t or "==" in t):
        return "lower-cased, compared with fixed values"
    if ".lower()" in t:
        return "lower-cased text"
    if re.match(r"bool\(", t):
        return "bool(value): any non-empty text is true"
    return "text as given"


def env_from_table(repo, path, tree, var, reader):
    """Entries of a VAR = {"NAME": lambda: ...} environment table."""
    d = env_table_dict(tree, var)
    out = []
    if d is None:
        return out
    for k, v in zip(d.keys, d.values):
        name = const_str(k)
        if name is None:
            continue
        body = v.body if isinstance(v, ast.Lambda) else v
        default = None
        for n in ast.walk(body):
            g = getenv_call(n)
            if g and g[0] == name:
                default = literal(g[1])
                break
        out.append({"id": name, "read_by": reader, "parse": parse_kind(body), "default": default,
                    "source": repo.src(path, k.lineno)})
    return out


def env_direct(repo, trees, reader, skip):
    """Direct os.getenv / os.environ reads and writes outside the env tables."""
    found = {}
    for path, tree in trees.items():
        if path in skip:
            continue
        par = parents(tree)
        for n in ast.walk(tree):
            name, kind, default = None, None, None
            g = getenv_call(n)
            if g:
                name, kind, default = g[0], "read", literal(g[1])
            elif isinstance(n, ast.Subscript) and ast.unparse(n.value) in ("os.environ", "environ") \
                    and const_str(n.slice) is not None:
                name = n.slice.value
                kind = "set" if isinstance(n.ctx, ast.Store) else "read"
            elif isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn)) \
                    and const_str(n.left) is not None and ast.unparse(n.comparators[0]) in ("os.environ", "environ"):
                name, kind = n.left.value, "presence test"
            elif isinstance(n, ast.Call) and ast.unparse(n.func) == "os.environ.setdefault" and n.args \
                    and const_str(n.args[0]) is not None:
                name, kind, default = n.args[0].value, "set (setdefault)", literal(n.args[1] if len(n.args) > 1 else None)
            if not name or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                continue
            e = found.setdefault(name, {"id": name, "read_by": reader, "uses": []})
            e["uses"].append({"kind": kind, "default": default, "source": repo.src(path, n.lineno)})
    for e in found.values():
        first = next((u for u in e["uses"] if u["kind"] != "set"), e["uses"][0])
        e["source"], e["default"] = first["source"], first["default"]
        kinds = sorted({u["kind"] for u in e["uses"]})
        e["parse"] = "read directly (%s); see the cited lines" % ", ".join(kinds)
    return [found[k] for k in sorted(found)]


def merge_env(tables):
    """One entry per variable; a table entry keeps its fields, direct uses join it."""
    by = {}
    for t in tables:
        for e in t:
            cur = by.get(e["id"])
            if cur is None:
                by[e["id"]] = dict(e)
                continue
            if e["read_by"] not in cur["read_by"].split(" + "):
                cur["read_by"] += " + " + e["read_by"]
            cur.setdefault("uses", []).extend(e.get("uses", []))
    return [by[k] for k in sorted(by)]


def vllm_envs_refs(repo, trees):
    """Counts envs.NAME references outside vllm/envs.py: which variables anything reads."""
    refs = {}
    for path, tree in trees.items():
        if path == "vllm/envs.py":
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in ("envs", "vllm_envs"):
                refs.setdefault(n.attr, []).append(repo.src(path, n.lineno))
    return refs


# ---- vLLM loader ----

def loader_keys(repo, trees):
    """The allowed --model-loader-extra-config keys of DefaultModelLoader."""
    path = "vllm/model_executor/model_loader/default_loader.py"
    tree = trees.get(path)
    out = []
    if tree is None:
        return out
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "allowed_keys" for t in n.targets) \
                and isinstance(n.value, ast.Set):
            for elt in n.value.elts:
                if const_str(elt) is not None:
                    out.append({"id": elt.value, "allowed": True, "source": repo.src(path, elt.lineno)})
    return sorted(out, key=lambda e: e["id"])


# ---- assembly ----

def parse_all(repo, under):
    """Parses every Python file under a folder at the tag: {path: tree}."""
    trees = {}
    for path in repo.files(under):
        text = repo.read(path)
        if text is None:
            continue
        try:
            trees[path] = ast.parse(text, filename=path)
        except SyntaxError:
            sys.stderr.write("knowledge-gen: %s: not parsed (syntax)\n" % path)
    return trees


def pinned_vllm(repo):
    """The vLLM tag the Dockerfile clones, with its source line, or (None, None)."""
    text = repo.read("Dockerfile") or ""
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*ARG\s+VLLM_TAG=(\S+)", line)
        if m:
            return m.group(1), repo.src("Dockerfile", i)
    return None, None


SRC_RE = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)@(?P<tag>\S+) (?P<path>[^\s:]+)(?::(?P<a>\d+)(?:-(?P<b>\d+))?)?$")


def needle_of(lines, a, b, entry):
    """The text that identifies a cited range: the message if it is there, else the longest line."""
    rng = [l.strip() for l in lines[a - 1:b]]
    msg = (entry.get("quote") or entry.get("message") or "")[:40]
    if msg:
        for i, l in enumerate(rng):
            if msg in l:
                return msg, i
    best = max(range(len(rng)), key=lambda i: len(rng[i])) if rng else None
    return (rng[best], best) if best is not None and len(rng[best]) >= 12 else (None, None)


def relocate(repo, entry):
    """The entry with its vllm-ascend source moved to repo's tag, or marked stale."""
    e = dict(entry)
    m = SRC_RE.match(e.get("source", ""))
    if not m or m.group("repo") != repo.name or not m.group("a"):
        if m and m.group("repo") == repo.name:
            e["source"] = repo.src(m.group("path"), 0).rsplit(":", 1)[0]
        return e
    path, a = m.group("path"), int(m.group("a"))
    b = int(m.group("b") or a)
    old = Repo(repo.gitdir, m.group("tag"), repo.name).read(path)
    new = repo.read(path)
    needle, off = needle_of(old.splitlines(), a, b, e) if old else (None, None)
    hits = [i + 1 for i, l in enumerate((new or "").splitlines()) if needle and needle in l.strip()]
    if not hits:
        e["checked"] = "stale"
        e["stale"] = "not found at %s: review by hand" % repo.tag
        return e
    line = min(hits, key=lambda h: abs(h - (a + off)))
    start = line - off
    e["source"] = "%s@%s %s:%d%s" % (repo.name, repo.tag, path, start, "-%d" % (start + b - a) if b > a else "")
    return e


def draft_curated(repo, path):
    """A curated part for repo's tag drafted from another tag's: sources moved, lost ones marked stale."""
    with open(path, encoding="utf-8") as f:
        cur = json.load(f)
    out = {"vllm_ascend": repo.tag, "drafted_from": cur.get("vllm_ascend")}
    for table in TABLES:
        if table in cur:
            out[table] = [relocate(repo, e) for e in cur[table]]
    return out


def verify_curated(repo, cur):
    """Warnings for curated entries whose cited vllm-ascend lines do not hold their message."""
    warns = []
    for table in TABLES:
        for e in cur.get(table, []):
            m = SRC_RE.match(e.get("source", ""))
            if not m or m.group("repo") != repo.name or m.group("tag") != repo.tag:
                continue
            text = repo.read(m.group("path"))
            if text is None:
                warns.append("%s %s: no file %s" % (table, e["id"], m.group("path")))
                continue
            want = e.get("quote") or e.get("message")
            if m.group("a") and want:
                a, b = int(m.group("a")), int(m.group("b") or m.group("a"))
                span = "\n".join(text.splitlines()[max(0, a - 3):b + 2])
                if want[:30] not in span:
                    warns.append("%s %s: message not at %s" % (table, e["id"], e["source"]))
    return warns


def merge_curated(doc, cur):
    """Curated entries override generated fields by id; new ids are added."""
    for k in ("vllm", "vllm_pin_source", "notes"):
        if k in cur:
            doc[k] = cur[k]
    if "generated_from" in cur:
        doc["generated_from"].update(cur["generated_from"])
    for table in TABLES:
        gen = {e["id"]: e for e in doc.get(table, [])}
        for e in gen.values():
            e["origin"] = "generated"
            e.setdefault("checked", "at-tag")
        for ce in cur.get(table, []):
            if ce["id"] in gen:
                gen[ce["id"]].update(ce)
                gen[ce["id"]]["origin"] = "generated+curated"
            else:
                gen[ce["id"]] = dict(ce, origin="curated")
        doc[table] = [gen[k] for k in sorted(gen)]


def main():
    """Command line entry."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vllm-ascend", required=True, metavar="GITDIR", help="git directory of vllm-ascend")
    ap.add_argument("--tag", required=True, help="vllm-ascend tag, e.g. v0.21.0rc1")
    ap.add_argument("--vllm", metavar="GITDIR", help="git directory of vLLM (read at the pinned tag)")
    ap.add_argument("--vllm-tag", help="vLLM tag (default: the one the Dockerfile pins)")
    ap.add_argument("--curated", metavar="FILE", help="hand-reviewed part (default knowledge/curated/TAG.json)")
    ap.add_argument("--no-curated", action="store_true", help="generated tables only")
    ap.add_argument("--draft-curated", metavar="FILE",
                    help="print a curated part for --tag drafted from another tag's FILE, then stop")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a curated message is not at its line")
    a = ap.parse_args()

    va = Repo(a.vllm_ascend, a.tag, ASCEND_REPO)
    if a.draft_curated:
        json.dump(draft_curated(va, a.draft_curated), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    vtag, vsrc = pinned_vllm(va)
    vtag = a.vllm_tag or vtag
    trees = parse_all(va, "vllm_ascend")
    doc = {"schema": SCHEMA, "vllm_ascend": a.tag, "vllm": vtag, "vllm_pin_source": vsrc,
           "generated_from": {"vllm_ascend": va.commit}, "additional_config": additional_config(va, trees)}
    envs_path = "vllm_ascend/envs.py"
    env_tables = [env_from_table(va, envs_path, trees[envs_path], "env_variables", "vllm-ascend")] \
        if envs_path in trees else []
    env_tables.append(env_direct(va, trees, "vllm-ascend", {envs_path}))
    doc["loader_extra_config"] = []
    if a.vllm:
        if not vtag:
            die("no vLLM tag: give --vllm-tag")
        vr = Repo(a.vllm, vtag, VLLM_REPO)
        doc["generated_from"]["vllm"] = vr.commit
        vtrees = parse_all(vr, "vllm")
        vt = env_from_table(vr, "vllm/envs.py", vtrees.get("vllm/envs.py", ast.Module(body=[], type_ignores=[])),
                            "environment_variables", "vllm")
        refs = vllm_envs_refs(vr, vtrees)
        for e in vt:
            e["readers"] = len(refs.get(e["id"], []))
            if refs.get(e["id"]):
                e["first_reader"] = refs[e["id"]][0]
        env_tables.insert(0, vt)
        doc["loader_extra_config"] = loader_keys(vr, vtrees)
    doc["env"] = merge_env(env_tables)
    fill_env_defaults(doc["additional_config"], doc["env"])
    for t in TABLES:
        doc.setdefault(t, [])
    if not a.no_curated:
        path = a.curated or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "knowledge",
                                         "curated", a.tag + ".json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                cur = json.load(f)
            if cur.get("vllm_ascend") != a.tag:
                die("%s is for %s, not %s" % (path, cur.get("vllm_ascend"), a.tag))
            warns = verify_curated(va, cur)
            for w in warns:
                sys.stderr.write("knowledge-gen: curated: %s\n" % w)
            if warns and a.strict:
                sys.exit(1)
            merge_curated(doc, cur)
        elif a.curated:
            die("no curated file %s" % path)
    json.dump(doc, sys.stdout, indent=1, sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
