"""Run every benchmark: ``python -m bench``."""

from __future__ import annotations

import importlib
import pkgutil

import bench


def main() -> None:
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name.startswith("bench_"):
            print(f"=== {info.name} ===")
            importlib.import_module(f"bench.{info.name}").main()
            print()


if __name__ == "__main__":
    main()
