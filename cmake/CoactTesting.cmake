# Test helpers.
#   coact_unit_tests(<module> LINK <targets...>)  -> test_<module> from test_*.cpp, label "unit"
#   coact_mpi_tests(<module> LINK <targets...> [RANKS 1 2 3]) -> test_<module>_mpi from mpi_*.cpp,
#       registered once per rank count as <module>_mpi_np<N>, label "mpi"
#   coact_python_test(<name> SCRIPT <file> [ARGS ...] [LABELS ...]) -> run with COACT_PYTHON

set(COACT_TEST_ENV
  "OMPI_ALLOW_RUN_AS_ROOT=1" "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  "OMPI_MCA_rmaps_base_oversubscribe=1" "OMP_NUM_THREADS=1"
  "COACT_BUILD_DIR=${PROJECT_BINARY_DIR}" "COACT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
  "COACT_PYTHON=${COACT_PYTHON}")

function(coact_unit_tests module)
  cmake_parse_arguments(ARG "" "" "LINK" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/test_*.cpp")
  if(NOT sources)
    return()
  endif()
  add_executable(test_${module} ${sources})
  target_link_libraries(test_${module} PRIVATE ${ARG_LINK} GTest::gtest GTest::gtest_main)
  target_include_directories(test_${module} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  coact_warnings(test_${module})
  add_test(NAME ${module}_unit COMMAND test_${module} --gtest_brief=1)
  set_tests_properties(${module}_unit PROPERTIES LABELS "unit;${module}" TIMEOUT 600
    ENVIRONMENT "${COACT_TEST_ENV}" WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
endfunction()

function(coact_mpi_tests module)
  cmake_parse_arguments(ARG "" "" "LINK;RANKS" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 1 2 3)
  endif()
  file(GLOB sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/mpi_*.cpp")
  if(NOT sources)
    return()
  endif()
  add_executable(test_${module}_mpi ${sources} "${PROJECT_SOURCE_DIR}/tests/support/mpi_test_main.cpp")
  target_link_libraries(test_${module}_mpi PRIVATE ${ARG_LINK} MPI::MPI_C GTest::gtest)
  target_include_directories(test_${module}_mpi PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  coact_warnings(test_${module}_mpi)
  foreach(np IN LISTS ARG_RANKS)
    add_test(NAME ${module}_mpi_np${np}
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
              $<TARGET_FILE:test_${module}_mpi> --gtest_brief=1 ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${module}_mpi_np${np} PROPERTIES LABELS "mpi;${module}" TIMEOUT 600
      PROCESSORS ${np} ENVIRONMENT "${COACT_TEST_ENV}" WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endforeach()
endfunction()

function(coact_python_test name)
  cmake_parse_arguments(ARG "" "SCRIPT" "ARGS;LABELS;FIXTURES_REQUIRED;FIXTURES_SETUP;DEPENDS" ${ARGN})
  add_test(NAME ${name} COMMAND ${COACT_PYTHON} "${ARG_SCRIPT}" ${ARG_ARGS})
  set(labels python ${ARG_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 900 ENVIRONMENT "${COACT_TEST_ENV}"
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  if(ARG_FIXTURES_REQUIRED)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${ARG_FIXTURES_REQUIRED}")
  endif()
  if(ARG_FIXTURES_SETUP)
    set_tests_properties(${name} PROPERTIES FIXTURES_SETUP "${ARG_FIXTURES_SETUP}")
  endif()
endfunction()
