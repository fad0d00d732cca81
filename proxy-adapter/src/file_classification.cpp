// classify_file (model_manifest.h): modctl's file classification, shared/reference/
// modelspec-hf-scanning.md §1.5. Patterns are Go filepath.Match globs, written here lower-cased
// because both sides are lower-cased before matching.
#include <algorithm>
#include <array>
#include <string>

#include "model_manifest.h"

namespace aiops::proxy {
namespace {

using common::modelpack::LayerKind;

constexpr std::uint64_t kWeightSizeThreshold = 128ULL * 1024 * 1024;  // modctl: 128 MiB

constexpr std::array kConfigPatterns = {
    "*.json",
    "*.jsonl",
    "*.json5",
    "*.jsonc",
    "*.yaml",
    "*.yml",
    "*.toml",
    "*.ini",
    "*.config",
    "*.cfg",
    "*.conf",
    "*.properties",
    "*.props",
    "*.prop",
    "*.xml",
    "*.xsd",
    "*.rng",
    "*.modelcard",
    "*.meta",
    "*tokenizer.model*",
    "*.tiktoken",
    "vocab.txt",
    "merges.txt",
    "added_tokens.txt",
    "spiece.model",
    "sentencepiece*.model",
    "sentencepiece*.vocab",
    "tiktoken.model",
    "chat_template.jinja",
    "config.json.*",
    "*.hparams",
    "*.params",
    "*.hyperparams",
    "*.wandb",
    "*.mlflow",
    "*.tensorboard",
};

constexpr std::array kWeightPatterns = {
    // PyTorch / safetensors
    "*.safetensors",
    "*.bin",
    "*.bin.*",
    "*.pt",
    "*.pth",
    "*.mar",
    "*.pte",
    "*.pt2",
    "*.ptl",
    // TensorFlow / Keras
    "*.tflite",
    "*.h5",
    "*.hdf",
    "*.hdf5",
    "*.pb",
    "*.meta",
    "*.data-*",
    "*.index",
    // GGUF / GGML
    "*.gguf",
    "*.gguf.*",
    "*.ggml",
    "*.ggmf",
    "*.ggjt",
    "*.q4_0",
    "*.q4_1",
    "*.q5_0",
    "*.q5_1",
    "*.q8_0",
    "*.f16",
    "*.f32",
    // checkpoints
    "*.ckpt",
    "*.checkpoint",
    "*.dist_ckpt",
    "tensor[0-9]*_[0-9]*",
    // generic
    "*.tensor",
    "*.weights",
    "*.state",
    "*.embedding",
    "*.vocab",
    // other frameworks
    "*.ot",
    "*.engine",
    "*.trt",
    "*.onnx",
    "*.onnx_data*",
    "*.msgpack",
    "*.model",
    "*.pkl",
    "*.pickle",
    "*.keras",
    "*.joblib",
    "*.npy",
    "*.npz",
    "*.nc",
    "*.mlmodel",
    "*.coreml",
    "*.mil",
    "*.mleap",
    "*.surml",
    "*.llamafile",
    "*.llamafile.*",
    "*.caffemodel",
    "*.prototxt",
    "*.dlc",
    "*.circle",
    "*.nb",
    // data
    "*.arrow",
    "*.parquet",
    "*.ftz",
    "*.ark",
    "*.db",
};

constexpr std::array kCodePatterns = {
    // source files
    "*.py",
    "*.ipynb",
    "*.sh",
    "*.patch",
    "*.c",
    "*.h",
    "*.hxx",
    "*.cpp",
    "*.cc",
    "*.cxx",
    "*.c++",
    "*.hpp",
    "*.hh",
    "*.h++",
    "*.java",
    "*.js",
    "*.mjs",
    "*.cjs",
    "*.jsx",
    "*.ts",
    "*.tsx",
    "*.go",
    "*.rs",
    "*.swift",
    "*.rb",
    "*.php",
    "*.scala",
    "*.kt",
    "*.kts",
    "*.r",
    "*.m",
    "*.mm",
    "*.f",
    "*.f90",
    "*.f95",
    "*.f03",
    "*.f08",
    "*.jl",
    "*.lua",
    "*.pl",
    "*.pm",
    "*.cs",
    "*.vb",
    "*.dart",
    "*.groovy",
    "*.elm",
    "*.erl",
    "*.hrl",
    "*.ex",
    "*.exs",
    "*.hs",
    "*.lhs",
    "*.clj",
    "*.cljs",
    "*.cljc",
    "*.cl",
    "*.lisp",
    "*.lsp",
    "*.scm",
    "*.ss",
    "*.rkt",
    "*.sql",
    "*.psql",
    "*.mysql",
    "*.sqlite",
    "*.zig",
    "*.cu",
    "*.cuh",
    // scripting
    "*.bash",
    "*.zsh",
    "*.fish",
    "*.csh",
    "*.tcsh",
    "*.ksh",
    "*.ps1",
    "*.psm1",
    "*.psd1",
    "*.bat",
    "*.cmd",
    "*.vbs",
    "*.wsf",
    "*.applescript",
    "*.scpt",
    "*.awk",
    "*.sed",
    "*.expect",
    // build and project files
    "*.env",
    "*.env.*",
    ".env*",
    "makefile*",
    "*.dockerfile",
    "dockerfile*",
    "*.mk",
    "*.cmake",
    "cmakelists.txt",
    "*.gradle",
    "*.gradle.kts",
    "build.gradle*",
    "settings.gradle*",
    "*.sbt",
    "*.mill",
    "*.bazel",
    "*.bzl",
    "build*",
    "workspace*",
    "*.buck",
    "buck*",
    "*.ninja",
    "*.gyp",
    "*.gypi",
    "*.waf",
    "wscript*",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements*.txt",
    "pipfile*",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "poetry.lock",
    "cargo.toml",
    "cargo.lock",
    "go.mod",
    "go.sum",
    "composer.json",
    "composer.lock",
    "gemfile*",
    "*.gemspec",
    "mix.exs",
    "mix.lock",
    "rebar.config",
    "rebar.lock",
    // native libraries
    "*.so",
    "*.dll",
    "*.dylib",
    "*.lib",
    "*.a",
};

constexpr std::array kDocPatterns = {
    // text
    "*.txt",
    "*.md",
    "*.pdf",
    "license*",
    "readme*",
    "setup*",
    "*requirements*",
    "*.log",
    "*.tfevents*",
    // office and ebooks
    "*.doc",
    "*.docx",
    "*.docm",
    "*.dot",
    "*.dotx",
    "*.dotm",
    "*.rtf",
    "*.odt",
    "*.ott",
    "*.fodt",
    "*.pages",
    "*.wpd",
    "*.xls",
    "*.xlsx",
    "*.xlsm",
    "*.xlsb",
    "*.xlt",
    "*.xltx",
    "*.xltm",
    "*.ods",
    "*.ots",
    "*.fods",
    "*.numbers",
    "*.csv",
    "*.ppt",
    "*.pptx",
    "*.pptm",
    "*.pps",
    "*.ppsx",
    "*.ppsm",
    "*.pot",
    "*.potx",
    "*.potm",
    "*.odp",
    "*.otp",
    "*.fodp",
    "*.key",
    "*.epub",
    "*.mobi",
    "*.azw",
    "*.azw3",
    "*.fb2",
    "*.fb3",
    "*.lit",
    "*.pdb",
    "*.djvu",
    "*.djv",
    // web and markup
    "*.html",
    "*.htm",
    "*.xhtml",
    "*.mhtml",
    "*.mht",
    "*.xml",
    "*.xsl",
    "*.xslt",
    "*.tex",
    "*.latex",
    "*.ltx",
    "*.bib",
    "*.rst",
    "*.asciidoc",
    "*.adoc",
    "*.textile",
    "*.wiki",
    "*.mediawiki",
    "*.org",
    "*.texi",
    "*.texinfo",
    "*.info",
    "*.man",
    "*.chm",
    "*.hlp",
    "*.xps",
    // images and video
    "*.jpg",
    "*.jpeg",
    "*.png",
    "*.gif",
    "*.bmp",
    "*.tiff",
    "*.ico",
    "*.webp",
    "*.heic",
    "*.heif",
    "*.hevc",
    "*.svg",
    "*.mp4",
    "*.mov",
    "*.avi",
    "*.mkv",
    "*.webm",
    "*.m4v",
    "*.flv",
    "*.wmv",
    "*.mpg",
    "*.mpeg",
};

// One `[...]` class of a glob at pattern[0] == '['. Sets `end` past the class; false when the
// class is malformed (no closing ']'), which never matches, like Go's ErrBadPattern.
bool match_class(std::string_view pattern, char ch, std::size_t& end) {
    std::size_t index = 1;
    const bool negated = index < pattern.size() && (pattern[index] == '^' || pattern[index] == '!');
    index += negated ? 1 : 0;
    bool matched = false;
    for (bool first = true; index < pattern.size() && (first || pattern[index] != ']');
         first = false) {
        const char low = pattern[index];
        char high = low;
        if (index + 2 < pattern.size() && pattern[index + 1] == '-' && pattern[index + 2] != ']') {
            high = pattern[index + 2];
            index += 2;
        }
        matched = matched || (ch >= low && ch <= high);
        ++index;
    }
    if (index >= pattern.size()) {
        return false;
    }
    end = index + 1;
    return matched != negated;
}

// Whether the single character `text[0]` matches the pattern element at pattern[0] (not '*');
// `width` is set to the element's length.
bool match_one(std::string_view pattern, char ch, std::size_t& width) {
    if (pattern[0] == '[') {
        return match_class(pattern, ch, width);
    }
    width = 1;
    return pattern[0] == '?' ? ch != '/' : pattern[0] == ch;
}

}  // namespace

// Go filepath.Match semantics for '*', '?' and '[...]' on a single path segment (no escapes: none
// of our patterns needs one). Iterative with one backtrack point, so linear in practice.
bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t pattern_pos = 0;
    std::size_t text_pos = 0;
    std::size_t star_pattern = std::string_view::npos;
    std::size_t star_text = 0;
    while (text_pos < text.size()) {
        std::size_t width = 0;
        if (pattern_pos < pattern.size() && pattern[pattern_pos] == '*') {
            star_pattern = ++pattern_pos;
            star_text = text_pos;
        } else if (pattern_pos < pattern.size() &&
                   match_one(pattern.substr(pattern_pos), text[text_pos], width)) {
            pattern_pos += width;
            ++text_pos;
        } else if (star_pattern != std::string_view::npos && text[star_text] != '/') {
            pattern_pos = star_pattern;
            text_pos = ++star_text;
        } else {
            return false;
        }
    }
    while (pattern_pos < pattern.size() && pattern[pattern_pos] == '*') {
        ++pattern_pos;
    }
    return pattern_pos == pattern.size();
}

namespace {

template <std::size_t kCount>
bool matches_any(const std::array<const char*, kCount>& patterns, std::string_view name) {
    for (const char* pattern : patterns) {
        if (glob_match(pattern, name)) {
            return true;
        }
    }
    return false;
}

std::string lower_case(std::string_view text) {
    std::string lower(text);
    for (char& ch : lower) {
        if (ch >= 'A' && ch <= 'Z') {
            ch = static_cast<char>(ch - 'A' + 'a');
        }
    }
    return lower;
}

// modctl's skip list: hidden files and directories, __pycache__, compiled Python, Modelfile.
bool is_skipped(std::string_view path, std::string_view base) {
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        const std::string_view segment = path.substr(start, slash - start);
        if (segment.starts_with('.') || segment == "__pycache__") {
            return true;
        }
        start = slash + 1;
    }
    return base == "modelfile" || glob_match("*.pyc", base) || glob_match("*.pyo", base) ||
           glob_match("*.pyd", base);
}

}  // namespace

std::optional<common::modelpack::LayerKind> classify_file(std::string_view path,
                                                          std::uint64_t size) {
    const std::size_t slash = path.rfind('/');
    const std::string base =
        lower_case(slash == std::string_view::npos ? path : path.substr(slash + 1));
    if (base.empty() || is_skipped(path, base)) {
        return std::nullopt;
    }
    if (matches_any(kConfigPatterns, base)) {
        return LayerKind::kWeightConfig;
    }
    if (matches_any(kWeightPatterns, base)) {
        return LayerKind::kWeight;
    }
    if (matches_any(kCodePatterns, base)) {
        return LayerKind::kCode;
    }
    if (matches_any(kDocPatterns, base)) {
        return LayerKind::kDoc;
    }
    return size > kWeightSizeThreshold ? LayerKind::kWeight : LayerKind::kCode;
}

}  // namespace aiops::proxy
