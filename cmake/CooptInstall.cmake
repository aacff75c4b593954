# Installing coopt for embedders (ahead-of-time model compilers) and users:
#
#   <prefix>/bin/coopt-{opt,translate,runner,explore}
#   <prefix>/include/coopt/*.h, coopt_rt/*.h       the public C API, the runtime's
#   <prefix>/lib/libcoopt.so, libcoopt_*.a         libcoopt shared, and per folder
#   <prefix>/lib/libcoopt_rt.{a,so}, libcoopt_rt_kernels.a   the host runtime
#   <prefix>/lib/coopt/aarch64-linux-gnu/          the runtime for aarch64
#   <prefix>/lib/cmake/coopt/                      find_package(coopt CONFIG)
#   <prefix>/lib/pkgconfig/coopt.pc, coopt-runtime.pc
#   <prefix>/share/doc/coopt/                      README and docs/
#
# find_package(coopt CONFIG) gives coopt::coopt (static libcoopt: every
# library but the tools'), coopt::coopt_shared (libcoopt.so),
# coopt::runtime (what a compiled model links) and coopt::runtime_shared.
# The JIT finds libcoopt_rt.so next to libcoopt.so or in the lib directory
# beside a tool's bin directory, so the tree can move (lib/Exec/Jit.c).
include(CMakePackageConfigHelpers)

set(COOPT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/coopt)
set(_exported ${COOPT_LIBRARIES})
list(REMOVE_ITEM _exported coopt_tool)
install(TARGETS ${_exported} coopt_onnx_proto coopt coopt_shared coopt_mlir_capi
                coopt_rt coopt_rt_kernels coopt_rt_shared
  EXPORT cooptTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS coopt-opt coopt-translate coopt-runner coopt-explore RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/coopt ${PROJECT_SOURCE_DIR}/runtime/include/coopt_rt
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT cooptTargets NAMESPACE coopt:: DESTINATION ${COOPT_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cooptConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cooptConfig.cmake INSTALL_DESTINATION ${COOPT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cooptConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cooptConfig.cmake ${PROJECT_BINARY_DIR}/cooptConfigVersion.cmake
  DESTINATION ${COOPT_CMAKE_DIR})

# pkg-config: libcoopt.so for embedders, the static runtime for models.
file(RELATIVE_PATH COOPT_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" COOPT_PC_TO_PREFIX "${COOPT_PC_TO_PREFIX}")
list(GET MLIR_INCLUDE_DIRS 0 COOPT_MLIR_INCLUDE_DIR)
configure_file(${PROJECT_SOURCE_DIR}/cmake/coopt.pc.in ${PROJECT_BINARY_DIR}/coopt.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/coopt-runtime.pc.in ${PROJECT_BINARY_DIR}/coopt-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/coopt.pc ${PROJECT_BINARY_DIR}/coopt-runtime.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The runtime for aarch64: runtime/ configured on its own with the cross
# toolchain file, installed under lib/coopt/aarch64-linux-gnu/.
if(COOPT_AARCH64_CROSS AND NOT COOPT_FUZZ AND NOT COOPT_SANITIZE)
  include(ExternalProject)
  set(COOPT_RT_AARCH64_PREFIX ${PROJECT_BINARY_DIR}/runtime-aarch64)
  ExternalProject_Add(coopt_runtime_aarch64
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/runtime
    BINARY_DIR ${COOPT_RT_AARCH64_PREFIX}/build
    INSTALL_DIR ${COOPT_RT_AARCH64_PREFIX}
    CMAKE_ARGS -G Ninja -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/toolchains/aarch64-linux-gnu.cmake
               -DCMAKE_BUILD_TYPE=Release -DCOOPT_WERROR=${COOPT_WERROR}
               -DCMAKE_INSTALL_PREFIX=<INSTALL_DIR> -DCMAKE_INSTALL_LIBDIR=lib
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON)
  install(DIRECTORY ${COOPT_RT_AARCH64_PREFIX}/lib/
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/coopt/aarch64-linux-gnu FILES_MATCHING PATTERN "*.a")
endif()

# `cpack -G DEB` in the build directory: a Debian package of the above.
set(CPACK_PACKAGE_NAME coopt)
set(CPACK_PACKAGE_VENDOR "coopt")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Collaborative optimization compiler for TOSA on MLIR: prune, cluster, quantize, lower to int8 kernels")
set(CPACK_PACKAGE_CONTACT "coopt developers <coopt@localhost>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# What the tools and libraries load at run time, and what
# find_package(coopt) links against (the MLIR C API archives and
# libMLIR.so of the -dev packages), by Debian package name.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libmlir-22, libmlir-22-dev, libllvm22, llvm-22-dev, libopenblas0 | libopenblas0-pthread, liblapacke, libprotobuf-c1, zlib1g")
set(CPACK_GENERATOR DEB)
include(CPack)
