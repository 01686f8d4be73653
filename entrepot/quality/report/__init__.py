"""The HTML report of a quality run, with plots drawn as inline SVG."""

from entrepot.quality.report._html import render_html, write_report

__all__ = ["render_html", "write_report"]
