"""The transitive code fingerprint of a node's function, for result caching (issue 16).

``definition_hash`` covers only the function's own source (SPEC). A cache keyed on it serves
stale results when a helper the function calls changes, the most reported caching bug across
peers. ``code_fingerprint`` also covers what the function *reaches*:

- its own normalized source (an AST dump: comments and formatting do not count, docstrings do;
  decorators are left out), or its bytecode when no source is available (marked ``local``);
- the global names its code (and nested code: lambdas, comprehensions) reads, resolved in its
  module: user functions are fingerprinted recursively, user classes by their source, user
  modules by the attributes the code reads from them, other values by the caller's value digest;
- closure cells, default values (``__defaults__`` / ``__kwdefaults__``), a bound method's
  instance, a ``functools.partial``'s arguments;
- third-party code by ``distribution==version`` and stdlib / builtins by qualified name.

Depth rule: user functions are followed up to ``MAX_DEPTH`` calls deep and at most
``MAX_FUNCTIONS`` per fingerprint; past that a function counts by its own source only (never
a constant). Cycles are cut by name. What cannot be seen (files, environment variables,
``getattr`` with computed names, state of a global object the value digest cannot read) is
what the ``cache_version=`` salt on the node is for.

The result is memoized per function together with the objects it resolved: each use checks
that every global name and closure cell it read still holds the same object (a few dict
lookups), so rebinding ``MODEL = "..."`` in a notebook invalidates without re-decorating.
In-place mutation of a global container is not seen; salt with ``cache_version=``.

Stdlib only: the value digest comes from the caller (hypergraph-runners), so this package keeps
its dependencies.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import os
import sys
import sysconfig
import textwrap
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_DEPTH", "MAX_FUNCTIONS", "FingerprintError", "code_fingerprint"]

MAX_DEPTH = 5
MAX_FUNCTIONS = 256

#: Digest of a value for the fingerprint, or ``None`` when the digest cannot read it.
ValueDigest = Callable[[Any], "bytes | None"]


class FingerprintError(TypeError):
    """Something the function is bound to cannot be fingerprinted: it must not be cached."""


_MISSING = object()
# (globals dict or cell, name or None, object seen) for every binding a fingerprint read.
_Watch = tuple[Any, str | None, Any]
# id(function) -> (weak reference to it, fingerprint, watches). Keyed by id rather than a
# WeakKeyDictionary: a lookup then makes no new weak reference (this runs on every cache lookup).
_memo: dict[int, tuple[weakref.ref[Any], str, tuple[_Watch, ...]]] = {}
_memo_lock = threading.Lock()


def code_fingerprint(func: Callable[..., Any], digest: ValueDigest) -> str:
    """SHA-256 (hex) of ``func`` and the code and values it reaches (see the module docstring).

    Memoized per function; recomputed when a global name or closure cell it read was rebound.
    """
    found = _memo.get(id(func))
    if found is not None and found[0]() is func:
        for where, name, obj in found[2]:
            now = where.get(name, _MISSING) if name is not None else _cell(where)
            if now is not obj:
                break
        else:
            return found[1]
    walk = _Walk(digest)
    walk.callable(func, 0)
    result = walk.hash.hexdigest()
    key = id(func)
    try:
        ref = weakref.ref(func, lambda _, key=key: _forget(key))  # type: ignore[misc]
    except TypeError:  # not weak-referenceable: not memoized
        return result
    with _memo_lock:
        _memo[key] = (ref, result, tuple(walk.watches))
    return result


def _forget(key: int) -> None:
    with _memo_lock:
        entry = _memo.get(key)
        if entry is not None and entry[0]() is None:
            del _memo[key]


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (a name assigned later in the enclosing function)
        return _MISSING


class _Walk:
    """One fingerprint computation: a SHA-256 fed with tagged parts, depth-first."""

    def __init__(self, digest: ValueDigest) -> None:
        self.digest = digest
        self.hash = hashlib.sha256(b"hg-fingerprint/1")
        self.seen: dict[int, int] = {}  # id(function) -> order of first visit (cycles)
        self.keep: list[Any] = []  # keeps visited objects alive so their ids stay unique
        self.watches: list[_Watch] = []

    def put(self, tag: str, text: str | bytes) -> None:
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        self.hash.update(f"{tag}{len(data)}:".encode())
        self.hash.update(data)

    def callable(self, obj: Any, depth: int) -> None:
        """Any callable a node may wrap: function, partial, bound method, callable object."""
        if isinstance(obj, functools.partial):
            self.put("partial", "")
            self.callable(obj.func, depth)
            for arg in obj.args:
                self.value(arg, depth)
            for name in sorted(obj.keywords):
                self.put("kw", name)
                self.value(obj.keywords[name], depth)
        elif isinstance(obj, types.MethodType):
            self.put("method", "")
            self.callable(obj.__func__, depth)
            if not isinstance(obj.__self__, type):  # a classmethod's class is in its source
                self.state(obj.__self__)
        elif isinstance(obj, types.FunctionType):
            self.function(obj, depth)
        elif isinstance(obj, type):
            self.cls(obj)
        elif callable(obj) and _is_user(type(obj).__module__):
            self.put("instance", "")
            self.cls(type(obj))
            call = vars(type(obj)).get("__call__")
            if isinstance(call, types.FunctionType):
                self.function(call, depth)  # and the helpers ``__call__`` reaches
            self.state(obj)
        else:
            self.put("external", _qualified(obj))

    def function(self, func: types.FunctionType, depth: int) -> None:
        module = getattr(func, "__module__", None) or ""
        if not _is_user(module):
            self.put("external", _qualified(func))
            return
        first = self.seen.get(id(func))
        if first is not None:
            self.put("cycle", str(first))
            return
        self.seen[id(func)] = len(self.seen)
        self.keep.append(func)
        self.put("function", func.__qualname__)
        self.put("source", _source_of(func))
        follow = depth < MAX_DEPTH and len(self.seen) <= MAX_FUNCTIONS
        if not follow:
            return  # past the depth rule: this function counts by its own source only
        for value in func.__defaults__ or ():
            self.value(value, depth + 1)
        for name, value in sorted((func.__kwdefaults__ or {}).items()):
            self.put("kwdefault", name)
            self.value(value, depth + 1)
        for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
            contents = _cell(cell)
            self.watches.append((cell, None, contents))
            self.put("closure", name)
            self.reached(contents, depth + 1, _names(func.__code__))
        glob = func.__globals__
        names = _names(func.__code__)
        for name in sorted(names):
            obj = glob.get(name, _MISSING)
            if obj is _MISSING:
                continue  # a builtin, an attribute name, or a global not defined yet
            self.watches.append((glob, name, obj))
            self.put("global", name)
            self.reached(obj, depth + 1, names)

    def reached(self, obj: Any, depth: int, names: frozenset[str]) -> None:
        """Something the code reads by name: code is followed, anything else is a value."""
        if obj is _MISSING:
            self.put("unbound", "")
        elif isinstance(obj, types.ModuleType):
            self.module(obj, depth, names)
        elif isinstance(obj, (types.FunctionType, functools.partial, types.MethodType, type)):
            self.callable(obj, depth)
        elif isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
            self.put("builtin", _qualified(obj))
        else:
            self.value(obj, depth)

    def module(self, mod: types.ModuleType, depth: int, names: frozenset[str]) -> None:
        name = mod.__name__
        if not _is_user(name):
            self.put("module", _dist_label(name))
            return
        self.put("user-module", name)
        # ``mod.helper(...)``: the attribute names the code reads that the module defines.
        for attr in sorted(names):
            obj = mod.__dict__.get(attr, _MISSING)
            if obj is not _MISSING:
                self.watches.append((mod.__dict__, attr, obj))
                self.put("attribute", attr)
                self.reached(obj, depth, frozenset())

    def cls(self, cls: type) -> None:
        if not _is_user(cls.__module__):
            self.put("class", _qualified(cls))
            return
        try:
            self.put("user-class", _normalized(inspect.getsource(cls)))
        except (OSError, TypeError, SyntaxError):
            self.put("user-class", _qualified(cls))

    def state(self, obj: Any) -> None:
        """The object a node's callable is bound to: its state must be readable.

        Two differently configured instances must never share entries, so an instance whose
        state the digest cannot read makes the fingerprint fail (the call runs uncached).
        """
        data = self.digest(obj)
        if data is None:
            attrs = getattr(obj, "__dict__", None)
            data = self.digest(attrs) if isinstance(attrs, dict) else None
        if data is None:
            raise FingerprintError(
                f"the state of the {type(obj).__qualname__} instance the node's function is "
                "bound to cannot be digested. How to fix: give the class a "
                "__hypergraph_key__() method returning its identifying fields, or register it "
                "with hypergraph.cache.register_digest"
            )
        self.put("state", data)

    def value(self, obj: Any, depth: int) -> None:
        if callable(obj) and not isinstance(obj, type) and hasattr(obj, "__code__"):
            self.callable(obj, depth)
            return
        kind = type(obj)
        if kind.__module__.startswith("hypergraph_graph") and callable(getattr(obj, "func", None)):
            self.callable(obj.func, depth)  # a node object used in the body: its function
            return
        data = self.digest(obj)
        if data is None and _is_user(kind.__module__):
            # A plain object of the user's own class (a config): its attributes, if readable.
            attrs = getattr(obj, "__dict__", None)
            if isinstance(attrs, dict) and (data := self.digest(attrs)) is not None:
                self.put("attributes", _qualified(kind))
        if data is None:
            # A global object the value digest cannot read (a client, a lock): its type counts,
            # its state cannot; documented, and ``cache_version=`` covers it.
            self.put("opaque", _qualified(type(obj)))
        else:
            self.put("value", data)


def _names(code: types.CodeType) -> frozenset[str]:
    """Global and attribute names read by ``code`` and the code objects nested in it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return frozenset(names)


def _source_of(func: types.FunctionType) -> str:
    try:
        source = textwrap.dedent(inspect.getsource(func))
        return _normalized(source)
    except (OSError, TypeError, SyntaxError):
        # No source (exec, some REPLs): the bytecode, valid on this interpreter only.
        code = func.__code__
        return "local:" + repr((code.co_code, code.co_consts, code.co_names, code.co_varnames))


def _normalized(source: str) -> str:
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.decorator_list = []
            break  # only the definition's own decorators (they hold the node's options)
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _qualified(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    label = f"{module}.{name}" if module else str(name)
    return label if _is_stdlib(module) else f"{label}@{_dist_label(module)}"


@functools.cache
def _dist_label(module: str) -> str:
    """``dist==version`` for third-party code: a version bump is what invalidates it."""
    top = module.partition(".")[0]
    if _is_stdlib(module):
        return top
    from importlib import metadata

    dists = metadata.packages_distributions().get(top, [])
    parts = []
    for dist in sorted(dists):
        try:
            parts.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(dist)
    return ",".join(parts) or top


_PREFIXES = tuple(
    os.path.normcase(os.path.realpath(p)) + os.sep
    for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _is_stdlib(module: str) -> bool:
    return module.partition(".")[0] in sys.stdlib_module_names or module == "builtins"


@functools.cache
def _is_user(module: str) -> bool:
    """User code: not stdlib, not Hypergraph itself, and not installed in site-packages."""
    top = module.partition(".")[0]
    if not module or _is_stdlib(module) or top.startswith("hypergraph"):
        return False
    mod = sys.modules.get(module)
    path = getattr(mod, "__file__", None)
    if not path:
        return True  # __main__ in a REPL or notebook, exec'd code: the user's own
    return not os.path.normcase(os.path.realpath(path)).startswith(_PREFIXES)
