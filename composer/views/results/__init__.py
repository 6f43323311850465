"""The results pane: a reply's parts laid out by type as they stream (pane.py, blocks.py), its
Markdown and code highlighting (markdown.py, highlight.py)."""
