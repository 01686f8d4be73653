"""The HTML report of a quality run, with plots drawn as inline SVG."""

from entrepot.quality.report._html import check_target, render_html, write_report

__all__ = ["check_target", "render_html", "write_report"]
