// The one source of aiops_test_pch (tests/CMakeLists.txt): the target exists to build the
// precompiled header every test executable of a clang tree reuses.
