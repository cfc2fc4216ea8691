{{/*
Labels on every object of the release: who made it, and which release it belongs to.
*/}}
{{- define "cafe.labels" -}}
{{ include "cafe.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The label that selects the release's pods: the same app=NAME a Deployment written by hand
uses. It never changes between upgrades, because a Deployment's selector cannot change.
*/}}
{{- define "cafe.selectorLabels" -}}
app: {{ .Release.Name | quote }}
{{- end }}
