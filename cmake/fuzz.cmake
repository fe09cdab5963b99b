# libFuzzer targets, built by scripts/fuzz.sh into build/fuzz. The root CMakeLists.txt
# includes this file only when AMSTREAM_FUZZ is ON, so the usual g++ builds never see
# these flags.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "AMSTREAM_FUZZ needs clang for libFuzzer: configure with CXX=clang++")
endif()

# Undefined behaviour must stop the run (libFuzzer only keeps inputs that crash), and
# libstdc++'s assertions turn a read of an empty optional or a bad index into a crash
# instead of a silently wrong value.
set(AMSTREAM_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
set(AMSTREAM_FUZZ_DEFINITIONS _GLIBCXX_ASSERTIONS)

# In a fuzz build the core library carries coverage instrumentation too, so any target
# there that links it (a future fuzzer over the pipeline or a store) is guided through
# it, and every target linking it gets the sanitizer runtimes.
target_compile_options(amstream_core PRIVATE -fsanitize=fuzzer-no-link ${AMSTREAM_FUZZ_SANITIZE})
target_compile_definitions(amstream_core PUBLIC ${AMSTREAM_FUZZ_DEFINITIONS})
target_link_options(amstream_core INTERFACE -fsanitize=address,undefined)

# Classification needs only these folders; compiling them alone keeps a fuzz build short,
# instead of building the stores, HTTP and SQS code with clang as well.
file(GLOB AMSTREAM_CLASSIFY_SOURCES CONFIGURE_DEPENDS
  src/ams/*.cc src/sns/*.cc src/json/*.cc src/common/*.cc)
list(FILTER AMSTREAM_CLASSIFY_SOURCES EXCLUDE REGEX "(_test|_fuzz)\\.cc$")
add_library(amstream_classify_instrumented STATIC ${AMSTREAM_CLASSIFY_SOURCES})
target_include_directories(amstream_classify_instrumented PUBLIC src)
target_compile_options(amstream_classify_instrumented PRIVATE
  ${AMSTREAM_WARNINGS} -fsanitize=fuzzer-no-link ${AMSTREAM_FUZZ_SANITIZE})
target_compile_definitions(amstream_classify_instrumented PUBLIC ${AMSTREAM_FUZZ_DEFINITIONS})
target_link_libraries(amstream_classify_instrumented PUBLIC simdjson::simdjson fmt::fmt)

add_executable(amstream_classify_fuzz src/ams/classify_fuzz.cc)
target_compile_options(amstream_classify_fuzz PRIVATE
  ${AMSTREAM_WARNINGS} -fsanitize=fuzzer ${AMSTREAM_FUZZ_SANITIZE})
target_link_options(amstream_classify_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
target_link_libraries(amstream_classify_fuzz PRIVATE amstream_classify_instrumented)
