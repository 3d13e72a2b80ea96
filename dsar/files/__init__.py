"""Files that hold personal data: uploads, media, call recordings (SPEC §6 "Files").

``stores`` reaches a data map's file stores through fsspec; ``deletions`` is the
crash-safe journal through which erasure and retention delete files with their rows.
"""
