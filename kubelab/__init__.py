"""kubelab: a hands-on Kubernetes course with an embedded teaching cluster and a checker."""

__version__ = "0.1.0"
