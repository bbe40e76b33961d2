#!/usr/bin/env python3
"""Structural assertions on one `helm template` output, for any combination of values:

  assert_manifests.py MANIFESTS CONFIG

CONFIG is the rendered config.yaml; what must hold depends on it (TLS, port, store path) and on the
objects rendered (PVC, cert-manager chain, ServiceMonitor). Prints every failed assertion; exit 1 if any.
"""
import os
import json
import sys

import yaml

problems = []


def expect(condition, message):
    if not condition:
        problems.append(message)


def one(docs, kind):
    found = [d for d in docs if d.get("kind") == kind]
    expect(len(found) == 1, "expected exactly one %s, found %d" % (kind, len(found)))
    return found[0] if found else {}


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if isinstance(d, dict)]
    config = yaml.safe_load(open(sys.argv[2])) or {}
    tls = config.get("tls") or {}
    tls_on = bool(tls.get("enabled")) if isinstance(tls, dict) else bool(tls)
    mtls = tls_on and isinstance(tls, dict) and bool(tls.get("clientCAFile"))
    port = (config.get("http") or {}).get("port") or (8443 if tls_on else 8000)
    store_dir = os.path.dirname((config.get("store") or {}).get("path") or "/var/lib/vigilante/vigilante.sqlite")

    deployment = one(docs, "Deployment")
    spec = deployment.get("spec", {})
    expect(spec.get("replicas") == 1, "Deployment replicas must be 1")
    expect(spec.get("strategy") == {"type": "Recreate"}, "Deployment strategy must be Recreate")
    pod = spec.get("template", {}).get("spec", {})
    annotations = spec.get("template", {}).get("metadata", {}).get("annotations", {})
    expect(len(annotations.get("checksum/config", "")) == 64, "pod needs a checksum/config annotation")
    expect(pod.get("nodeSelector", {}).get("kubernetes.io/os") == "linux", "nodeSelector kubernetes.io/os: linux")
    expect(pod.get("automountServiceAccountToken") is True, "the operator pod mounts its token explicitly")
    psc = pod.get("securityContext", {})
    expect(psc.get("runAsNonRoot") is True, "pod runAsNonRoot")
    expect(isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] > 0, "pod runAsUser is a non-root UID")
    expect(psc.get("seccompProfile") == {"type": "RuntimeDefault"}, "pod seccomp RuntimeDefault")

    containers = pod.get("containers", [])
    expect(len(containers) == 1, "one container")
    container = containers[0] if containers else {}
    csc = container.get("securityContext", {})
    expect(csc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
    expect(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
    expect(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
    expect(csc.get("seccompProfile") == {"type": "RuntimeDefault"}, "container seccomp RuntimeDefault")
    env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") for e in container.get("env", [])}
    expect(env.get("POD_NAMESPACE") == "metadata.namespace", "POD_NAMESPACE from the downward API")
    expect(env.get("POD_NAME") == "metadata.name", "POD_NAME from the downward API")
    expect(container.get("args") == ["--config", "/etc/vigilante/config/config.yaml"], "runs with the mounted config")
    ports = container.get("ports", [])
    expect(ports == [{"name": "http", "containerPort": port, "protocol": "TCP"}],
           "container port http = %s, got %s" % (port, ports))
    for probe_name, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        probe = container.get(probe_name, {})
        if mtls:
            expect(probe.get("tcpSocket", {}).get("port") == "http", "%s is a TCP probe with mTLS" % probe_name)
        else:
            get = probe.get("httpGet", {})
            expect(get.get("path") == path and get.get("port") == "http", "%s on %s" % (probe_name, path))
            expect(get.get("scheme") == ("HTTPS" if tls_on else "HTTP"), "%s scheme follows TLS" % probe_name)

    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    expect(mounts.get("/etc/vigilante/config") == "config", "config mounted at /etc/vigilante/config")
    expect(mounts.get(store_dir) == "store", "store volume mounted at %s" % store_dir)
    expect("emptyDir" in volumes.get(mounts.get("/tmp", ""), {}), "a writable emptyDir at /tmp")
    configmap = one([d for d in docs if "config.yaml" in (d.get("data") or {})], "ConfigMap")
    expect(volumes.get("config", {}).get("configMap", {}).get("name") == configmap.get("metadata", {}).get("name"),
           "config volume is the chart's ConfigMap")
    store = volumes.get("store", {})
    pvcs = [d for d in docs if d.get("kind") == "PersistentVolumeClaim"]
    if "persistentVolumeClaim" in store:
        claim = store["persistentVolumeClaim"]["claimName"]
        if pvcs:
            expect(pvcs[0]["metadata"]["name"] == claim, "store volume uses the chart's PVC")
    else:
        expect("emptyDir" in store and not pvcs, "without persistence: an emptyDir and no PVC")

    if tls_on:
        expect(mounts.get("/etc/vigilante/certs") == "certs", "TLS: certificates mounted at /etc/vigilante/certs")
        secret = volumes.get("certs", {}).get("secret", {}).get("secretName")
        expect(bool(secret), "TLS: certs volume is a secret")
    else:
        expect("/etc/vigilante/certs" not in mounts, "no certificate mount without TLS")
        secret = None

    service = one(docs, "Service")
    sports = service.get("spec", {}).get("ports", [])
    expect(len(sports) == 1 and sports[0].get("name") == "http" and sports[0].get("targetPort") == "http",
           "Service port named http targeting http")

    account = pod.get("serviceAccountName")
    for sa in (d for d in docs if d.get("kind") == "ServiceAccount"):
        expect(sa["metadata"]["name"] == account, "the ServiceAccount is the pod's")
        expect(sa.get("automountServiceAccountToken") is False, "ServiceAccount does not mount tokens by default")

    certificates = [d for d in docs if d.get("kind") == "Certificate"]
    issuers = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Issuer"}
    if certificates:
        expect(tls_on, "cert-manager objects imply TLS on in the config")
        ca = [c for c in certificates if c["spec"].get("isCA")]
        serving = [c for c in certificates if not c["spec"].get("isCA")]
        expect(len(ca) == 1 and len(serving) == 1, "one CA and one serving Certificate")
        if ca and serving:
            selfsigned = issuers.get(ca[0]["spec"]["issuerRef"]["name"], {})
            expect("selfSigned" in selfsigned.get("spec", {}), "the CA is signed by a self-signed Issuer")
            ca_issuer = issuers.get(serving[0]["spec"]["issuerRef"]["name"], {})
            expect(ca_issuer.get("spec", {}).get("ca", {}).get("secretName") == ca[0]["spec"]["secretName"],
                   "the serving certificate is signed by the CA Issuer")
            expect(serving[0]["spec"]["secretName"] == secret, "the serving secret is the one mounted")
            service_name = service["metadata"]["name"]
            expect(any(n.startswith(service_name + ".") for n in serving[0]["spec"].get("dnsNames", [])),
                   "serving certificate names the Service")

    for monitor in (d for d in docs if d.get("kind") == "ServiceMonitor"):
        endpoints = monitor["spec"]["endpoints"]
        expect(len(endpoints) == 1 and endpoints[0]["port"] == "http" and endpoints[0]["path"] == "/metrics",
               "ServiceMonitor scrapes /metrics on port http")
        expect(endpoints[0].get("scheme") == ("https" if tls_on else "http"), "ServiceMonitor scheme follows TLS")
        if tls_on:
            expect(bool(endpoints[0].get("tlsConfig")), "ServiceMonitor has a tlsConfig with TLS")
        expect(monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items(),
               "ServiceMonitor selects the Service")

    for rule in (d for d in docs if d.get("kind") == "PrometheusRule"):
        alerts = [r for g in rule["spec"]["groups"] for r in g["rules"]]
        expect(len(alerts) == 6, "PrometheusRule has the six alerts")
        for alert in alerts:
            annotations = alert.get("annotations", {})
            expect(bool(annotations.get("summary")) and bool(annotations.get("description"))
                   and bool(annotations.get("runbook") or annotations.get("runbook_url")),
                   "alert %s has a summary, a description and a runbook" % alert.get("alert"))
            expect("severity" in alert.get("labels", {}), "alert %s has a severity" % alert.get("alert"))
    for dashboard in (d for d in docs if d.get("kind") == "ConfigMap" and "cops-vigilante.json" in (d.get("data") or {})):
        expect(json.loads(dashboard["data"]["cops-vigilante.json"]).get("uid") == "cops-vigilante",
               "the dashboard ConfigMap holds the dashboard JSON")
        expect(bool(dashboard["metadata"].get("labels", {}).get("grafana_dashboard")),
               "the dashboard ConfigMap carries the Grafana sidecar label")

    for problem in problems:
        print("assertion failed:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
