# Locate Debian's MLIR 22 and describe how coopt links its C API.
#
# Why not the exported MLIRCAPI* targets: their INTERFACE_LINK_LIBRARIES name
# the static C++ MLIR libraries, which would put a second copy of MLIR's global
# registries next to libMLIR.so.  The C API archives are therefore linked by
# path, and everything they need comes from the two shared libraries.
# MLIRConfigVersion accepts only the exact x.y.z, so the major version is
# checked by hand: coopt targets the MLIR 22 C API.
find_package(MLIR CONFIG REQUIRED
  HINTS /usr/lib/llvm-22/lib/cmake/mlir)
if(NOT LLVM_VERSION_MAJOR EQUAL 22)
  message(FATAL_ERROR "coopt needs MLIR 22, found ${LLVM_PACKAGE_VERSION} at ${MLIR_DIR}")
endif()
message(STATUS "Using MLIRConfig.cmake in: ${MLIR_DIR} (LLVM ${LLVM_PACKAGE_VERSION})")

set(COOPT_LLVM_LIBDIR "${LLVM_LIBRARY_DIR}")
set(COOPT_LLVM_TOOLS_DIR "${LLVM_TOOLS_BINARY_DIR}")

find_library(COOPT_LIBMLIR NAMES MLIR PATHS "${COOPT_LLVM_LIBDIR}" NO_DEFAULT_PATH REQUIRED)
find_library(COOPT_LIBLLVM NAMES LLVM PATHS "${COOPT_LLVM_LIBDIR}" NO_DEFAULT_PATH REQUIRED)

set(COOPT_MLIR_CAPI_COMPONENTS
  IR RegisterEverything Transforms Conversion Tosa Func ExecutionEngine Target)
set(COOPT_MLIR_CAPI_ARCHIVES "")
foreach(c ${COOPT_MLIR_CAPI_COMPONENTS})
  set(path "${COOPT_LLVM_LIBDIR}/libMLIRCAPI${c}.a")
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "missing ${path}: install libmlir-22-dev")
  endif()
  list(APPEND COOPT_MLIR_CAPI_ARCHIVES "${path}")
endforeach()

# One interface target that carries the include path and link line.
add_library(coopt_mlir_capi INTERFACE)
target_include_directories(coopt_mlir_capi SYSTEM INTERFACE ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
target_link_libraries(coopt_mlir_capi INTERFACE
  -Wl,--start-group ${COOPT_MLIR_CAPI_ARCHIVES} -Wl,--end-group
  ${COOPT_LIBMLIR} ${COOPT_LIBLLVM} m)
target_link_options(coopt_mlir_capi INTERFACE "LINKER:-rpath,${COOPT_LLVM_LIBDIR}")

# Executables that use the C API are linked by the C++ driver.
function(coopt_link_as_cxx target)
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
endfunction()
