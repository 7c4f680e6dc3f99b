# coact_module(<name> [DEPENDS <module>...] [LINK <target>...] [CUDA_LINK <target>...])
#
# Declares library coact_<name> from every .cpp under src/<name>/. Sources under a `cuda/`
# folder (.cpp and .cu) are the CUDA-only part: built, with CUDA_LINK, only in a CUDA build,
# which also defines COACT_HAVE_CUDA for this module alone. DEPENDS names earlier coact
# modules: the link graph is the dependency rule. LINK names the third-party libraries the
# module owns.
function(coact_module name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK;CUDA_LINK" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  list(FILTER sources EXCLUDE REGEX "/cuda/")
  if(COACT_HAVE_CUDA)
    file(GLOB_RECURSE cuda_sources CONFIGURE_DEPENDS
      "${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cpp" "${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu")
    list(APPEND sources ${cuda_sources})
  endif()
  add_library(coact_${name} STATIC ${sources})
  if(COACT_HAVE_CUDA AND cuda_sources)
    target_compile_definitions(coact_${name} PRIVATE COACT_HAVE_CUDA=1)
    target_link_libraries(coact_${name} PRIVATE ${ARG_CUDA_LINK})
    set_target_properties(coact_${name} PROPERTIES CUDA_SEPARABLE_COMPILATION OFF)
  endif()
  target_include_directories(coact_${name} PUBLIC
    "${PROJECT_SOURCE_DIR}/include" "${PROJECT_BINARY_DIR}/generated")
  target_include_directories(coact_${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(coact_${name} PUBLIC coact_${dep})
  endforeach()
  # Third-party libraries are private: a module's public headers never include them, so
  # their headers do not leak to dependants (static linking still carries the libraries).
  target_link_libraries(coact_${name} PRIVATE ${ARG_LINK})
  coact_warnings(coact_${name})
  set(COACT_MODULES ${COACT_MODULES} coact_${name} CACHE INTERNAL "coact module libraries")
endfunction()

# Warnings on for our own targets; -Werror in CI (COACT_WERROR).
function(coact_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow>
    # GCC 12 reports -Wrestrict false positives inside libstdc++'s string concatenation at -O3
    # (GCC bug 105651); nothing in our code can silence them.
    $<$<AND:$<COMPILE_LANG_AND_ID:CXX,GNU>,$<VERSION_GREATER_EQUAL:$<CXX_COMPILER_VERSION>,12>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${COACT_WERROR}>>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>
    $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${COACT_WERROR}>>:-Werror=all-warnings>)
endfunction()
