#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pickle_writer.h"

// Real-shaped model files for bench/scanner, as the libraries write them: a safetensors file, a
// torch.save zip checkpoint and its protocol-2 state-dict pickle. The GiB files are streamed to
// disk in 1 MiB chunks of pseudo-random tensor data (never held in memory), hashed (sha256) as
// they are written.
namespace aiops::bench {

struct TensorSpec {
    std::string name;
    std::string dtype;  // safetensors dtype: "F16" or "F32"
    std::vector<std::uint64_t> shape;
    std::uint64_t numel() const;
    std::uint64_t bytes() const;
};

// Tensor `index` of an endless Llama-7B-shaped decoder (hidden 4096, MLP 11008, F16 projections,
// F32 norms): model.layers.<n>.self_attn.q_proj.weight, …,
// model.layers.<n>.post_attention_layernorm.
TensorSpec llama_tensor(std::uint64_t index);
// The first tensors of that decoder whose data adds up to at least `min_bytes`.
std::vector<TensorSpec> llama_tensors(std::uint64_t min_bytes);

struct WrittenFile {
    std::filesystem::path path;
    std::uint64_t bytes = 0;
    std::string digest;  // sha256:… of the file
};

// safetensors: u64 LE header length, the JSON header (tensors in file order with contiguous
// data_offsets, __metadata__ {"format":"pt"}) space-padded to 8 bytes, then the tensor data.
WrittenFile write_safetensors(const std::filesystem::path& path,
                              const std::vector<TensorSpec>& tensors, std::uint64_t seed);

// torch.save (zip format, no zip64: must stay below 4 GiB): stored members archive/data.pkl,
// archive/byteorder, archive/data/<i> (one storage per tensor, data 64-byte aligned with an "FB"
// padding extra field as PyTorch writes it), archive/version, archive/.data/serialization_id;
// correct CRC-32s, local headers and central directory. Throws when it would need zip64.
WrittenFile write_torch_zip(const std::filesystem::path& path,
                            const std::vector<TensorSpec>& tensors, std::uint64_t seed);

// The data.pkl of torch.save(model.state_dict()) with CPython's protocol-2 pickler: an OrderedDict
// (items in SETITEMS batches of 1000) of torch._utils._rebuild_tensor_v2(storage, 0, size, stride,
// False, OrderedDict()) whose storages are BINPERSID ('storage', torch.HalfStorage|FloatStorage,
// key, 'cpu', numel) tuples; every new string, tuple and object memoized (BINPUT/LONG_BINPUT), and
// the `_metadata` attribute set by BUILD.
class StateDictPickle {
public:
    StateDictPickle();
    // Appends `name` → a tensor over storage `storage_key` (a fresh storage of tensor.numel()).
    void add(std::string_view name, const TensorSpec& tensor, std::string_view storage_key);
    // Closes the dict and the stream; the pickle bytes.
    std::string finish();

private:
    std::uint32_t put();  // memoizes the top of the stack: its memo index
    bool reuse(const std::optional<std::uint32_t>& memo_index);  // a memo GET, if memoized
    void integer(std::uint64_t value);
    void int_tuple(const std::vector<std::uint64_t>& items);
    void close_batch();

    scanner::testing::PickleWriter out_;
    std::uint32_t next_memo_ = 0;
    std::optional<std::uint32_t> rebuild_memo_;  // _rebuild_tensor_v2, once written
    std::optional<std::uint32_t> storage_text_memo_;
    std::optional<std::uint32_t> cpu_text_memo_;
    std::optional<std::uint32_t> half_storage_memo_;
    std::optional<std::uint32_t> float_storage_memo_;
    std::size_t batch_items_ = 0;
};

}  // namespace aiops::bench
