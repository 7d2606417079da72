"""A generated project's CI workflow (``.github/workflows/ci.yml``), as data.

The render tier checks it per combination; the run tier runs the same steps
(``command``) with the same settings (``environment``), so the commands are
written once, in the workflow.
"""

from pathlib import Path

import yaml

PATH = Path(".github/workflows/ci.yml")


def load(project):
    data = yaml.safe_load((project / PATH).read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key ``on`` as True; GitHub reads it as "on".
    if True in data:
        data["on"] = data.pop(True)
    return data


def job(workflow):
    """The workflow's one job."""
    (only,) = workflow["jobs"].values()
    return only


def command(workflow, step_id):
    """The shell command of the step with ``id: step_id``."""
    (step,) = [step for step in job(workflow)["steps"] if step.get("id") == step_id]
    return step["run"]


def environment(workflow):
    """The job's environment, every value a string (as the runner passes it)."""
    return {name: str(value) for name, value in job(workflow).get("env", {}).items()}
