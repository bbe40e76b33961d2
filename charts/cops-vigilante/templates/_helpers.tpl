{{/*
Names and labels.
*/}}
{{- define "cops-vigilante.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cops-vigilante.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cops-vigilante.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cops-vigilante.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cops-vigilante.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cops-vigilante.labels" -}}
helm.sh/chart: {{ include "cops-vigilante.chart" . }}
{{ include "cops-vigilante.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "cops-vigilante.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cops-vigilante.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cops-vigilante.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The configuration file the operator reads: .Values.config, with
- `tls` normalised to a map (the original's `tls: true|false` is kept as `tls.enabled`) and
  `tls.enabled: true` when create_certificates is on;
- `tasks.<name>.enabled` from .Values.tasks (the flag that also gates the task's RBAC; a conflicting
  `config.tasks.<name>.enabled` is an error rather than a silent override);
- `leaderElection.leaseName` defaulting to the release's full name, so two releases never share a
  Lease.
Only keys the binary knows are added; everything else comes from the user and is checked by the
binary (`vigilante config check`) and by values.schema.json.
*/}}
{{- define "cops-vigilante.configDict" -}}
{{- $cfg := deepCopy (default (dict) .Values.config) -}}
{{- if hasKey $cfg "tls" -}}
{{- $tls := index $cfg "tls" -}}
{{- if kindIs "bool" $tls -}}
{{- $_ := set $cfg "tls" (dict "enabled" $tls) -}}
{{- end -}}
{{- end -}}
{{- if .Values.create_certificates -}}
{{- $tls := default (dict) (index $cfg "tls") -}}
{{- $_ := set $tls "enabled" true -}}
{{- $_ := set $cfg "tls" $tls -}}
{{- end -}}
{{- $tasks := default (dict) (index $cfg "tasks") -}}
{{- $snat := default (dict) (index $tasks "snat") -}}
{{- if and (hasKey $snat "enabled") (ne (index $snat "enabled") .Values.tasks.snat.enabled) -}}
{{- fail (printf "config.tasks.snat.enabled (%v) contradicts tasks.snat.enabled (%v): set only tasks.snat.enabled, which also grants the task's RBAC" (index $snat "enabled") .Values.tasks.snat.enabled) -}}
{{- end -}}
{{- $_ := set $snat "enabled" .Values.tasks.snat.enabled -}}
{{- $_ := set $tasks "snat" $snat -}}
{{- $cleanupEnabled := and .Values.tasks.evictedPodCleanup .Values.tasks.evictedPodCleanup.enabled | default false -}}
{{- $cleanup := default (dict) (index $tasks "evictedPodCleanup") -}}
{{- if and (hasKey $cleanup "enabled") (ne (index $cleanup "enabled") $cleanupEnabled) -}}
{{- fail (printf "config.tasks.evictedPodCleanup.enabled (%v) contradicts tasks.evictedPodCleanup.enabled (%v): set only tasks.evictedPodCleanup.enabled, which also grants the task's RBAC" (index $cleanup "enabled") $cleanupEnabled) -}}
{{- end -}}
{{- $_ := set $cleanup "enabled" $cleanupEnabled -}}
{{- $_ := set $tasks "evictedPodCleanup" $cleanup -}}
{{- $_ := set $cfg "tasks" $tasks -}}
{{- $le := default (dict) (index $cfg "leaderElection") -}}
{{- if not (hasKey $le "leaseName") -}}
{{- $_ := set $le "leaseName" (include "cops-vigilante.fullname" .) -}}
{{- end -}}
{{- $_ := set $cfg "leaderElection" $le -}}
{{- if .Values.notifications.destinations -}}
{{- if (index (default (dict) (index $cfg "notifications")) "destinations") -}}
{{- fail "set notification destinations in notifications.destinations (URLs from notifications.existingSecret), not in config.notifications.destinations" -}}
{{- end -}}
{{- $notifications := merge (deepCopy (default (dict) .Values.notifications.settings)) (default (dict) (index $cfg "notifications")) -}}
{{- $destinations := list -}}
{{- range $index, $destination := .Values.notifications.destinations -}}
{{- $item := dict "name" $destination.name "type" $destination.type "urlEnv" (printf "WEBHOOK_URL_%d" $index) -}}
{{- with $destination.events }}{{ $_ := set $item "events" . }}{{ end -}}
{{- with $destination.messagesPerMinute }}{{ $_ := set $item "messagesPerMinute" . }}{{ end -}}
{{- $destinations = append $destinations $item -}}
{{- end -}}
{{- $_ := set $notifications "destinations" $destinations -}}
{{- $_ := set $cfg "notifications" $notifications -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* "true" when the operator serves HTTPS. */}}
{{- define "cops-vigilante.tlsEnabled" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $tls := default (dict) (index $cfg "tls") -}}
{{- if index $tls "enabled" -}}true{{- end -}}
{{- end -}}

{{/* "true" when clients must present a certificate (mTLS): kubelet probes then cannot use HTTP(S). */}}
{{- define "cops-vigilante.mtls" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $tls := default (dict) (index $cfg "tls") -}}
{{- if and (index $tls "enabled") (index $tls "clientCAFile") -}}true{{- end -}}
{{- end -}}

{{/* The container port: config.http.port, else 8443 with TLS, else 8000 (the binary's defaults). */}}
{{- define "cops-vigilante.containerPort" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $http := default (dict) (index $cfg "http") -}}
{{- if index $http "port" -}}
{{- index $http "port" | int -}}
{{- else if include "cops-vigilante.tlsEnabled" . -}}
8443
{{- else -}}
8000
{{- end -}}
{{- end -}}

{{- define "cops-vigilante.servicePort" -}}
{{- if .Values.service.port -}}
{{- .Values.service.port | int -}}
{{- else -}}
{{- include "cops-vigilante.containerPort" . -}}
{{- end -}}
{{- end -}}

{{- define "cops-vigilante.scheme" -}}
{{- if include "cops-vigilante.tlsEnabled" . -}}HTTPS{{- else -}}HTTP{{- end -}}
{{- end -}}

{{/* The operator's namespace: config.namespace, else the release namespace (POD_NAMESPACE). */}}
{{- define "cops-vigilante.operatorNamespace" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- default .Release.Namespace (index $cfg "namespace") -}}
{{- end -}}

{{/* "true" when the operator takes part in leader election (then it needs the Lease rules). */}}
{{- define "cops-vigilante.leaderElectionEnabled" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $le := default (dict) (index $cfg "leaderElection") -}}
{{- if or (not (hasKey $le "enabled")) (index $le "enabled") -}}true{{- end -}}
{{- end -}}

{{- define "cops-vigilante.leaseName" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- index (index $cfg "leaderElection") "leaseName" -}}
{{- end -}}

{{- define "cops-vigilante.leaseNamespace" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $le := default (dict) (index $cfg "leaderElection") -}}
{{- default (include "cops-vigilante.operatorNamespace" .) (index $le "leaseNamespace") -}}
{{- end -}}

{{/* Namespace of the SNAT healer pods: config.tasks.snat.namespace, else the operator's namespace. */}}
{{- define "cops-vigilante.snatNamespace" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $snat := index (index $cfg "tasks") "snat" -}}
{{- default (include "cops-vigilante.operatorNamespace" .) (index $snat "namespace") -}}
{{- end -}}

{{/* Directory of the SQLite store (the volume's mount path): the directory of config.store.path. */}}
{{- define "cops-vigilante.storeDir" -}}
{{- $cfg := include "cops-vigilante.configDict" . | fromYaml -}}
{{- $store := default (dict) (index $cfg "store") -}}
{{- dir (default "/var/lib/vigilante/vigilante.sqlite" (index $store "path")) -}}
{{- end -}}

{{/* Name of the secret mounted at /etc/vigilante/certs when TLS is on. */}}
{{- define "cops-vigilante.tlsSecretName" -}}
{{- if .Values.create_certificates -}}
{{- printf "%s-tls" (include "cops-vigilante.fullname" .) -}}
{{- else -}}
{{- .Values.certificates.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* Cross-value checks that a JSON schema cannot express; included by the Deployment. */}}
{{- define "cops-vigilante.validate" -}}
{{- if and (include "cops-vigilante.tlsEnabled" .) (not (include "cops-vigilante.tlsSecretName" .)) -}}
{{- fail "TLS is on (config.tls) but no certificate is provided: set create_certificates=true (cert-manager) or certificates.existingSecret to a secret with tls.crt and tls.key" -}}
{{- end -}}
{{- if and .Values.notifications.destinations (not .Values.notifications.existingSecret) -}}
{{- fail "notifications.destinations needs notifications.existingSecret: the Secret holding each destination's webhook URL under its secretKey" -}}
{{- end -}}
{{- if and .Values.networkPolicy.enabled .Values.networkPolicy.egress.enabled (not .Values.networkPolicy.egress.apiServerCIDRs) -}}
{{- fail "networkPolicy.egress.enabled needs networkPolicy.egress.apiServerCIDRs (the addresses of `kubectl get endpoints kubernetes`), or the operator cannot reach the API server" -}}
{{- end -}}
{{- end -}}

{{/* Name of an object outside the release namespace (cluster-scoped, or in `default`): includes the
release namespace so releases in two namespaces never collide. */}}
{{- define "cops-vigilante.globalName" -}}
{{- printf "%s-%s-%s" (include "cops-vigilante.fullname" .root) .root.Release.Namespace .suffix | trunc 253 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of a namespaced object in .ns: short in the release namespace, globalName elsewhere. */}}
{{- define "cops-vigilante.nameIn" -}}
{{- if eq .ns .root.Release.Namespace -}}
{{- printf "%s-%s" (include "cops-vigilante.fullname" .root) .suffix | trunc 253 | trimSuffix "-" -}}
{{- else -}}
{{- include "cops-vigilante.globalName" . -}}
{{- end -}}
{{- end -}}

{{/* The subject of every binding: the operator's ServiceAccount. */}}
{{- define "cops-vigilante.subjects" -}}
subjects:
  - kind: ServiceAccount
    name: {{ include "cops-vigilante.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}

{{/*
The runbook annotation of an alert: (list $ "anchor"). A URL when prometheusRules.runbookBaseURL is
set, else the section of docs/operations.md.
*/}}
{{- define "cops-vigilante.runbook" -}}
{{- $root := index . 0 -}}
{{- $anchor := index . 1 -}}
{{- with $root.Values.prometheusRules.runbookBaseURL -}}
runbook_url: {{ printf "%s#%s" (trimSuffix "#" .) $anchor | quote }}
{{- else -}}
runbook: {{ printf "docs/operations.md#%s" $anchor | quote }}
{{- end -}}
{{- end -}}
