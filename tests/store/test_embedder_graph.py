import numpy as np
import pytest

from sidecar.store import embedder_graph as graph_mod
from sidecar.store import embedder_proto as pb
from sidecar.store.embedder import verified_bytes
from sidecar.store.embedder_graph import Graph, GraphError, rewritten


@pytest.fixture(scope="module")
def raw() -> bytes:
    return verified_bytes()


def ops(model: bytes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in Graph(model).nodes:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def int8_casts(model: bytes) -> list[str]:
    """The int8 initializers a Cast turns into floats as a whole."""
    graph = Graph(model)
    return [n.inputs[0] for n in graph.nodes if n.op_type == "Cast" and n.inputs[0] in graph.tensors
            and graph.tensors[n.inputs[0]].data_type == graph_mod.INT8]


def test_reading_and_writing_the_model_gives_back_its_bytes(raw):
    assert pb.write(pb.parse(raw)) == raw


def test_varints_round_trip_including_negative_int64():
    fields = [pb.Field(1, pb.VARINT, v) for v in (0, 1, 127, 128, 300, 2**40, -1, -384)]
    back = pb.parse(pb.write(fields))
    assert pb.integers(back, 1) == [0, 1, 127, 128, 300, 2**40, -1, -384]


def test_packed_and_unpacked_repeated_integers_read_alike():
    packed = pb.Field(1, pb.LENGTH, pb.write([pb.Field(0, pb.VARINT, 0)])[1:] + b"\x80\x03")  # 0, 384
    assert pb.integers([packed], 1) == [0, 384]


def test_truncated_message_is_refused():
    with pytest.raises(pb.ProtoError):
        pb.parse(b"\x0a\x05abc")


def test_exact_graph_looks_up_int8_tables_and_keeps_float_matmuls(raw):
    model = rewritten(raw, quantize=False)
    before, after = ops(raw), ops(model)
    assert after["MatMul"] == before["MatMul"] and "DynamicQuantizeMatMul" not in after
    assert after["Gather"] == before["Gather"] + 2  # each table: its int8 rows and their scales
    assert len(int8_casts(raw)) == 38 and len(int8_casts(model)) == 36  # the tables are no longer cast whole


def test_quantized_graph_multiplies_every_int8_weight_in_integers(raw):
    model = rewritten(raw, quantize=True)
    counts = ops(model)
    assert counts["DynamicQuantizeMatMul"] == 36
    assert counts["MatMul"] == ops(raw)["MatMul"] - 36
    assert int8_casts(model) == []
    assert len(model) < len(raw)  # the (1, N) scales are replaced, not kept beside their 1-D copies


def test_a_rewrite_that_finds_nothing_to_change_raises():
    empty_graph = pb.write([pb.Field(1, pb.VARINT, 8), pb.message(graph_mod.MODEL_GRAPH, [pb.string(2, "g")])])
    with pytest.raises(GraphError, match="Gather"):
        rewritten(empty_graph, quantize=False)
    with pytest.raises(GraphError, match="single graph"):
        rewritten(b"", quantize=False)


def test_rewritten_graphs_run_and_the_exact_one_matches_the_file(raw):
    import onnxruntime as ort

    ids = np.array([[101, 7592, 2088, 2003, 1037, 3231, 102]], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}

    def run(model: bytes) -> np.ndarray:
        return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feeds)[0]

    published, exact, quantized = run(raw), run(rewritten(raw, quantize=False)), run(rewritten(raw, quantize=True))
    assert np.array_equal(published, exact)
    a, b = published.mean(axis=1)[0], quantized.mean(axis=1)[0]
    assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.97
