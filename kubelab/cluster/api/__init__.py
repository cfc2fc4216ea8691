"""kube-apiserver's HTTP layer: routing, discovery, OpenAPI, tables, watch, patch and errors."""
