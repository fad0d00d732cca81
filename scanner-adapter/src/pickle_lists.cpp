#include "pickle_lists.h"

#include <algorithm>
#include <array>
#include <vector>

namespace aiops::scanner {

namespace {

struct ModuleRemap {
    std::string_view from;
    std::string_view to;
};

struct NameRemap {
    std::string_view from_module;
    std::string_view from_name;
    std::string_view to_module;
    std::string_view to_name;
};

// CPython 3.11 Lib/_compat_pickle.py IMPORT_MAPPING (55 entries) and NAME_MAPPING (88 entries).
constexpr auto kImportMapping = std::to_array<ModuleRemap>({
    {"BaseHTTPServer", "http.server"},
    {"CGIHTTPServer", "http.server"},
    {"ConfigParser", "configparser"},
    {"Cookie", "http.cookies"},
    {"Dialog", "tkinter.dialog"},
    {"DocXMLRPCServer", "xmlrpc.server"},
    {"FileDialog", "tkinter.filedialog"},
    {"HTMLParser", "html.parser"},
    {"Queue", "queue"},
    {"ScrolledText", "tkinter.scrolledtext"},
    {"SimpleDialog", "tkinter.simpledialog"},
    {"SimpleHTTPServer", "http.server"},
    {"SimpleXMLRPCServer", "xmlrpc.server"},
    {"SocketServer", "socketserver"},
    {"StringIO", "io"},
    {"Tix", "tkinter.tix"},
    {"Tkconstants", "tkinter.constants"},
    {"Tkdnd", "tkinter.dnd"},
    {"Tkinter", "tkinter"},
    {"UserDict", "collections"},
    {"UserList", "collections"},
    {"UserString", "collections"},
    {"__builtin__", "builtins"},
    {"_abcoll", "collections.abc"},
    {"_elementtree", "xml.etree.ElementTree"},
    {"_winreg", "winreg"},
    {"anydbm", "dbm"},
    {"cPickle", "pickle"},
    {"cStringIO", "io"},
    {"commands", "subprocess"},
    {"cookielib", "http.cookiejar"},
    {"copy_reg", "copyreg"},
    {"dbhash", "dbm.bsd"},
    {"dbm", "dbm.ndbm"},
    {"dumbdbm", "dbm.dumb"},
    {"dummy_thread", "_dummy_thread"},
    {"gdbm", "dbm.gnu"},
    {"htmlentitydefs", "html.entities"},
    {"httplib", "http.client"},
    {"markupbase", "_markupbase"},
    {"repr", "reprlib"},
    {"robotparser", "urllib.robotparser"},
    {"test.test_support", "test.support"},
    {"thread", "_thread"},
    {"tkColorChooser", "tkinter.colorchooser"},
    {"tkCommonDialog", "tkinter.commondialog"},
    {"tkFileDialog", "tkinter.filedialog"},
    {"tkFont", "tkinter.font"},
    {"tkMessageBox", "tkinter.messagebox"},
    {"tkSimpleDialog", "tkinter.simpledialog"},
    {"ttk", "tkinter.ttk"},
    {"urllib2", "urllib.request"},
    {"urlparse", "urllib.parse"},
    {"whichdb", "dbm"},
    {"xmlrpclib", "xmlrpc.client"},

});

constexpr auto kNameMapping = std::to_array<NameRemap>({
    {"UserDict", "IterableUserDict", "collections", "UserDict"},
    {"UserDict", "UserDict", "collections", "UserDict"},
    {"UserList", "UserList", "collections", "UserList"},
    {"UserString", "UserString", "collections", "UserString"},
    {"__builtin__", "basestring", "builtins", "str"},
    {"__builtin__", "intern", "sys", "intern"},
    {"__builtin__", "long", "builtins", "int"},
    {"__builtin__", "reduce", "functools", "reduce"},
    {"__builtin__", "unichr", "builtins", "chr"},
    {"__builtin__", "unicode", "builtins", "str"},
    {"__builtin__", "xrange", "builtins", "range"},
    {"_multiprocessing", "Connection", "multiprocessing.connection", "Connection"},
    {"_socket", "fromfd", "socket", "fromfd"},
    {"exceptions", "ArithmeticError", "builtins", "ArithmeticError"},
    {"exceptions", "AssertionError", "builtins", "AssertionError"},
    {"exceptions", "AttributeError", "builtins", "AttributeError"},
    {"exceptions", "BaseException", "builtins", "BaseException"},
    {"exceptions", "BufferError", "builtins", "BufferError"},
    {"exceptions", "BytesWarning", "builtins", "BytesWarning"},
    {"exceptions", "DeprecationWarning", "builtins", "DeprecationWarning"},
    {"exceptions", "EOFError", "builtins", "EOFError"},
    {"exceptions", "EnvironmentError", "builtins", "EnvironmentError"},
    {"exceptions", "Exception", "builtins", "Exception"},
    {"exceptions", "FloatingPointError", "builtins", "FloatingPointError"},
    {"exceptions", "FutureWarning", "builtins", "FutureWarning"},
    {"exceptions", "GeneratorExit", "builtins", "GeneratorExit"},
    {"exceptions", "IOError", "builtins", "IOError"},
    {"exceptions", "ImportError", "builtins", "ImportError"},
    {"exceptions", "ImportWarning", "builtins", "ImportWarning"},
    {"exceptions", "IndentationError", "builtins", "IndentationError"},
    {"exceptions", "IndexError", "builtins", "IndexError"},
    {"exceptions", "KeyError", "builtins", "KeyError"},
    {"exceptions", "KeyboardInterrupt", "builtins", "KeyboardInterrupt"},
    {"exceptions", "LookupError", "builtins", "LookupError"},
    {"exceptions", "MemoryError", "builtins", "MemoryError"},
    {"exceptions", "NameError", "builtins", "NameError"},
    {"exceptions", "NotImplementedError", "builtins", "NotImplementedError"},
    {"exceptions", "OSError", "builtins", "OSError"},
    {"exceptions", "OverflowError", "builtins", "OverflowError"},
    {"exceptions", "PendingDeprecationWarning", "builtins", "PendingDeprecationWarning"},
    {"exceptions", "ReferenceError", "builtins", "ReferenceError"},
    {"exceptions", "RuntimeError", "builtins", "RuntimeError"},
    {"exceptions", "RuntimeWarning", "builtins", "RuntimeWarning"},
    {"exceptions", "StandardError", "builtins", "Exception"},
    {"exceptions", "StopIteration", "builtins", "StopIteration"},
    {"exceptions", "SyntaxError", "builtins", "SyntaxError"},
    {"exceptions", "SyntaxWarning", "builtins", "SyntaxWarning"},
    {"exceptions", "SystemError", "builtins", "SystemError"},
    {"exceptions", "SystemExit", "builtins", "SystemExit"},
    {"exceptions", "TabError", "builtins", "TabError"},
    {"exceptions", "TypeError", "builtins", "TypeError"},
    {"exceptions", "UnboundLocalError", "builtins", "UnboundLocalError"},
    {"exceptions", "UnicodeDecodeError", "builtins", "UnicodeDecodeError"},
    {"exceptions", "UnicodeEncodeError", "builtins", "UnicodeEncodeError"},
    {"exceptions", "UnicodeError", "builtins", "UnicodeError"},
    {"exceptions", "UnicodeTranslateError", "builtins", "UnicodeTranslateError"},
    {"exceptions", "UnicodeWarning", "builtins", "UnicodeWarning"},
    {"exceptions", "UserWarning", "builtins", "UserWarning"},
    {"exceptions", "ValueError", "builtins", "ValueError"},
    {"exceptions", "Warning", "builtins", "Warning"},
    {"exceptions", "ZeroDivisionError", "builtins", "ZeroDivisionError"},
    {"itertools", "ifilter", "builtins", "filter"},
    {"itertools", "ifilterfalse", "itertools", "filterfalse"},
    {"itertools", "imap", "builtins", "map"},
    {"itertools", "izip", "builtins", "zip"},
    {"itertools", "izip_longest", "itertools", "zip_longest"},
    {"multiprocessing", "AuthenticationError", "multiprocessing.context", "AuthenticationError"},
    {"multiprocessing", "BufferTooShort", "multiprocessing.context", "BufferTooShort"},
    {"multiprocessing", "ProcessError", "multiprocessing.context", "ProcessError"},
    {"multiprocessing", "TimeoutError", "multiprocessing.context", "TimeoutError"},
    {"multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen"},
    {"multiprocessing.process", "Process", "multiprocessing.context", "Process"},
    {"socket", "_socketobject", "socket", "SocketType"},
    {"urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError"},
    {"urllib", "getproxies", "urllib.request", "getproxies"},
    {"urllib", "pathname2url", "urllib.request", "pathname2url"},
    {"urllib", "quote", "urllib.parse", "quote"},
    {"urllib", "quote_plus", "urllib.parse", "quote_plus"},
    {"urllib", "unquote", "urllib.parse", "unquote"},
    {"urllib", "unquote_plus", "urllib.parse", "unquote_plus"},
    {"urllib", "url2pathname", "urllib.request", "url2pathname"},
    {"urllib", "urlcleanup", "urllib.request", "urlcleanup"},
    {"urllib", "urlencode", "urllib.parse", "urlencode"},
    {"urllib", "urlopen", "urllib.request", "urlopen"},
    {"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
    {"urllib2", "HTTPError", "urllib.error", "HTTPError"},
    {"urllib2", "URLError", "urllib.error", "URLError"},
    {"whichdb", "whichdb", "dbm", "whichdb"},
});

// Exact dotted paths that legitimate checkpoints import: PyTorch's weights-only unpickler
// (torch/_weights_only_unpickler.py), picklescan's safe list, numpy array pickles, and the
// harmless builtins/stdlib types that protocol 0–2 pickles of plain data use.
constexpr auto kAllowed = std::to_array<std::string_view>({
    // collections and copyreg (protocol 0/1 objects: copy_reg._reconstructor + object)
    "collections.OrderedDict",
    "collections.Counter",
    "collections.defaultdict",
    "collections.deque",
    "copyreg._reconstructor",
    "copyreg.__newobj__",
    "copyreg.__newobj_ex__",
    "_codecs.encode",
    // builtins that only build plain values
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytearray",
    "builtins.bytes",
    "builtins.slice",
    "builtins.complex",
    "builtins.object",
    "builtins.list",
    "builtins.tuple",
    "builtins.dict",
    "builtins.int",
    "builtins.float",
    "builtins.str",
    "builtins.bool",
    "builtins.range",
    "builtins.Ellipsis",
    "builtins.NotImplemented",
    // stdlib value types common in checkpoints (training args, timestamps)
    "argparse.Namespace",
    "datetime.datetime",
    "datetime.date",
    "datetime.time",
    "datetime.timedelta",
    "datetime.timezone",
    "decimal.Decimal",
    "fractions.Fraction",
    "uuid.UUID",
    "pathlib.Path",
    "pathlib.PosixPath",
    "pathlib.WindowsPath",
    "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath",
    // numpy arrays, scalars and dtypes
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy._core.multiarray.scalar",
    "numpy.core.numeric._frombuffer",
    "numpy._core.numeric._frombuffer",
    // joblib's array placeholder: BUILD sets its fields, the array bytes follow the opcodes
    "joblib.numpy_pickle.NumpyArrayWrapper",
    "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    // torch tensors and parameters
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_wrapper_subclass",
    "torch._utils._rebuild_device_tensor_from_numpy",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor",
    "torch._tensor._rebuild_from_type_v2",
    "torch.nn.parameter.Parameter",
    "torch.Size",
    "torch.Tensor",
    "torch.device",
    "torch.serialization._get_layout",
    // torch storages (BINPERSID tuples)
    "torch.LongStorage",
    "torch.FloatStorage",
    "torch.HalfStorage",
    "torch.QUInt2x4Storage",
    "torch.QUInt4x2Storage",
    "torch.QInt32Storage",
    "torch.QInt8Storage",
    "torch.QUInt8Storage",
    "torch.ComplexFloatStorage",
    "torch.ComplexDoubleStorage",
    "torch.DoubleStorage",
    "torch.BFloat16Storage",
    "torch.BoolStorage",
    "torch.CharStorage",
    "torch.ShortStorage",
    "torch.IntStorage",
    "torch.ByteStorage",
    "torch.UntypedStorage",
    "torch.storage.UntypedStorage",
    "torch.storage.TypedStorage",
    // torch dtypes, layouts, memory formats, quantization schemes
    "torch.float32",
    "torch.float",
    "torch.float64",
    "torch.double",
    "torch.float16",
    "torch.half",
    "torch.bfloat16",
    "torch.uint8",
    "torch.int8",
    "torch.int16",
    "torch.short",
    "torch.int32",
    "torch.int",
    "torch.int64",
    "torch.long",
    "torch.bool",
    "torch.complex32",
    "torch.complex64",
    "torch.cfloat",
    "torch.complex128",
    "torch.cdouble",
    "torch.quint8",
    "torch.qint8",
    "torch.qint32",
    "torch.quint4x2",
    "torch.quint2x4",
    "torch.float8_e4m3fn",
    "torch.float8_e5m2",
    "torch.float8_e4m3fnuz",
    "torch.float8_e5m2fnuz",
    "torch.uint16",
    "torch.uint32",
    "torch.uint64",
    "torch.strided",
    "torch.sparse_coo",
    "torch.sparse_csr",
    "torch.contiguous_format",
    "torch.channels_last",
    "torch.preserve_format",
    "torch.per_tensor_affine",
    "torch.per_channel_affine",
    "torch.per_tensor_symmetric",
    "torch.per_channel_symmetric",
    "torch.per_channel_affine_float_qparams",
});

struct Denied {
    std::string_view path;  // a module ("os": everything in it) or a dotted callable
    Severity called_severity;
    std::string_view reason;
};

constexpr Severity kCritical = Severity::kCritical;
constexpr Severity kHigh = Severity::kHigh;
constexpr std::string_view kRunsCommands = "runs system commands or processes";
constexpr std::string_view kRunsCode = "runs Python code";
constexpr std::string_view kNested = "loads a second serialized payload";
constexpr std::string_view kFiles = "reads, writes or deletes files";
constexpr std::string_view kNetwork = "opens network connections";
constexpr std::string_view kEvasion = "tampers with model scanners";

// picklescan's unsafe list, modelscan's unsafe_globals and the bypasses in fickling's tests
// (shared/reference/modelspec-hf-scanning.md §3.1).
constexpr auto kDenied = std::to_array<Denied>({
    {"os", kCritical, kRunsCommands},
    {"posix", kCritical, kRunsCommands},
    {"nt", kCritical, kRunsCommands},
    {"subprocess", kCritical, kRunsCommands},
    {"commands", kCritical, kRunsCommands},
    {"pty", kCritical, kRunsCommands},
    {"_posixsubprocess", kCritical, kRunsCommands},
    {"multiprocessing", kCritical, kRunsCommands},
    {"asyncio", kCritical, kRunsCommands},
    {"_osx_support", kCritical, kRunsCommands},
    {"_aix_support", kCritical, kRunsCommands},
    {"uuid", kCritical, kRunsCommands},
    {"pydoc", kCritical, kRunsCommands},
    {"_pyrepl", kCritical, kRunsCommands},
    {"imaplib.IMAP4_stream", kCritical, kRunsCommands},
    {"pip", kCritical, kRunsCommands},
    {"ensurepip", kCritical, kRunsCommands},
    {"venv", kCritical, kRunsCommands},
    {"distutils", kCritical, kRunsCommands},
    {"setuptools", kCritical, kRunsCommands},
    {"webbrowser", kHigh, kRunsCommands},
    {"builtins.eval", kCritical, kRunsCode},
    {"builtins.exec", kCritical, kRunsCode},
    {"builtins.execfile", kCritical, kRunsCode},
    {"builtins.compile", kCritical, kRunsCode},
    {"builtins.apply", kCritical, kRunsCode},
    {"builtins.getattr", kCritical, kRunsCode},
    {"builtins.setattr", kCritical, kRunsCode},
    {"builtins.delattr", kCritical, kRunsCode},
    {"builtins.__import__", kCritical, kRunsCode},
    {"builtins.globals", kCritical, kRunsCode},
    {"builtins.locals", kCritical, kRunsCode},
    {"builtins.vars", kCritical, kRunsCode},
    {"builtins.breakpoint", kCritical, kRunsCode},
    {"builtins.input", kCritical, kRunsCode},
    {"builtins.help", kCritical, kRunsCode},
    {"builtins.exit", kHigh, kRunsCode},
    {"builtins.quit", kHigh, kRunsCode},
    {"builtins.open", kCritical, kFiles},
    {"runpy", kCritical, kRunsCode},
    {"sys", kCritical, kRunsCode},
    {"code", kCritical, kRunsCode},
    {"codeop", kCritical, kRunsCode},
    {"ctypes", kCritical, kRunsCode},
    {"_ctypes", kCritical, kRunsCode},
    {"cffi", kCritical, kRunsCode},
    {"importlib", kCritical, kRunsCode},
    {"imp", kCritical, kRunsCode},
    {"pkgutil", kCritical, kRunsCode},
    {"marshal", kCritical, kRunsCode},
    {"types.CodeType", kCritical, kRunsCode},
    {"types.FunctionType", kCritical, kRunsCode},
    {"types.LambdaType", kCritical, kRunsCode},
    {"types.MethodType", kCritical, kRunsCode},
    {"operator.attrgetter", kCritical, kRunsCode},
    {"operator.methodcaller", kCritical, kRunsCode},
    {"operator.itemgetter", kHigh, kRunsCode},
    {"_operator.attrgetter", kCritical, kRunsCode},
    {"_operator.methodcaller", kCritical, kRunsCode},
    {"_operator.itemgetter", kHigh, kRunsCode},
    {"functools.partial", kCritical, kRunsCode},
    {"functools.reduce", kCritical, kRunsCode},
    {"_thread", kCritical, kRunsCode},
    {"bdb", kCritical, kRunsCode},
    {"pdb", kCritical, kRunsCode},
    {"cProfile", kCritical, kRunsCode},
    {"profile", kCritical, kRunsCode},
    {"timeit", kCritical, kRunsCode},
    {"trace", kCritical, kRunsCode},
    {"doctest", kCritical, kRunsCode},
    {"idlelib", kCritical, kRunsCode},
    {"lib2to3", kCritical, kRunsCode},
    {"test", kCritical, kRunsCode},
    {"_interpreters", kCritical, kRunsCode},
    {"_xxsubinterpreters", kCritical, kRunsCode},
    {"cloudpickle.cloudpickle", kCritical, kRunsCode},
    {"numpy.f2py", kCritical, kRunsCode},
    {"numpy.testing", kCritical, kRunsCode},
    {"numpy.distutils", kCritical, kRunsCode},
    {"torch._dynamo.guards.GuardBuilder.get", kCritical, kRunsCode},
    {"torch._inductor.codecache", kCritical, kRunsCode},
    {"torch.fx.experimental.symbolic_shapes.ShapeEnv.evaluate_guards_expression", kCritical,
     kRunsCode},
    {"torch.jit.unsupported_tensor_ops.execWrapper", kCritical, kRunsCode},
    {"torch.utils._config_module.ConfigModule.load_config", kCritical, kRunsCode},
    {"torch.utils.bottleneck", kCritical, kRunsCode},
    {"torch.utils.collect_env", kCritical, kRunsCommands},
    {"torch.utils.data.datapipes.utils.decoder.basichandlers", kCritical, kNested},
    {"torch.hub", kCritical, kRunsCode},
    {"torch.load", kCritical, kNested},
    {"torch.serialization.load", kCritical, kNested},
    {"torch.jit.load", kCritical, kNested},
    {"numpy.load", kCritical, kNested},
    {"numpy.loads", kCritical, kNested},
    {"numpy.lib.npyio.load", kCritical, kNested},
    {"pickle", kCritical, kNested},
    {"_pickle", kCritical, kNested},
    {"cPickle", kCritical, kNested},
    {"dill", kCritical, kNested},
    {"shelve", kCritical, kNested},
    {"joblib.load", kCritical, kNested},
    {"joblib.numpy_pickle.load", kCritical, kNested},
    {"shutil", kCritical, kFiles},
    {"_io.FileIO", kCritical, kFiles},
    {"io.FileIO", kCritical, kFiles},
    {"io.open", kCritical, kFiles},
    {"_io.open", kCritical, kFiles},
    {"tempfile", kHigh, kFiles},
    {"logging.FileHandler", kHigh, kFiles},
    {"socket", kCritical, kNetwork},
    {"_socket", kCritical, kNetwork},
    {"ssl", kHigh, kNetwork},
    {"http.client", kHigh, kNetwork},
    {"httplib", kHigh, kNetwork},
    {"urllib.request", kHigh, kNetwork},
    {"urllib2", kHigh, kNetwork},
    {"requests", kHigh, kNetwork},
    {"aiohttp", kHigh, kNetwork},
    {"smtplib", kHigh, kNetwork},
    {"ftplib", kHigh, kNetwork},
    {"poplib", kHigh, kNetwork},
    {"telnetlib", kHigh, kNetwork},
    {"xmlrpc", kHigh, kNetwork},
    {"socketserver", kHigh, kNetwork},
    {"http.server", kHigh, kNetwork},
    {"fickling", kCritical, kEvasion},
    {"picklescan", kCritical, kEvasion},
    {"modelscan", kCritical, kEvasion},
    {"modelaudit", kCritical, kEvasion},
});

constexpr std::size_t kMaxComponents = 64;

std::vector<std::string_view> split_components(std::string_view dotted) {
    std::vector<std::string_view> parts;
    while (!dotted.empty() && parts.size() <= kMaxComponents) {
        const auto dot = dotted.find('.');
        parts.push_back(dotted.substr(0, dot));
        if (dot == std::string_view::npos) {
            break;
        }
        dotted.remove_prefix(dot + 1);
    }
    return parts;
}

const Denied* find_denied(std::string_view path) {
    const auto* found = std::ranges::find(kDenied, path, &Denied::path);
    return found == kDenied.end() ? nullptr : found;
}

// The first denied entry among the windows of `parts` that start at 0 (prefixes) or at a
// component of the name that has attributes after it (attribute paths through another module,
// e.g. pathlib.os.system; a function merely named `profile` is not the profile module).
const Denied* match_denied(const std::vector<std::string_view>& parts, std::size_t first_name) {
    for (std::size_t start = 0; start < parts.size(); ++start) {
        if (start != 0 && (start < first_name || start + 1 >= parts.size())) {
            continue;
        }
        std::string window;
        for (std::size_t end = start; end < parts.size(); ++end) {
            if (end != start) {
                window += '.';
            }
            window += parts[end];
            if (const auto* denied = find_denied(window)) {
                return denied;
            }
        }
    }
    return nullptr;
}

}  // namespace

ModuleName compat_remap(std::string_view module, std::string_view name) {
    for (const auto& entry : kNameMapping) {
        if (entry.from_module == module && entry.from_name == name) {
            return {std::string(entry.to_module), std::string(entry.to_name)};
        }
    }
    const auto* found = std::ranges::find(kImportMapping, module, &ModuleRemap::from);
    if (found != kImportMapping.end()) {
        return {std::string(found->to), std::string(name)};
    }
    return {std::string(module), std::string(name)};
}

ImportVerdict classify_import(std::string_view module, std::string_view name) {
    if (module == "__builtin__") {
        module = "builtins";  // Python 2 spelling, whatever the protocol said
    }
    std::string full = std::string(module) + "." + std::string(name);
    if (std::ranges::find(kAllowed, std::string_view(full)) != kAllowed.end()) {
        return {.kind = ImportClass::kAllowed};
    }
    auto parts = split_components(module);
    const auto first_name = parts.size();
    for (auto part : split_components(name)) {
        parts.push_back(part);
    }
    if (parts.size() > kMaxComponents) {
        return {.kind = ImportClass::kUnknown};
    }
    if (const auto* denied = match_denied(parts, first_name)) {
        return {.kind = ImportClass::kDenied,
                .called_severity = denied->called_severity,
                .matched = std::string(denied->path),
                .reason = denied->reason};
    }
    return {.kind = ImportClass::kUnknown};
}

bool is_nested_loader(std::string_view module, std::string_view name) {
    constexpr auto kLoaderModules =
        std::to_array<std::string_view>({"pickle", "_pickle", "cPickle", "dill", "dill._dill",
                                         "cloudpickle", "cloudpickle.cloudpickle"});
    return (name == "loads" || name == "_loads") &&
           std::ranges::find(kLoaderModules, module) != kLoaderModules.end();
}

}  // namespace aiops::scanner
