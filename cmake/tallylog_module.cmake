# tallylog_module(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...] [TESTS ...] [TEST_DEPS ...])
#
# Declares the static library tallylog_<name> and, when TESTS are given, the GoogleTest binary
# tallylog_<name>_test registered with ctest. DEPS are public (their headers appear in ours);
# PRIVATE_DEPS are implementation details (third-party libraries stay there, see STYLE.md #9).
function(tallylog_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(tallylog_${name} STATIC ${M_SOURCES})
  target_include_directories(tallylog_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(tallylog_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  if(M_TESTS)
    add_executable(tallylog_${name}_test ${M_TESTS})
    target_link_libraries(tallylog_${name}_test PRIVATE tallylog_${name} ${M_TEST_DEPS}
                          tallylog_testing GTest::gtest GTest::gtest_main GTest::gmock)
    gtest_discover_tests(tallylog_${name}_test DISCOVERY_MODE PRE_TEST
                         PROPERTIES ENVIRONMENT "TALLYLOG_SHARED_DATA=${TALLYLOG_SHARED_DATA_DIR};TALLYLOG_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()
