"""deploy/compose/ and deploy/k8s/ (issue 17's cluster shape): they parse, hold the pieces a cluster
needs (PostgreSQL, the bucket, two or more engines and gateways on shared stores, a balancer), keep
secrets out of the files, and follow the same hardening rules as the single-engine files.
(`docker compose config` would need the compose plugin, which this machine lacks: the checks
below read the YAML itself; the engine flags they pass are checked with the others in
test_deploy_files.py.)"""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.remote.test_deploy_files import DEPLOY, assert_hardened

COMPOSE = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
SHARED_SECRETS = ("GPT_IMAGE_2_DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "OPENAI_API_KEY")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    return document


def test_compose_runs_a_cluster_on_shared_stores() -> None:
    doc = compose()
    services = doc["services"]
    assert set(services) == {"postgres", "seaweedfs", "bucket", "engine-1", "engine-2", "gateway-1", "gateway-2", "web"}
    engines = [services["engine-1"], services["engine-2"]]
    assert engines[0] == engines[1]  # interchangeable replicas: one definition
    for engine in engines:
        env = engine["environment"]
        assert env["GPT_IMAGE_2_ARTIFACTS_URL"].startswith("s3://images/")
        assert env["AWS_ENDPOINT_URL_S3"] == "http://seaweedfs:8333"
        assert not set(SHARED_SECRETS) & set(env), "secrets come from the env file, never the compose file"
        assert engine["env_file"] == ["./secrets/cluster.env"]
        assert engine["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert engine["depends_on"]["bucket"]["condition"] == "service_completed_successfully"
        flags = engine["command"]
        assert "--token-file=/run/secrets/engine_token" in flags and any(f.startswith("--tls-cert=") for f in flags)
        assert any(str(t).startswith("/data") for t in engine["tmpfs"])  # a working folder, nothing kept
    for gateway in (services["gateway-1"], services["gateway-2"]):
        env = gateway["environment"]
        assert env["GPT_IMAGE_2_ENGINE"] == "engine-1:50051,engine-2:50051"
        assert env["GPT_IMAGE_2_ENGINE_TOKEN_FILE"].startswith("/run/secrets/")
        assert {d for d, c in gateway["depends_on"].items() if c["condition"] == "service_healthy"} == {
            "engine-1",
            "engine-2",
        }
    assert "bucket create" in " ".join(services["bucket"]["command"]).replace(".", " ")
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets/")
    assert all(str(p).startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", []))
    for name, service in services.items():
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert service["healthcheck"]["test"][0] == "CMD", name
        assert service["deploy"]["resources"]["limits"], name
        for secret in service.get("secrets", []):
            assert secret in doc["secrets"], (name, secret)
    assert {"pg-data", "s3-data"} <= set(doc["volumes"])


def test_nginx_balances_the_gateways_without_buffering_events() -> None:
    conf = (COMPOSE / "nginx.conf").read_text()
    upstream = re.search(r"upstream gateways \{(.*?)\}", conf, re.S)
    assert upstream is not None
    assert re.findall(r"server (gateway-\d):8787", upstream.group(1)) == ["gateway-1", "gateway-2"]
    # Any gateway honours any sign-in session (tests/cluster/test_two_gateways.py): no stickiness.
    assert "ip_hash" not in conf and "sticky" not in conf and "least_conn;" in upstream.group(1)
    assert "proxy_buffering off;" in conf and "listen 8080;" in conf
    assert conf.count("{") == conf.count("}")
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in compose()["services"]["web"]["volumes"]


def k8s_objects() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]
    objects: list[dict[str, Any]] = []
    for name in [*kustomization["resources"], "secret.example.yaml"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            if doc:
                assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), name
                objects.append(doc)
    return objects


def test_kubernetes_runs_engines_and_gateways_as_replicas() -> None:
    objects = k8s_objects()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for o in objects:
        by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    deployments = by_kind["Deployment"]
    assert set(deployments) == {"gpt-image-2-engine", "gpt-image-2-gateway"}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        assert_hardened(name, deployment)
    engine = deployments["gpt-image-2-engine"]["spec"]["template"]["spec"]["containers"][0]
    sources = {next(iter(ref.values()))["name"] for ref in engine["envFrom"]}
    assert sources == {"gpt-image-2-engine-config", "gpt-image-2-cluster"}
    assert all("grpc" in engine[p] for p in ("readinessProbe", "livenessProbe", "startupProbe"))
    config = by_kind["ConfigMap"]["gpt-image-2-engine-config"]["data"]
    assert config["GPT_IMAGE_2_ARTIFACTS_URL"].startswith("s3://")
    assert not set(SHARED_SECRETS) & set(config), "the ConfigMap holds no secret"
    cluster_secret = by_kind["Secret"]["gpt-image-2-cluster"]["stringData"]
    assert cluster_secret["GPT_IMAGE_2_DATABASE_URL"].startswith("postgresql://")
    services = by_kind["Service"]
    assert services["gpt-image-2-engine"]["spec"]["clusterIP"] == "None"
    assert "sessionAffinity" not in services["gpt-image-2-gateway"]["spec"]  # any pod honours any session
    gateway_env = {
        e["name"]: e for e in deployments["gpt-image-2-gateway"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert gateway_env["GPT_IMAGE_2_ENGINE"]["value"].startswith("dns:///gpt-image-2-engine.")
    assert by_kind["PodDisruptionBudget"]["gpt-image-2-engine"]["spec"]["minAvailable"] >= 1
    assert (
        by_kind["Namespace"]["gpt-image-2"]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )
