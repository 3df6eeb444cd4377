# Small helpers shared by every folder.

# etchsim_test(NAME src... DEPS lib...): one GoogleTest binary, discovered
# at ctest time so that building never runs tests.
function(etchsim_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock
                        GTest::gtest_main)
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
                       PROPERTIES LABELS "${labels}"
                       WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endfunction()

# etchsim_embed(TARGET name NAMESPACE ns FUNCTION fn FILES f...): compiles
# the given text files into the library as a sorted table, so the binary
# carries its bundled models and presets and runs from any directory (and in
# a FROM-scratch container).
function(etchsim_embed)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_embedded.cc)
  set(abs_files)
  foreach(f ${ARG_FILES})
    list(APPEND abs_files ${CMAKE_CURRENT_SOURCE_DIR}/${f})
  endforeach()
  # Pass the list with '|' separators: ';' would split the shell command.
  string(REPLACE ";" "|" files_arg "${abs_files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE}
            -DFUNCTION=${ARG_FUNCTION} -DFILES=${files_arg}
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${abs_files} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${ARG_TARGET} resources"
    VERBATIM)
  add_library(${ARG_TARGET} STATIC ${out})
  target_include_directories(${ARG_TARGET} PUBLIC ${CMAKE_SOURCE_DIR})
endfunction()
