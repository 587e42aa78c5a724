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
