"""digest: skill digests and alerts from job and news feeds."""

__version__ = "0.1.0"
