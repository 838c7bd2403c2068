"""Drive the gateway with ``tritonclient.grpc`` in a process of its own (its ``inference.*``
messages and the gateway's generated ones cannot share one protobuf pool).

``python -m tests.gateway.triton_grpc_client <address> <model> <token> <rows JSON>`` prints one
JSON line: liveness, readiness, metadata and the outputs of one infer call.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient


def main(address: str, model: str, token: str, rows_json: str) -> dict:
    client = grpcclient.InferenceServerClient(url=address)
    headers = {"authorization": f"Token {token}"}
    rows = np.asarray(json.loads(rows_json), dtype=np.float32)
    tensor = grpcclient.InferInput("input", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows)
    result = client.infer(model, [tensor], headers=headers, parameters={"routing_key": "grpc-user"})
    response = result.get_response()
    meta = client.get_model_metadata(model, headers=headers)
    return {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model, headers=headers),
        "server": client.get_server_metadata().name,
        "inputs": [(i.name, i.datatype, list(i.shape)) for i in meta.inputs],
        "outputs": [o.name for o in meta.outputs],
        "model_version": response.model_version,
        "label": result.as_numpy("label").tolist(),
        "probabilities": result.as_numpy("probabilities").tolist(),
        "request_id": [r.decode() for r in result.as_numpy("request_id").tolist()],
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
