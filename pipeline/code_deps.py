"""The code a step depends on, derived from what its stage module imports, never kept by hand.

`module_files("pipeline.stages.clips")` is the source of every `pipeline` module the clips stage imports,
directly or through others, plus the data folders those modules name (templates, fonts). The files are
read with `ast`, nothing is imported, so `pipeline check-config` stays fast.

Imports inside functions count: the stages import their heavy work lazily, so that is where most of a
step's code is named. Imports under `if TYPE_CHECKING:` do not: they never run, so they cannot change
what a step writes, and counting them would rebuild a step for an annotation.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the folder holding pipeline/


class _Scan(NamedTuple):
    imports: tuple[str, ...]  # every module named by an import that runs, with its parent packages
    data_folders: tuple[Path, ...]


@functools.cache
def module_files(module: str, root: Path = PACKAGE_ROOT) -> tuple[Path, ...]:
    """The sorted source files of `module` and of every module of its top-level package that it imports,
    transitively (package `__init__.py` files included: importing `a.b.c` runs `a` and `a.b`), and the files
    in the data folders those modules name. Modules outside the package (the standard library, third
    parties) are not followed."""
    if _source(module, root) is None:
        raise ValueError(f"{module}: no such module under {root}")
    package = module.partition(".")[0]
    seen: set[str] = set()
    pending = [module, *_parents(module)]
    while pending:
        name = pending.pop()
        if name in seen or name.partition(".")[0] != package or _source(name, root) is None:
            continue  # not a module (`from x import y` where y is a name) or outside the package
        seen.add(name)
        pending += _scan(name, root).imports
    sources = {_source(name, root) for name in seen}
    data = {path for name in seen for folder in _scan(name, root).data_folders
            for path in folder.rglob("*") if path.is_file()}
    return tuple(sorted({path for path in sources | data if path is not None}))


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@functools.cache
def _source(module: str, root: Path) -> Path | None:
    """The file that defines `module` under `root` (a package's `__init__.py`), or None when there is none."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _scan(module: str, root: Path) -> _Scan:
    """What one module imports, anywhere in it but under `if TYPE_CHECKING:`; for `from x import y`, `x.y`
    too, since y may be a submodule (one that is not is dropped by `module_files`). And its data folders."""
    source = _source(module, root)
    assert source is not None
    tree = ast.parse(source.read_bytes(), filename=str(source))
    is_package = source.name == "__init__.py"
    found: list[str] = []
    for node in _runtime_statements(tree.body):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
        else:
            continue
        for name in names:
            found += [*_parents(name), name]
    return _Scan(tuple(dict.fromkeys(found)), _data_folders(tree, source, root / module.partition(".")[0]))


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a `from … import` names, with a relative one (`from .x import y`) resolved against `module`."""
    if not node.level:
        return node.module or ""
    anchor = module.split(".") if is_package else module.split(".")[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def _runtime_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in `body` and in the blocks nested in it (functions, classes, if, try, with, match),
    but those only type checkers see (the body of `if TYPE_CHECKING:`). Expressions are not walked: an
    import is always a statement, and skipping them makes this several times faster."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If) and _is_type_checking(statement.test):
            yield from _runtime_statements(statement.orelse)
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for block in getattr(statement, field, ()):
                if isinstance(block, ast.stmt):
                    yield from _runtime_statements([block])
                else:  # an except clause or a match case: a block of statements, not itself one
                    yield from _runtime_statements(block.body)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _data_folders(tree: ast.Module, source: Path, package_folder: Path) -> tuple[Path, ...]:
    """The folders a module names at its top level as `Path(__file__)…parent / "templates" / "notes"`: the
    templates and fonts it reads at run time, which are as much a step's code as the module is."""
    folders = []
    for node in tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        folder = _path_from_file(value, source) if value is not None else None
        if folder is not None and folder.is_dir() and folder.is_relative_to(package_folder):
            folders.append(folder)
    return tuple(folders)


def _path_from_file(node: ast.expr, source: Path) -> Path | None:
    """The path an expression built from `Path(__file__)` with `.resolve()`, `.parent` and `/ "name"` stands
    for, or None for any other expression."""
    match node:
        case ast.Call(func=ast.Name(id="Path"), args=[ast.Name(id="__file__")]):
            return source
        case ast.Call(func=ast.Attribute(value=inner, attr="resolve"), args=[]):
            return _path_from_file(inner, source)
        case ast.Attribute(value=inner, attr="parent"):
            inner_path = _path_from_file(inner, source)
            return inner_path.parent if inner_path is not None else None
        case ast.BinOp(left=inner, op=ast.Div(), right=ast.Constant(value=str() as name)):
            inner_path = _path_from_file(inner, source)
            return inner_path / name if inner_path is not None else None
    return None
