"""Jinja filters that put answers into generated files as safe literals.

Answers can hold quotes, backslashes or non-ASCII text; pasted raw they would
break (or inject code into) the generated Python and TOML. Each filter returns a
complete, escaped literal, already in the form ``ruff format`` keeps.
"""

from cookiecutter.utils import simple_filter

_CONTROL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text, quote, control_escape):
    out = []
    for char in text:
        if char in ("\\", quote):
            out.append("\\" + char)
        elif char in _CONTROL_ESCAPES:
            out.append(_CONTROL_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(control_escape(char))
        else:
            out.append(char)
    return quote + "".join(out) + quote


@simple_filter
def py_string(value):
    """A Python string literal, quoted the way ruff format prefers."""
    text = str(value)
    quote = "'" if text.count('"') > text.count("'") else '"'
    return _escape(text, quote, lambda char: f"\\x{ord(char):02x}")


@simple_filter
def toml_string(value):
    """A TOML basic string (double quotes, escapes TOML defines)."""
    return _escape(str(value), '"', lambda char: f"\\u{ord(char):04x}")


@simple_filter
def required_name(value):
    """Stop before any directory is made when ``repo_name`` is empty.

    The project directory is named after it: an empty name would point
    cookiecutter at the output directory itself, before any hook could explain.
    The pre-gen hook checks every other rule.
    """
    if not str(value).strip():
        raise ValueError("repo_name: must not be empty")
    return value
