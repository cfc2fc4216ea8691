"""The teaching cluster: an embedded Kubernetes that speaks the real Kubernetes API.

Its layout mirrors Kubernetes itself: ``api/`` is kube-apiserver's HTTP layer, ``store/`` plays
etcd, ``resources/`` holds per-kind strategies (defaults, validation, printing), ``controllers/``
is kube-controller-manager, ``scheduler.py`` is kube-scheduler and ``kubelet/`` is the node agent.
"""
