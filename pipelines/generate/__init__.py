"""A deterministic, seeded generator of realistic annual reports with their ground truth.

values.py draws numbers that obey the identities; layout.py lays them out as the
official tables (labels and order from transform.reference); render_*.py print them
as portal HTML, Word-style PDF and text captures; corpus.py plans and writes the
corpus (NAME.<ext> + NAME.expected.json in the shared corpus format).
"""
