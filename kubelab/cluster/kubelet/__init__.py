"""The node agent: registers its node, runs the pods bound to it and reports their status."""
