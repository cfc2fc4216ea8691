"""The versioned object store: kubelab's etcd."""
