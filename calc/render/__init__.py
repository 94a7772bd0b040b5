"""Renderers: turn summaries, solutions and verdicts (data) into terminal, Markdown or JSON text.

Nothing here computes; everything here formats. rich is imported only by ``terminal``.
"""
