"""Writing the conformance matrix to a file, the format chosen by the file's extension."""

from __future__ import annotations

from pathlib import Path

from pytest_bedrock_creds.scenarios.matrix import Matrix
from pytest_bedrock_creds.scenarios.matrix_html import render

__all__ = ["MATRIX_SUFFIXES", "write_matrix"]

#: The file types ``--bedrock-matrix`` writes.
MATRIX_SUFFIXES = (".md", ".markdown", ".json", ".html", ".htm")


def write_matrix(matrix: Matrix, path: str | Path) -> Path:
    """Write ``matrix`` to ``path``: JSON, Markdown or HTML by the extension; the path written."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".json":
        text = matrix.to_json()
    elif suffix in (".md", ".markdown"):
        text = matrix.to_markdown()
    elif suffix in (".html", ".htm"):
        text = render(matrix)
    else:
        raise ValueError(f"--bedrock-matrix {path}: the extension must be .md, .json or .html")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
