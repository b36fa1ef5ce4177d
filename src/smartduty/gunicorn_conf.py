"""gunicorn settings shared by every way the product is served (`gunicorn -c
python:smartduty.gunicorn_conf smartduty.wsgi --bind ...`); flags given on the command line win.

The worker is gunicorn's threaded worker with the queue-time stamp that load shedding reads
(`smartduty.serving`, ADR 0009).
"""

worker_class = "smartduty.serving.QueueTimedWorker"
workers = 2
threads = 4
timeout = 60
