{{/* Labels on every object, as `skiff install` sets them, plus Helm's own. */}}
{{- define "skiff.labels" -}}
component: velero
app.kubernetes.io/name: skiff
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Velero's binding name: velero, or velero-<namespace> outside namespace velero. */}}
{{- define "skiff.clusterRbacName" -}}
{{- if eq .Release.Namespace "velero" -}}velero{{- else -}}velero-{{ .Release.Namespace }}{{- end -}}
{{- end -}}

{{- define "skiff.credentialsSecret" -}}
{{- if .Values.credentials.existingSecret -}}{{ .Values.credentials.existingSecret }}{{- else if .Values.credentials.secretContents -}}cloud-credentials{{- end -}}
{{- end -}}
