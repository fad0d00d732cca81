#pragma once

#include <string>

#include "pickle_writer.h"

// Benign, real-shaped pickles for the scanner tests, written opcode by opcode as CPython writes
// them (checked against pickletools.dis).
namespace aiops::scanner::testing {

// One tensor entry of a torch.save state dict (protocol 2): _rebuild_tensor_v2 over a BINPERSID
// storage tuple ('storage', torch.FloatStorage, key, 'cpu', numel). Memo 0 is OrderedDict and
// 1 is _rebuild_tensor_v2 (written by the first tensor), 2 is torch.FloatStorage.
inline void write_torch_tensor(PickleWriter& out, int index, bool first) {
    if (first) {
        out.global("torch._utils", "_rebuild_tensor_v2").binput(1);
    } else {
        out.binget(1);
    }
    out.mark().mark().unicode("storage");
    if (first) {
        out.global("torch", "FloatStorage").binput(2);
    } else {
        out.binget(2);
    }
    out.unicode(std::to_string(index)).unicode("cpu").binint1(4).tuple().binpersid();
    out.binint1(0).binint1(2).binint1(2).tuple2().binint1(2).binint1(1).tuple2().newfalse();
    out.binget(0).empty_tuple().reduce().tuple().reduce();
}

// torch.save(model.state_dict()) data.pkl: an OrderedDict of tensors, one nn.Parameter, and the
// `_metadata` attribute set by BUILD.
inline std::string torch_state_dict_pickle() {
    PickleWriter out;
    out.proto(2).global("collections", "OrderedDict").binput(0).empty_tuple().reduce().binput(3);
    out.mark();
    out.unicode("layer.weight");
    write_torch_tensor(out, 0, true);
    out.unicode("layer.bias");
    write_torch_tensor(out, 1, false);
    out.unicode("layer.scale").global("torch._utils", "_rebuild_parameter").binput(4).mark();
    write_torch_tensor(out, 2, false);
    out.newtrue().binget(0).empty_tuple().reduce().tuple().reduce();
    out.setitems();
    out.empty_dict().unicode("_metadata").binget(0).empty_tuple().reduce().setitem().build();
    return out.stop().bytes();
}

// pickle.dumps(numpy.arange(3.0), protocol=2): _reconstruct(ndarray, (0,), b'b') then BUILD with
// (1, shape, dtype('f8'), False, raw bytes via _codecs.encode).
inline std::string numpy_array_pickle() {
    PickleWriter out;
    out.proto(2).global("numpy.core.multiarray", "_reconstruct").binput(0);
    out.global("numpy", "ndarray").binput(1).binint1(0).tuple1().binput(2);
    out.global("_codecs", "encode").binput(3).unicode("b").unicode("latin1").tuple2().reduce();
    out.tuple3().reduce().binput(4);
    out.mark().binint1(1).binint1(3).tuple1().global("numpy", "dtype").binput(5);
    out.unicode("f8").newfalse().newtrue().tuple3().reduce().binput(6);
    out.mark().binint1(3).unicode("<").none().none().none().binint(-1).binint(-1).binint1(0);
    out.tuple().build().newfalse();
    out.binget(3).unicode(std::string(24, 'x')).unicode("latin1").tuple2().reduce();
    out.tuple().build();
    return out.stop().bytes();
}

// A protocol 4 dict of lists and strings with a FRAME and MEMOIZE, as pickle.dumps writes it.
inline std::string plain_data_pickle() {
    PickleWriter body;
    body.empty_dict().memoize().mark().short_unicode("names").memoize();
    body.empty_list().memoize().mark().short_unicode("alpha").memoize().short_unicode("beta");
    body.memoize().appends().short_unicode("count").memoize().binint1(7).setitems().stop();
    PickleWriter out;
    out.proto(4).frame(body.bytes().size()).raw(body.bytes());
    return out.bytes();
}

}  // namespace aiops::scanner::testing
