"""The clinician's day report: results loading, SVG charts and the self-contained HTML page."""
