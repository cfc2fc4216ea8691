"""Example operators the course runs against a cluster (``kopf run`` loads them by path)."""
