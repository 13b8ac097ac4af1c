"""Background jobs: long work (Monte Carlo, recheck after a release, factor import, report
rendering) run outside the request, with state in the database.

- :mod:`tanzuji.services.jobs` — the jobs table's operations (submit, read, claim, progress,
  finish, fail, recovery of interrupted jobs), scoped to the caller's organisation;
- :mod:`tanzuji.jobs.kinds` — what each kind checks at submission and runs (service calls);
- :mod:`tanzuji.jobs.executors` — where the work runs (a thread pool; a remote executor such
  as dask can take its place);
- :mod:`tanzuji.jobs.runner` — the loop a web process runs: recover, claim, execute, heartbeat.
"""
