"""Management commands of the kernel: the worker and its liveness check."""
