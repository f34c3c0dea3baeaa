# warden_add_module(NAME <module> LAYER <n> [TORCH] SOURCES ... DEPS ... )
#
# One CMake target per module, `warden_<module>`. A module may link only modules of a lower
# layer (checked here at configure time) and, if it is an ML module (TORCH), LibTorch through
# the shared precompiled header. The same rule is checked on #include lines by the
# `layering` test (cmake/check_layering.cmake).
set_property(GLOBAL PROPERTY WARDEN_MODULE_LAYERS "")

function(warden_add_module)
  cmake_parse_arguments(M "TORCH" "NAME;LAYER" "SOURCES;DEPS;LIBS" ${ARGN})
  set(target warden_${M_NAME})
  add_library(${target} STATIC ${M_SOURCES})
  set_property(GLOBAL APPEND PROPERTY WARDEN_MODULE_LAYERS "${M_NAME}=${M_LAYER}")
  set_target_properties(${target} PROPERTIES WARDEN_LAYER ${M_LAYER} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/include PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  foreach(dep IN LISTS M_DEPS)
    get_target_property(dep_layer warden_${dep} WARDEN_LAYER)
    # Sub-targets of one module (engine_formats, engine_tokenizer, engine) may link each other.
    string(REGEX REPLACE "_.*" "" dep_family ${dep})
    string(REGEX REPLACE "_.*" "" my_family ${M_NAME})
    if(NOT dep_layer LESS ${M_LAYER} AND NOT dep_family STREQUAL my_family)
      message(FATAL_ERROR "layering: ${M_NAME} (layer ${M_LAYER}) may not depend on ${dep} (layer ${dep_layer})")
    endif()
    target_link_libraries(${target} PUBLIC warden_${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC ${M_LIBS})
  if(M_TORCH)
    target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src/engine/torch_pch.h)
  endif()
endfunction()

# warden_add_test(<name> SOURCES ... LIBS ...): a GoogleTest binary registered with ctest.
function(warden_add_test name)
  if(NOT WARDEN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
      WARDEN_SHARED_DIR="${WARDEN_SHARED_DIR}" WARDEN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 PROPERTIES TIMEOUT 600)
endfunction()
