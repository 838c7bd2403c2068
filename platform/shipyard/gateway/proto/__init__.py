"""KServe's Open Inference Protocol gRPC service (``grpc_predict_v2.proto``, package ``inference``)
and the code generated from it. Regenerate, from ``platform/``, with grpcio-tools 1.62 (its
protobuf 4.25 code runs on every protobuf runtime from 4 up):

    python -m grpc_tools.protoc -I . --python_out=. --pyi_out=. --grpc_python_out=. \\
        shipyard/gateway/proto/grpc_predict_v2.proto

The generated modules register the ``inference.*`` messages in protobuf's default pool, as
``tritonclient.grpc`` does, so one process imports one or the other.
"""
