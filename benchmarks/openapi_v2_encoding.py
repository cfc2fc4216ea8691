"""How long ``/openapi/v2`` takes to build and encode, and how large each form is.

kubectl downloads the document in gnostic protobuf form for ``kind: List`` files; the first
request after start-up or after a CRD change pays for building it, later ones are served from
the cache. Run with the project's Python: ``.venv/bin/python benchmarks/openapi_v2_encoding.py
[--runs 5]``. Prints one line per run and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from kubelab.cluster.api.gnostic import CONTENT_TYPE
from kubelab.cluster.api.openapi import V2_JSON, OpenAPIDocuments
from kubelab.cluster.resources.builtin import builtin_registry


def _timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {"json": [], "protobuf": [], "gzip": [], "cached": []}
    sizes: dict[str, int] = {}
    for run in range(args.runs):
        documents = OpenAPIDocuments(builtin_registry())
        figures["json"].append(_timed(documents.v2_body, V2_JSON))
        figures["protobuf"].append(_timed(documents.v2_body, CONTENT_TYPE))
        figures["gzip"].append(_timed(documents.v2_body, CONTENT_TYPE, True))
        figures["cached"].append(_timed(documents.v2_body, CONTENT_TYPE, True))
        sizes = {
            "json_bytes": len(documents.v2_body(V2_JSON)),
            "protobuf_bytes": len(documents.v2_body(CONTENT_TYPE)),
            "protobuf_gzip_bytes": len(documents.v2_body(CONTENT_TYPE, gzipped=True)),
        }
        print(
            f"run {run + 1}: build JSON {figures['json'][-1] * 1000:.0f} ms, "
            f"encode protobuf {figures['protobuf'][-1] * 1000:.0f} ms, "
            f"gzip {figures['gzip'][-1] * 1000:.0f} ms, "
            f"cached {figures['cached'][-1] * 1e6:.0f} µs"
        )
    summary = {
        f"{name}_ms_median": round(statistics.median(values) * 1000, 3)
        for name, values in figures.items()
    }
    print(json.dumps({**summary, **sizes, "runs": args.runs}, indent=2))


if __name__ == "__main__":
    main()
