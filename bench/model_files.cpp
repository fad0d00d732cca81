#include "model_files.h"

#include <zlib.h>

#include <array>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "aiops/common/digest.h"

namespace aiops::bench {
namespace {

constexpr std::size_t kChunkBytes = 1U << 20;
constexpr std::uint64_t kHidden = 4096;
constexpr std::uint64_t kIntermediate = 11008;
constexpr std::size_t kSetItemsBatch = 1000;  // CPython's pickle._BATCHSIZE
constexpr std::uint64_t kZipAlignment = 64;   // PyTorch aligns storage data to 64 bytes
constexpr std::uint64_t kZip32Max = 0xFFFFFFFF;

struct LayerTensor {
    const char* suffix;
    const char* dtype;
    std::uint64_t rows;  // 0: a vector of `columns`
    std::uint64_t columns;
};

constexpr std::array<LayerTensor, 9> kLayerTensors{{
    {"self_attn.q_proj.weight", "F16", kHidden, kHidden},
    {"self_attn.k_proj.weight", "F16", kHidden, kHidden},
    {"self_attn.v_proj.weight", "F16", kHidden, kHidden},
    {"self_attn.o_proj.weight", "F16", kHidden, kHidden},
    {"mlp.gate_proj.weight", "F16", kIntermediate, kHidden},
    {"mlp.up_proj.weight", "F16", kIntermediate, kHidden},
    {"mlp.down_proj.weight", "F16", kHidden, kIntermediate},
    {"input_layernorm.weight", "F32", 0, kHidden},
    {"post_attention_layernorm.weight", "F32", 0, kHidden},
}};

void put_le(std::string& out, std::uint64_t value, int width) {
    for (int index = 0; index < width; ++index) {
        out += static_cast<char>((value >> (8 * index)) & 0xFF);
    }
}

// `bytes` pseudo-random bytes (splitmix64 of `seed`), handed to `consume` 1 MiB at a time.
void for_each_random_chunk(std::uint64_t seed, std::uint64_t bytes,
                           const std::function<void(std::string_view)>& consume) {
    std::vector<std::uint64_t> words(kChunkBytes / sizeof(std::uint64_t));
    std::uint64_t state = seed;
    for (std::uint64_t done = 0; done < bytes;) {
        for (auto& word : words) {
            std::uint64_t mixed = (state += 0x9e3779b97f4a7c15ULL);
            mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9ULL;
            mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebULL;
            word = mixed ^ (mixed >> 31);
        }
        const auto count =
            static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, bytes - done));
        consume({reinterpret_cast<const char*>(words.data()), count});
        done += count;
    }
}

std::uint32_t crc32_of(std::string_view bytes, std::uint32_t crc = 0) {
    return static_cast<std::uint32_t>(
        crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// A file written front to back, sha256 computed on the way.
class OutputFile {
public:
    explicit OutputFile(std::filesystem::path path)
        : path_(std::move(path)), out_(path_, std::ios::binary | std::ios::trunc) {
        if (!out_) {
            throw std::runtime_error("cannot create " + path_.string());
        }
    }
    void write(std::string_view bytes) {
        out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        hasher_.update(bytes);
        size_ += bytes.size();
    }
    std::uint64_t size() const { return size_; }
    WrittenFile finish() {
        out_.close();
        auto digest = hasher_.finish();
        if (!out_ || !digest) {
            throw std::runtime_error("cannot write " + path_.string());
        }
        return {path_, size_, digest->str()};
    }

private:
    std::filesystem::path path_;
    std::ofstream out_;
    common::Sha256Hasher hasher_;
    std::uint64_t size_ = 0;
};

struct ZipRecord {
    std::string name;
    std::uint32_t crc = 0;
    std::uint64_t size = 0;
    std::uint64_t offset = 0;  // of the local header
};

// Stored (method 0) members with their CRC-32 in the local header, as PyTorch's writer leaves
// them; no zip64, so every offset and size must fit 32 bits.
class ZipWriter {
public:
    explicit ZipWriter(std::filesystem::path path) : file_(std::move(path)) {}

    void add(std::string name, std::string_view data) {
        start_member(std::move(name), crc32_of(data), data.size());
        file_.write(data);
    }
    // A member of `bytes` pseudo-random bytes: generated twice (CRC-32 first, then written).
    void add_random(std::string name, std::uint64_t bytes, std::uint64_t seed) {
        std::uint32_t crc = 0;
        for_each_random_chunk(seed, bytes,
                              [&crc](std::string_view chunk) { crc = crc32_of(chunk, crc); });
        start_member(std::move(name), crc, bytes);
        for_each_random_chunk(seed, bytes, [this](std::string_view chunk) { file_.write(chunk); });
    }

    WrittenFile finish() {
        const std::uint64_t central_offset = file_.size();
        std::string central;
        for (const auto& record : records_) {
            put_le(central, 0x02014b50, 4);
            put_le(central, 0x031e, 2);  // made by: unix, 3.0
            put_le(central, 20, 2);      // needed: 2.0
            put_le(central, 0, 2);       // flags
            put_le(central, 0, 2);       // stored
            put_le(central, 0, 2);       // time
            put_le(central, 0x21, 2);    // date 1980-01-01
            put_le(central, record.crc, 4);
            put_le(central, record.size, 4);
            put_le(central, record.size, 4);
            put_le(central, record.name.size(), 2);
            put_le(central, 0, 2 + 2 + 2 + 2 + 4);  // extra, comment, disk, attributes
            put_le(central, record.offset, 4);
            central += record.name;
        }
        if (central_offset + central.size() > kZip32Max || records_.size() >= 0xFFFF) {
            throw std::runtime_error("torch checkpoint too large for a zip without zip64");
        }
        file_.write(central);
        std::string end;
        put_le(end, 0x06054b50, 4);
        put_le(end, 0, 2 + 2);  // disk numbers
        put_le(end, records_.size(), 2);
        put_le(end, records_.size(), 2);
        put_le(end, central.size(), 4);
        put_le(end, central_offset, 4);
        put_le(end, 0, 2);  // comment
        file_.write(end);
        return file_.finish();
    }

private:
    // The local header, with an "FB" extra field padding the data start to kZipAlignment.
    void start_member(std::string name, std::uint32_t crc, std::uint64_t size) {
        const std::uint64_t offset = file_.size();
        if (offset > kZip32Max || size > kZip32Max - offset) {
            throw std::runtime_error("torch checkpoint too large for a zip without zip64");
        }
        const std::uint64_t unpadded = offset + 30 + name.size() + 4;
        const std::uint64_t padding = (kZipAlignment - unpadded % kZipAlignment) % kZipAlignment;
        std::string header;
        put_le(header, 0x04034b50, 4);
        put_le(header, 20, 2);    // needed: 2.0
        put_le(header, 0, 2);     // flags
        put_le(header, 0, 2);     // stored
        put_le(header, 0, 2);     // time
        put_le(header, 0x21, 2);  // date 1980-01-01
        put_le(header, crc, 4);
        put_le(header, size, 4);
        put_le(header, size, 4);
        put_le(header, name.size(), 2);
        put_le(header, 4 + padding, 2);
        header += name;
        put_le(header, 0x4246, 2);  // "FB"
        put_le(header, padding, 2);
        header.append(padding, 'Z');
        file_.write(header);
        records_.push_back({std::move(name), crc, size, offset});
    }

    OutputFile file_;
    std::vector<ZipRecord> records_;
};

}  // namespace

std::uint64_t TensorSpec::numel() const {
    std::uint64_t count = 1;
    for (const auto dim : shape) {
        count *= dim;
    }
    return count;
}

std::uint64_t TensorSpec::bytes() const { return numel() * (dtype == "F16" ? 2 : 4); }

TensorSpec llama_tensor(std::uint64_t index) {
    const auto& kind = kLayerTensors[index % kLayerTensors.size()];
    const auto layer = index / kLayerTensors.size();
    TensorSpec tensor{"model.layers." + std::to_string(layer) + "." + kind.suffix, kind.dtype, {}};
    if (kind.rows != 0) {
        tensor.shape.push_back(kind.rows);
    }
    tensor.shape.push_back(kind.columns);
    return tensor;
}

std::vector<TensorSpec> llama_tensors(std::uint64_t min_bytes) {
    std::vector<TensorSpec> tensors;
    for (std::uint64_t total = 0; total < min_bytes;) {
        tensors.push_back(llama_tensor(tensors.size()));
        total += tensors.back().bytes();
    }
    return tensors;
}

WrittenFile write_safetensors(const std::filesystem::path& path,
                              const std::vector<TensorSpec>& tensors, std::uint64_t seed) {
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}};
    std::uint64_t data_bytes = 0;
    for (const auto& tensor : tensors) {
        header[tensor.name] = {{"dtype", tensor.dtype},
                               {"shape", tensor.shape},
                               {"data_offsets", nlohmann::ordered_json::array(
                                                    {data_bytes, data_bytes + tensor.bytes()})}};
        data_bytes += tensor.bytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::string length;
    put_le(length, text.size(), 8);
    OutputFile file(path);
    file.write(length);
    file.write(text);
    for_each_random_chunk(seed, data_bytes, [&file](std::string_view chunk) { file.write(chunk); });
    return file.finish();
}

WrittenFile write_torch_zip(const std::filesystem::path& path,
                            const std::vector<TensorSpec>& tensors, std::uint64_t seed) {
    StateDictPickle pickle;
    for (std::size_t index = 0; index < tensors.size(); ++index) {
        pickle.add(tensors[index].name, tensors[index], std::to_string(index));
    }
    ZipWriter zip(path);
    zip.add("archive/data.pkl", pickle.finish());
    zip.add("archive/byteorder", "little");
    for (std::size_t index = 0; index < tensors.size(); ++index) {
        zip.add_random("archive/data/" + std::to_string(index), tensors[index].bytes(),
                       seed + index);
    }
    zip.add("archive/version", "3\n");
    zip.add("archive/.data/serialization_id", "1234567890123456789012345678901234567890");
    return zip.finish();
}

StateDictPickle::StateDictPickle() {
    out_.proto(2).global("collections", "OrderedDict");
    put();  // memo 0: the OrderedDict class (every backward_hooks argument reuses it)
    out_.empty_tuple().reduce();
    put();  // memo 1: the state dict
}

std::uint32_t StateDictPickle::put() {
    if (next_memo_ < 256) {
        out_.binput(static_cast<int>(next_memo_));
    } else {
        out_.long_binput(next_memo_);
    }
    return next_memo_++;
}

bool StateDictPickle::reuse(const std::optional<std::uint32_t>& memo_index) {
    if (!memo_index) {
        return false;
    }
    if (*memo_index < 256) {
        out_.binget(static_cast<int>(*memo_index));
    } else {
        out_.long_binget(*memo_index);
    }
    return true;
}

// pickle.save_long for protocol 2: BININT1, BININT2, BININT, else LONG1.
void StateDictPickle::integer(std::uint64_t value) {
    if (value <= 0xFF) {
        out_.binint1(static_cast<int>(value));
    } else if (value <= 0xFFFF) {
        out_.op('M').uint_le(value, 2);
    } else if (value <= 0x7FFFFFFF) {
        out_.binint(static_cast<std::int32_t>(value));
    } else {
        int width = 8;
        while (((value >> (8 * (width - 1))) & 0xFF) == 0) {
            --width;
        }
        const bool sign_byte = ((value >> (8 * (width - 1))) & 0x80) != 0;
        const int length = sign_byte ? width + 1 : width;
        out_.op('\x8a').uint_le(static_cast<std::uint64_t>(length), 1);
        out_.uint_le(value, width);
        if (sign_byte) {
            out_.uint_le(0, 1);
        }
    }
}

// save_tuple: up to three items then TUPLE1..3, more after a MARK then TUPLE; memoized.
void StateDictPickle::int_tuple(const std::vector<std::uint64_t>& items) {
    if (items.empty()) {
        out_.empty_tuple();
        return;
    }
    if (items.size() > 3) {
        out_.mark();
    }
    for (const auto item : items) {
        integer(item);
    }
    switch (items.size()) {
        case 1: out_.tuple1(); break;
        case 2: out_.tuple2(); break;
        case 3: out_.tuple3(); break;
        default: out_.tuple(); break;
    }
    put();
}

void StateDictPickle::add(std::string_view name, const TensorSpec& tensor,
                          std::string_view storage_key) {
    if (batch_items_ == 0) {
        out_.mark();
    }
    out_.unicode(name);
    put();
    if (!reuse(rebuild_memo_)) {
        out_.global("torch._utils", "_rebuild_tensor_v2");
        rebuild_memo_ = put();
    }
    out_.mark().mark();  // the six arguments; the persistent id tuple
    if (!reuse(storage_text_memo_)) {
        out_.unicode("storage");
        storage_text_memo_ = put();
    }
    const bool half = tensor.dtype == "F16";
    auto& type_memo = half ? half_storage_memo_ : float_storage_memo_;
    if (!reuse(type_memo)) {
        out_.global("torch", half ? "HalfStorage" : "FloatStorage");
        type_memo = put();
    }
    out_.unicode(storage_key);
    put();
    if (!reuse(cpu_text_memo_)) {
        out_.unicode("cpu");
        cpu_text_memo_ = put();
    }
    integer(tensor.numel());
    out_.tuple();
    put();
    out_.binpersid();
    integer(0);  // storage offset
    int_tuple(tensor.shape);
    std::vector<std::uint64_t> stride(tensor.shape.size(), 1);
    for (std::size_t dim = stride.size(); dim-- > 1;) {
        stride[dim - 1] = stride[dim] * tensor.shape[dim];
    }
    int_tuple(stride);
    out_.newfalse();  // requires_grad
    reuse(std::uint32_t{0});
    out_.empty_tuple().reduce();  // backward_hooks: OrderedDict()
    put();
    out_.tuple();
    put();
    out_.reduce();
    put();
    if (++batch_items_ == kSetItemsBatch) {
        close_batch();
    }
}

void StateDictPickle::close_batch() {
    if (batch_items_ > 0) {
        out_.setitems();
        batch_items_ = 0;
    }
}

std::string StateDictPickle::finish() {
    close_batch();
    out_.empty_dict();  // state: {'_metadata': OrderedDict()}, then BUILD
    put();
    out_.unicode("_metadata");
    put();
    reuse(std::uint32_t{0});
    out_.empty_tuple().reduce();
    put();
    out_.setitem().build().stop();
    return out_.bytes();
}

}  // namespace aiops::bench
