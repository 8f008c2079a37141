#!/usr/bin/python3
# Debian's python3 (python3-torch, python3-torchvision, python3-onnx, python3-numpy; no PyPI):
#   apt-get install python3-torch python3-torchvision python3-onnx
"""Export our Inception-v3 to ONNX for ONNX Runtime: an int8 QDQ model that runs the same
quantised network as our int8 graph, and optionally the fp32 one (benchmark, not CI;
docs/int8.md "Against ONNX Runtime int8").

  export_qdq_onnx.py INT8.safetensors -o qdq.onnx [--float F.safetensors --float-out f32.onnx]
                     [--last float|uint8] [--opset 13]

INT8 is a file written by `inception quantize`: its qweight / weight_scale / bias tensors and
its `inception.quant.calibration` record are the only source of the quantised parameters, so
ORT runs the same int8 weights and activation scales as we do. The network is torchvision's
Inception3 with BatchNorm folded into each conv (as ORT's quantizer pre-processing does),
exported with torch.onnx.export; QuantizeLinear/DequantizeLinear pairs are placed where ORT's
static quantizer (QDQ format) would put them, on the tensors our int8 graph keeps uint8
(lib/graph/net.c, quantise_graph):

- weights: int8 per output channel (axis 0, zero point 0), our qweight and weight_scale;
- bias: int32 `round(b / (s_in * s_w))` (as ours), DequantizeLinear scale s_in * s_w;
- activations: uint8, zero point 0, our per-tensor scale `range / 255` with the same tied
  groups (a pool shares its input's scale; a block a max pool writes shares its input's;
  concatenated branches store at the block's scale); the Relu before each uint8
  QuantizeLinear is dropped (zero point 0 clamps at 0 already), as ORT's quantizer does;
- float, as in ours: the network input and Conv2d_1a (its output is quantised), Mixed_7c's
  output, the global pool and the fc. `--last uint8` also quantises Mixed_7c's output at
  its calibrated range (what ORT's quantizer would do; ours stores it float), so ORT can
  fuse those convs into QLinearConv too.

Outputs: `logits` and `features` (the 2048-d pooled vector), batch axis dynamic, input
`input` [N, 3, 299, 299] (our preprocessed NCHW tensor). The aux head is not exported
(inference does not run it). Prints one RESULT line per model written.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I8": np.int8,
          "I32": np.int32, "I64": np.int64, "U8": np.uint8}
BN_EPS = 1e-3

# Pools tie scales (docs/int8.md "The int8 graph"): {tensor: the tensor it shares a scale
# with}. Stem max pools and every block's avg pool read their input; the max pools of
# Mixed_6a / Mixed_7a write their block. Block inputs follow.
BLOCKS = ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
          "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]
BLOCK_INPUT = dict(zip(BLOCKS, ["maxpool2"] + BLOCKS[:-1]))
MAXPOOL_BLOCKS = {"Mixed_6a", "Mixed_7a"}
LAST = "Mixed_7c"


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<")
                                  ).reshape(info["shape"]).astype(DTYPES[info["dtype"]])
    return out, meta


def check_variant(meta, tensors, path):
    if meta.get("inception.stem", "299") != "299" or "Conv2d_1a_7x7.conv.weight" in tensors:
        sys.exit(f"{path}: only the default Inception-v3 (stem 299, 3x3 first conv) is exported")
    if meta.get("inception.pool_include_pad", "true") != "true":
        sys.exit(f"{path}: inception.pool_include_pad=false is not exported (torchvision "
                 "counts padding)")


class Scales:
    """Activation scales of our int8 graph from a calibration record: scale = range / 255 in
    float32, the range of a tied group being its largest member's."""

    def __init__(self, record):
        self.ranges = {k: np.float32(float(v)) for k, v in record["ranges"].items()}
        parent = {}

        def find(t):
            while parent.get(t, t) != t:
                t = parent[t]
            return t

        def union(a, b):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb

        union("maxpool1", "Conv2d_2b_3x3")
        union("maxpool2", "Conv2d_4a_3x3")
        for blk in BLOCKS:
            if blk in MAXPOOL_BLOCKS:
                union(blk, BLOCK_INPUT[blk])
            else:
                union(blk + ".avg_pool", BLOCK_INPUT[blk])
        self.find = find
        self.group_range = {}
        for t, r in self.ranges.items():
            g = find(t)
            self.group_range[g] = max(self.group_range.get(g, np.float32(0)), r)

    def scale(self, tensor):
        if tensor not in self.ranges:
            sys.exit(f"calibration record: no range for tensor '{tensor}'")
        r = self.group_range[self.find(tensor)]
        return np.float32(r / np.float32(255)) if r > 1e-30 else np.float32(1)


def conv_output_tensor(layer, record_ranges):
    """Our tensor a BasicConv2d writes: its own (a branch intermediate, a stem conv) or the
    block's (the last conv of a branch writes its slice)."""
    block = layer.split(".")[0]
    if block not in BLOCKS or layer in record_ranges:
        return layer
    return block


def folded_float(tensors, layer, gamma):
    w = tensors[layer + ".conv.weight"].astype(np.float64)
    mean = tensors[layer + ".bn.running_mean"].astype(np.float64)
    var = tensors[layer + ".bn.running_var"].astype(np.float64)
    beta = tensors[layer + ".bn.bias"].astype(np.float64)
    g = tensors[layer + ".bn.weight"].astype(np.float64) if gamma else np.ones_like(mean)
    k = g / np.sqrt(var + BN_EPS)
    return (w * k[:, None, None, None]).astype(np.float32), (beta - mean * k).astype(np.float32)


def build_torch(tensors, meta, quantised):
    """torchvision's Inception3 with BN folded: quantised layers get their dequantised int8
    weights (replaced by the int8 initializers after export), float layers folded here."""
    import torch
    import torchvision
    from torchvision.models.inception import BasicConv2d

    classes = tensors["fc.weight"].shape[0]
    m = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False,
                                        transform_input=False, num_classes=classes).eval()
    gamma = meta.get("inception.bn_gamma",
                     "true" if "Conv2d_1a_3x3.bn.weight" in tensors else "false") != "false"
    for name, mod in m.named_modules():
        if not isinstance(mod, BasicConv2d):
            continue
        c = mod.conv
        if quantised and name + ".conv.qweight" in tensors:
            wq = tensors[name + ".conv.qweight"].astype(np.float32)  # [out, kh, kw, in]
            sw = tensors[name + ".conv.weight_scale"].astype(np.float32)
            w = (wq * sw[:, None, None, None]).transpose(0, 3, 1, 2)
            b = tensors[name + ".conv.bias"].astype(np.float32)
        else:
            w, b = folded_float(tensors, name, gamma)
        conv = torch.nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride,
                               c.padding, bias=True)
        if tuple(conv.weight.shape) != w.shape:
            sys.exit(f"{name}: weight shape {w.shape}, torchvision {tuple(conv.weight.shape)}")
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            conv.bias.copy_(torch.from_numpy(b))
        mod.conv, mod.bn = conv, torch.nn.Identity()
    with torch.no_grad():
        m.fc.weight.copy_(torch.from_numpy(tensors["fc.weight"].astype(np.float32)))
        m.fc.bias.copy_(torch.from_numpy(tensors["fc.bias"].astype(np.float32)))
    return m


def wrap(model):
    import torch

    class Net(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            f = torch.flatten(self.m.avgpool(self.m._forward_trunk(x)), 1)
            return self.m.fc(f), f

    def trunk(self, x):  # torchvision's _forward up to Mixed_7c
        for n in ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                  "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2"] + BLOCKS:
            x = getattr(self, n)(x)
        return x

    model._forward_trunk = trunk.__get__(model)
    return Net(model)


def add_qdq_hooks(model, scales, last_uint8):
    """Fake quantisation (exported as QuantizeLinear + DequantizeLinear, uint8, zero point 0)
    on every tensor our int8 graph keeps uint8."""
    import torch
    import torchvision.models.inception as tvi
    from torchvision.models.inception import BasicConv2d

    def fq(x, s):
        return torch.fake_quantize_per_tensor_affine(x, float(s), 0, 0, 255)

    state = {"pool_scale": None}
    for name, mod in model.named_modules():
        if isinstance(mod, BasicConv2d):
            out = conv_output_tensor(name, scales.ranges)
            if out == LAST and not last_uint8:
                continue
            s = scales.scale(out)
            mod.register_forward_hook(lambda m, i, o, s=s: fq(o, s))
        elif name in ("maxpool1", "maxpool2"):
            s = scales.scale(name)
            mod.register_forward_hook(lambda m, i, o, s=s: fq(o, s))
        elif name in BLOCKS:
            s_pool = scales.scale(name if name in MAXPOOL_BLOCKS else name + ".avg_pool")
            mod.register_forward_pre_hook(
                lambda m, i, s=s_pool: state.__setitem__("pool_scale", s))
            if name != LAST or last_uint8:
                s = scales.scale(name)
                mod.register_forward_hook(lambda m, i, o, s=s: fq(o, s))

    class Pools:  # the blocks' functional pools read the block input: keep its scale
        def __getattr__(self, name):
            return getattr(torch.nn.functional, name)

        @staticmethod
        def avg_pool2d(*a, **kw):
            return fq(torch.nn.functional.avg_pool2d(*a, **kw), state["pool_scale"])

        @staticmethod
        def max_pool2d(*a, **kw):
            return fq(torch.nn.functional.max_pool2d(*a, **kw), state["pool_scale"])

    tvi.F = Pools()
    # Conv2d_1a stays float; its output is quantised for Conv2d_2a (ours: one QUANT layer)
    s1 = scales.scale("Conv2d_1a_3x3")
    model.Conv2d_1a_3x3.register_forward_hook(lambda m, i, o: fq(o, s1))


def export(net, path, opset):
    import torch
    x = torch.zeros(1, 3, 299, 299)
    with torch.no_grad():
        torch.onnx.export(net, x, path, opset_version=opset, input_names=["input"],
                          output_names=["logits", "features"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"},
                                        "features": {0: "batch"}},
                          do_constant_folding=True)


def const_value(g, name):
    import onnx.numpy_helper as nh
    for init in g.initializer:
        if init.name == name:
            return nh.to_array(init)
    for n in g.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return nh.to_array(n.attribute[0].t)
    raise KeyError(name)


def is_pool_pad(g, n, consumers):
    c = consumers.get(n.output[0], [])
    if len(c) != 1 or c[0].op_type != "AveragePool":
        return False
    mode = [a.s for a in n.attribute if a.name == "mode"]
    if mode and mode[0] != b"constant":
        return False
    if len(n.input) > 2 and n.input[2] and float(const_value(g, n.input[2])) != 0:
        return False
    pads = [int(v) for v in const_value(g, n.input[1])]
    return len(pads) == 8 and pads[0] == pads[1] == pads[4] == pads[5] == 0 and \
        not any(a.name == "pads" and any(a.ints) for a in c[0].attribute)


def set_attr(node, name, value):
    import onnx.helper as oh
    for a in list(node.attribute):
        if a.name == name:
            node.attribute.remove(a)
    node.attribute.append(oh.make_attribute(name, value))


def rewrite_qdq(path, tensors):
    """Weights and biases of the int8 convs as int8 / int32 initializers behind
    DequantizeLinear, Relu before a uint8 QuantizeLinear dropped. Returns counts."""
    import onnx
    import onnx.helper as oh
    import onnx.numpy_helper as nh

    mp = onnx.load(path)
    g = mp.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    inits = {i.name: i for i in g.initializer}
    new_nodes, new_inits, drop_inits = [], [], set()
    stats = {"int8_conv": 0, "float_conv": 0, "relu_dropped": 0, "int8_conv_float_out": 0,
             "pad_merged": 0}
    rename = {}
    for n in g.node:
        if n.op_type == "Pad" and is_pool_pad(g, n, consumers):
            # torch exports count_include_pad as Pad + AveragePool; ORT's quantizer sees one
            # AveragePool with pads (what its QLinearAveragePool fusion matches)
            (pool,) = consumers[n.output[0]]
            pads = [int(v) for v in const_value(g, n.input[1])]  # [n, c, h, w] x begin, end
            set_attr(pool, "pads", [pads[2], pads[3], pads[6], pads[7]])
            set_attr(pool, "count_include_pad", 1)
            rename[n.output[0]] = n.input[0]
            stats["pad_merged"] += 1
            continue
        if n.op_type == "Relu":
            (c,) = consumers.get(n.output[0], [None]) or [None]
            if c is not None and c.op_type == "QuantizeLinear" and \
                    len(consumers[n.output[0]]) == 1 and \
                    const_value(g, c.input[2]).dtype == np.uint8 and \
                    int(const_value(g, c.input[2])) == 0:
                rename[n.output[0]] = n.input[0]
                stats["relu_dropped"] += 1
                continue
        if n.op_type == "Conv":
            wname = n.input[1]
            layer = wname[len("m."):-len(".conv.weight")] \
                if wname.startswith("m.") and wname.endswith(".conv.weight") else None
            if layer is None or wname not in inits:
                sys.exit(f"Conv {n.name}: weight '{wname}' is not a named initializer")
            if layer + ".conv.qweight" in tensors:
                dq = producer.get(n.input[0])
                if dq is None or dq.op_type != "DequantizeLinear":
                    sys.exit(f"{layer}: input is not dequantised")
                s_in = np.float32(const_value(g, dq.input[1]))
                wq = np.ascontiguousarray(tensors[layer + ".conv.qweight"].transpose(0, 3, 1, 2))
                sw = tensors[layer + ".conv.weight_scale"].astype(np.float32)
                b = tensors[layer + ".conv.bias"].astype(np.float64)
                bq = np.clip(np.rint(b / (np.float64(s_in) * sw.astype(np.float64))),
                             -2147483647, 2147483647).astype(np.int32)
                sb = (s_in * sw).astype(np.float32)
                out = wq.shape[0]
                for nm, arr in [(layer + ".w_q", wq.astype(np.int8)),
                                (layer + ".w_scale", sw),
                                (layer + ".w_zp", np.zeros(out, np.int8)),
                                (layer + ".b_q", bq), (layer + ".b_scale", sb),
                                (layer + ".b_zp", np.zeros(out, np.int32))]:
                    new_inits.append(nh.from_array(arr, nm))
                new_nodes.append(oh.make_node("DequantizeLinear",
                                              [layer + ".w_q", layer + ".w_scale", layer + ".w_zp"],
                                              [layer + ".w_dq"], name=layer + ".w_DequantizeLinear",
                                              axis=0))
                new_nodes.append(oh.make_node("DequantizeLinear",
                                              [layer + ".b_q", layer + ".b_scale", layer + ".b_zp"],
                                              [layer + ".b_dq"], name=layer + ".b_DequantizeLinear",
                                              axis=0))
                drop_inits.update([n.input[1], n.input[2]])
                n.input[1], n.input[2] = layer + ".w_dq", layer + ".b_dq"
                stats["int8_conv"] += 1
                outs = consumers.get(n.output[0], [])
                if not any(c.op_type == "QuantizeLinear" or
                           (c.op_type == "Relu" and any(cc.op_type == "QuantizeLinear"
                                                        for cc in consumers.get(c.output[0], [])))
                           for c in outs):
                    stats["int8_conv_float_out"] += 1
            else:
                stats["float_conv"] += 1
        new_nodes.append(n)
    for n in new_nodes:
        for k, i in enumerate(n.input):
            if i in rename:
                n.input[k] = rename[i]
    used = {i for n in new_nodes for i in n.input} | {o.name for o in g.output}
    new_nodes = [n for n in new_nodes if n.op_type != "Constant" or n.output[0] in used]
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [i for i in g.initializer if i.name not in drop_inits]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    mp.producer_name = "libinception tools/export_qdq_onnx.py"
    onnx.checker.check_model(mp)
    onnx.save(mp, path)
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("int8", help="quantised .safetensors from `inception quantize`")
    ap.add_argument("-o", "--output", required=True, help="the QDQ .onnx to write")
    ap.add_argument("--float", dest="float_model", help="float .safetensors (for --float-out)")
    ap.add_argument("--float-out", help="also write the fp32 .onnx of --float (BN folded)")
    ap.add_argument("--last", choices=["float", "uint8"], default="float",
                    help="Mixed_7c's output: float as ours (default) or uint8")
    ap.add_argument("--opset", type=int, default=13)
    a = ap.parse_args()
    if a.opset < 13:
        sys.exit("--opset must be >= 13 (per-channel DequantizeLinear)")
    if bool(a.float_model) != bool(a.float_out):
        sys.exit("--float and --float-out go together")
    import onnx
    import torch

    tensors, meta = read_safetensors(a.int8)
    check_variant(meta, tensors, a.int8)
    if "inception.quant.calibration" not in meta:
        sys.exit(f"{a.int8}: no inception.quant.calibration record (not a quantised file)")
    record = json.loads(meta["inception.quant.calibration"])
    scales = Scales(record)
    model = build_torch(tensors, meta, quantised=True)
    add_qdq_hooks(model, scales, a.last == "uint8")
    export(wrap(model), a.output, a.opset)
    st = rewrite_qdq(a.output, tensors)
    if st["int8_conv"] != 93:
        sys.exit(f"{a.int8}: {st['int8_conv']} int8 convs, expected 93 (a partly quantised file?)")
    print(f"RESULT export=qdq path={a.output} opset={a.opset} bytes={os.path.getsize(a.output)} "
          f"int8_convs={st['int8_conv']} float_convs={st['float_conv']} "
          f"int8_convs_float_out={st['int8_conv_float_out']} relu_dropped={st['relu_dropped']} "
          f"pads_merged={st['pad_merged']} "
          f"last={a.last} method={record.get('method')} images={record.get('images')} "
          f"onnx={onnx.__version__} torch={torch.__version__}")
    if a.float_out:
        import torchvision.models.inception as tvi
        tvi.F = torch.nn.functional
        ft, fmeta = read_safetensors(a.float_model)
        check_variant(fmeta, ft, a.float_model)
        fm = build_torch(ft, fmeta, quantised=False)
        export(wrap(fm), a.float_out, a.opset)
        onnx.checker.check_model(onnx.load(a.float_out))
        print(f"RESULT export=fp32 path={a.float_out} opset={a.opset} "
              f"bytes={os.path.getsize(a.float_out)}")


if __name__ == "__main__":
    main()
