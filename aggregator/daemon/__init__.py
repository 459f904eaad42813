"""The daemon: scheduler jobs (jobs.py) and the HTTP server (http.py)."""
