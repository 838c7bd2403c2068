"""`shipyard models ...` and `shipyard datasets ...` subcommands."""

from __future__ import annotations

import argparse
import json
from typing import Any

from shipyard.client.registry import Registry


def _registry(args: argparse.Namespace) -> Registry:
    return Registry(url=getattr(args, "url", None), project=args.project)


def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def models_list(args: argparse.Namespace) -> int:
    for m in _registry(args).list_models():
        aliases = ", ".join(f"{a['name']}=v{a['version']}" for a in m["aliases"])
        print(f"{m['name']}\tlatest=v{m['latest_version']}\t{aliases}")
    return 0


def models_upload(args: argparse.Namespace) -> int:
    version = _registry(args).log_model(
        args.path,
        name=args.name,
        format=args.format,
        dataset=args.dataset,
        metrics=_json(args.metrics),
        params=_json(args.params),
        recipe=args.recipe or "",
        description=args.description or "",
        idempotency_key=args.idempotency_key or "",
    )
    print(
        f"registered {args.name} v{version['number']} ({version['format']}, sha256 {version['artifact_sha256'][:12]})"
    )
    return 0


def models_get(args: argparse.Namespace) -> int:
    artifact = _registry(args).get_model(args.name, args.ref, dest=args.output)
    print(artifact.path)
    return 0


def models_alias(args: argparse.Namespace) -> int:
    alias = _registry(args).set_alias(args.name, args.alias, args.version, expected_version=args.expected_version)
    print(f"{args.name}@{alias['name']} -> v{alias['version']}")
    return 0


def datasets_list(args: argparse.Namespace) -> int:
    for d in _registry(args).list_datasets():
        latest = d["latest_version"] or {}
        print(f"{d['name']}\tv{latest.get('number', '-')}\trows={latest.get('row_count', '-')}")
    return 0


def datasets_upload(args: argparse.Namespace) -> int:
    version = _registry(args).log_dataset(
        args.path,
        name=args.name,
        format=args.format,
        label_column=args.label or "",
        slices=_json(args.slices),
        feature_meta=_json(args.feature_meta),
    )
    print(f"registered dataset {args.name} v{version['number']} ({version['row_count']} rows)")
    return 0


def register(subparsers: Any) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project", "-p", help="project slug (default: $SHIPYARD_PROJECT)")

    models = subparsers.add_parser("models", help="registered models and versions")
    msub = models.add_subparsers(dest="models_command", required=True)
    p = msub.add_parser("list", help="list models")
    common(p)
    p.set_defaults(func=models_list)
    p = msub.add_parser("upload", help="upload an artifact as a new version")
    common(p)
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--format", choices=["onnx", "state_dict", "safetensors", "torchscript", "torch_export"])
    p.add_argument("--dataset", help="training dataset '<name>:<number>'")
    p.add_argument("--metrics", help="JSON object")
    p.add_argument("--params", help="JSON object")
    p.add_argument("--recipe")
    p.add_argument("--description")
    p.add_argument("--idempotency-key")
    p.set_defaults(func=models_upload)
    p = msub.add_parser("get", help="download a version (number or alias)")
    common(p)
    p.add_argument("name")
    p.add_argument("ref", nargs="?", default="champion")
    p.add_argument("--output", "-o", default=".")
    p.set_defaults(func=models_get)
    p = msub.add_parser("alias", help="point an alias at a version")
    common(p)
    p.add_argument("name")
    p.add_argument("alias")
    p.add_argument("version", type=int)
    p.add_argument("--expected-version", type=int)
    p.set_defaults(func=models_alias)

    datasets = subparsers.add_parser("datasets", help="datasets and their versions")
    dsub = datasets.add_subparsers(dest="datasets_command", required=True)
    p = dsub.add_parser("list", help="list datasets")
    common(p)
    p.set_defaults(func=datasets_list)
    p = dsub.add_parser("upload", help="upload a CSV/Parquet/NPZ file as a new version")
    common(p)
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p.add_argument("--format", choices=["csv", "parquet", "npz"])
    p.add_argument("--label")
    p.add_argument("--slices", help='JSON list of {"name", "filter"}')
    p.add_argument(
        "--feature-meta",
        help='JSON object: per column {"owner", "source", "sensitive"} (feature policy, PII declarations)',
    )
    p.set_defaults(func=datasets_upload)
