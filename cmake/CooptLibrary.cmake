# coopt_add_library(<name> <sources...> [LINK <targets/libraries...>])
#
# One static library per lib/ folder, as MLIR's add_mlir_library makes one
# per directory.  Public headers are include/coopt/ (installed); the
# folder-rooted private headers of lib/ ("Analysis/Weights.h") are visible
# to coopt's own targets in the build tree only.  Every library joins the
# `cooptTargets` export set under the name coopt::<name without coopt_>,
# and its objects go into the shared libcoopt (lib/CMakeLists.txt).
set(COOPT_LIBRARIES "" CACHE INTERNAL "coopt's per-folder libraries")

function(coopt_add_library name)
  cmake_parse_arguments(ARG "" "" "LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/lib>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name} PUBLIC ${ARG_LINK})
  string(REGEX REPLACE "^coopt_" "" export_name ${name})
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${export_name})
  coopt_warnings(${name})
  set(COOPT_LIBRARIES ${COOPT_LIBRARIES} ${name} CACHE INTERNAL "")
endfunction()
