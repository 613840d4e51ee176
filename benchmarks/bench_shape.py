"""The engine's shape (issue 12): module sizes, import cycles in ``twin/engine``, mypy.

- every module in ``twin/`` of about 500 lines at most (the longest are listed);
- no import cycle among the modules of ``twin/engine`` (imports at module level, the ones that
  run when a module is imported; those under ``if TYPE_CHECKING`` are left out);
- mypy clean with the project's configuration (``pyproject.toml``).

Run with ``make bench`` or ``python benchmarks/bench_shape.py``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.targets import target  # noqa: E402

LONGEST = 500
"""About this many lines at most per module (issue 12); 10 % over still counts as about."""


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path`` (relative to the checkout)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    """The modules an import statement in module ``name`` names (dotted, absolute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = name.split(".") if is_package else name.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_cycles(package: Path) -> list[list[str]]:
    """The strongly connected groups of more than one module among ``package``'s modules."""
    files = {module_name(f): f for f in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text())
        found: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(imported(node, name, path.name == "__init__.py"))
        graph[name] = {m for m in found if m in files and m != name}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return cycles


def main() -> None:
    """Print the longest modules, the engine's import cycles and mypy's verdict."""
    lengths = sorted(
        (
            (len(f.read_text().splitlines()), f.relative_to(ROOT))
            for f in (ROOT / "twin").rglob("*.py")
        ),
        reverse=True,
    )
    over = [(n, f) for n, f in lengths if n > LONGEST]
    print(
        f"modules in twin/ over {LONGEST} lines: "
        + (", ".join(f"{f} {n}" for n, f in over) or "none")
    )
    target(
        "issue 12",
        "modules in twin/ over about 500 lines (10 % over allowed)",
        "none",
        ", ".join(f"{f} {n}" for n, f in over if n > LONGEST * 1.1) or "none",
        all(n <= LONGEST * 1.1 for n, _ in over),
    )
    cycles = import_cycles(ROOT / "twin" / "engine")
    print(f"import cycles in twin/engine: {cycles or 'none'}")
    target("issue 12", "import cycles in twin/engine", "none", str(len(cycles)), not cycles)
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()
    print(f"mypy (pyproject.toml's files): {verdict}")
    target(
        "issue 12", "mypy with the project's configuration", "clean", verdict, done.returncode == 0
    )


if __name__ == "__main__":
    main()
