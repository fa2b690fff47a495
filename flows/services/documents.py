"""A document a run made, as the phone page (the one renderer's HTML, ``printing.rendering``,
from the same template and figures as its PDF)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flows.nodes.outputs import figure_uris
from portal.exceptions import NotFound
from printing.rendering import render_html

from .runs import stored_output

if TYPE_CHECKING:
    from flows.models import FlowRun, NodeRun

TEMPLATE = "flows/document_print.html"


def document_of(output: Any) -> dict[str, Any] | None:
    """The document in a node's output (a document node's), else None."""
    document = output.get("document") if isinstance(output, dict) else None
    if isinstance(document, dict) and isinstance(document.get("sections"), list) and document.get("pdf"):
        return document
    return None


def document_html(*, run: FlowRun, node: NodeRun) -> str:
    """The phone page of the document ``node`` made in ``run`` (both read by the caller through
    the run's selector); NotFound when the node made no document."""
    document = document_of(stored_output(run, node))
    if document is None:
        raise NotFound()
    return render_html(
        TEMPLATE, {"document": document, "figures": figure_uris(run.bureau_id, document["sections"])}
    )
