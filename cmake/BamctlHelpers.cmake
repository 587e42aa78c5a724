# bamctl_add_test(NAME name SOURCES ... DEPS ... [LABELS unit|integration]
#                 [PROGRAMS bam-controller bam-agentd bam-emulator bamctl])
# One helper registers every test so that labels, timeouts and the GoogleTest
# main are uniform across the tree. PROGRAMS are built before the test and
# found by it through $BAMCTL_CONTROLLER_BIN, $BAMCTL_AGENTD_BIN,
# $BAMCTL_EMULATOR_BIN and $BAMCTL_BIN.
function(bamctl_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;DEPS;LABELS;PROGRAMS" ${ARGN})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  set_property(GLOBAL APPEND PROPERTY BAMCTL_TEST_TARGETS ${T_NAME})
  if("unit" IN_LIST T_LABELS)
    # Collected into the unit-tests target (the ASan build makes only those).
    set_property(GLOBAL APPEND PROPERTY BAMCTL_UNIT_TEST_TARGETS ${T_NAME})
  endif()
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS "${T_LABELS}"
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "BAMCTL_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  foreach(program IN LISTS T_PROGRAMS)
    if(program STREQUAL "bamctl")
      set(variable BAMCTL_BIN)
    else()
      string(REGEX REPLACE "^bam-" "" variable "${program}")
      string(TOUPPER "BAMCTL_${variable}_BIN" variable)
    endif()
    set_property(TEST ${T_NAME} APPEND PROPERTY
      ENVIRONMENT "${variable}=$<TARGET_FILE:${program}>")
    add_dependencies(${T_NAME} ${program})
  endforeach()
endfunction()

# Precompiled headers. Most of a translation unit's compile time here is
# parsing the same system headers (gRPC, protobuf, abseil, GoogleTest): 8 of
# the 15 s a typical controller source takes. Two headers are precompiled
# once and reused by every target: one for the code, one that adds gtest and
# gmock for the tests. Only system headers go in, so a project header change
# never rebuilds them, and clang-tidy (scripts/lint.sh drops the -include)
# still sees every include a source is missing.
option(BAMCTL_PCH "Precompile the common system headers" ON)
set(BAMCTL_PCH_HEADERS
  <algorithm> <chrono> <cstdint> <filesystem> <fstream> <functional> <map>
  <memory> <optional> <set> <sstream> <string> <thread> <utility> <vector>
  "<absl/status/status.h>" "<absl/status/statusor.h>" "<absl/strings/match.h>"
  "<absl/strings/str_cat.h>" "<absl/strings/str_join.h>" "<absl/strings/str_split.h>"
  "<absl/strings/string_view.h>" "<absl/synchronization/mutex.h>" "<absl/time/time.h>"
  "<google/protobuf/message.h>" "<google/protobuf/repeated_field.h>"
  "<grpcpp/grpcpp.h>")

# Makes the two header targets; call before any target that uses them.
function(bamctl_define_pch)
  if(NOT BAMCTL_PCH)
    return()
  endif()
  set(empty ${PROJECT_BINARY_DIR}/bamctl_pch_empty.cc)
  file(CONFIGURE OUTPUT ${empty} CONTENT "// Compiles the precompiled headers.\n")
  add_library(bamctl_pch STATIC ${empty})
  target_link_libraries(bamctl_pch PRIVATE absl::status absl::statusor absl::strings
                        absl::synchronization absl::time protobuf::libprotobuf gRPC::grpc++)
  target_precompile_headers(bamctl_pch PRIVATE ${BAMCTL_PCH_HEADERS})
  if(BAMCTL_BUILD_TESTS)
    add_library(bamctl_test_pch STATIC ${empty})
    target_link_libraries(bamctl_test_pch PRIVATE absl::status absl::statusor absl::strings
                          absl::synchronization absl::time protobuf::libprotobuf gRPC::grpc++
                          GTest::gmock GTest::gtest)
    target_precompile_headers(bamctl_test_pch PRIVATE ${BAMCTL_PCH_HEADERS}
                              "<gtest/gtest.h>" "<gmock/gmock.h>")
  endif()
endfunction()

# Gives every C++ library and program under `dir` that has no header of its
# own the shared precompiled header (the tests' one for test programs).
function(bamctl_use_pch dir)
  if(NOT BAMCTL_PCH)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(tests GLOBAL PROPERTY BAMCTL_TEST_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|EXECUTABLE|OBJECT_LIBRARY)$"
       OR target MATCHES "^bamctl(_test)?_pch$")
      continue()
    endif()
    get_target_property(own ${target} PRECOMPILE_HEADERS_REUSE_FROM)
    if(own)
      continue()
    endif()
    if(target IN_LIST tests)
      target_precompile_headers(${target} REUSE_FROM bamctl_test_pch)
    else()
      target_precompile_headers(${target} REUSE_FROM bamctl_pch)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    bamctl_use_pch(${subdir})
  endforeach()
endfunction()
