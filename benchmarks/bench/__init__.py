"""pyramid-fast benchmark: generated projects side by side with a naive
baseline and the server's ceiling, in one run on one machine.

    python3 -m benchmarks.bench            # full run -> benchmarks/results/
    python3 -m benchmarks.bench --smoke    # a few seconds per target -> build/

(from the repository root). Standard library only: it builds its own
virtualenvs under benchmarks/build/ (uv when available, else venv + pip), bakes
the template with cookiecutter, migrates and seeds each project, starts each
server on a free port with the project's own ``make serve`` and measures with
wrk (a Python load generator is used only when wrk is missing). Any error or
unexpected status fails the run.

Modules: ``config`` (paths, services, combinations, run modes), ``shell``
(log, run a command), ``build`` (venvs, baking, project and database set-up),
``servers`` (server processes and their commands), ``load`` (wrk or the Python
load generator, one measured row), ``workloads`` (what is measured on each
target), ``report`` (results.json, results.md, results.png), ``__main__`` (the
command line).
"""
