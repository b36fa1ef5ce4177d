"""`run_worker` and `worker_heartbeat`."""
