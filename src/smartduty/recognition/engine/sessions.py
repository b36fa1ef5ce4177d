"""ONNX Runtime sessions for the recognition models: one per model file, one intra-op thread.

Measured on the project's 2-core machines: two sessions in one process with 2 intra-op
threads each were slower than 1 thread (53 → 85 ms per photo) until idle spinning was turned
off, so every session here runs with `intra_op_num_threads` threads (1 by default), spinning
off, and sequential execution. `InferenceSession.run` is thread-safe, so one session per model
serves every request thread of the process.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort  # type: ignore[import-untyped]  # ships no type information

FloatArray = npt.NDArray[np.float32]


def make_session(path: Path, *, threads: int = 1) -> Any:
    """An `onnxruntime.InferenceSession` on the CPU with `threads` intra-op threads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # the HyperLPR3 exports warn about initializers as inputs
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class Stopwatch:
    """Milliseconds spent inside model sessions for one photo (one instance per call)."""

    def __init__(self) -> None:
        self.model_ms = 0.0
        self.runs = 0


def run_single(session: Any, tensor: FloatArray, watch: Stopwatch | None = None) -> FloatArray:
    """Run a one-input, first-output model, adding its wall time to `watch`."""
    name = session.get_inputs()[0].name
    started = time.perf_counter()
    out = session.run(None, {name: tensor})[0]
    if watch is not None:
        watch.model_ms += (time.perf_counter() - started) * 1000.0
        watch.runs += 1
    return np.asarray(out, dtype=np.float32)


def metadata(session: Any) -> dict[str, str]:
    """The model's custom metadata (PP-OCR keeps its character list there)."""
    return dict(session.get_modelmeta().custom_metadata_map)
