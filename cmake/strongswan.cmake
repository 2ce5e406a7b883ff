# Pinned strongSwan 5.9.8 from Debian's source package, built once into
# ${TUNNELD_STRONGSWAN_DIR}/prefix by scripts/build-strongswan.sh and reused.
# tunneld links this libcharon; the controller plugin compiles against the
# same configured source tree (libcharon headers, config.h).

set(SS_DIR "${TUNNELD_STRONGSWAN_DIR}")
# Package mode: strongSwan configured for its installed place, fixed like
# Debian's /usr/lib/ipsec (never CMAKE_INSTALL_LIBDIR, a multiarch path under dh)
set(TUNNELD_PRIVLIBDIR "${CMAKE_INSTALL_PREFIX}/lib/tunneld")
set(_ss_mode "")
if(TUNNELD_PACKAGE)
  set(_ss_mode "--system")
endif()
message(STATUS "strongSwan: building or reusing ${SS_DIR} ${_ss_mode}")
execute_process(
  COMMAND bash "${CMAKE_SOURCE_DIR}/scripts/build-strongswan.sh" "${SS_DIR}" ${_ss_mode}
  RESULT_VARIABLE _ss_rc)
if(NOT _ss_rc EQUAL 0)
  message(FATAL_ERROR "building the pinned strongSwan failed (see ${SS_DIR}/*.log)")
endif()

set(SS_PREFIX "${SS_DIR}/prefix")
set(SS_SRC "${SS_DIR}/src/strongswan-5.9.8")
set(SS_LIBDIR "${SS_PREFIX}/lib/ipsec")
set(SS_PLUGINDIR "${SS_LIBDIR}/plugins")
set(SS_SWANCTL "${SS_PREFIX}/sbin/swanctl")
if(TUNNELD_PACKAGE)
  # linked against the staged install; the binaries find it in /usr/lib/tunneld
  set(SS_PREFIX "${SS_DIR}/stage/usr")
  set(SS_LIBDIR "${SS_DIR}/stage${TUNNELD_PRIVLIBDIR}")
  set(SS_PLUGINDIR "${TUNNELD_PRIVLIBDIR}/plugins")
  set(SS_SWANCTL "${SS_PREFIX}/sbin/swanctl")
endif()

# Interface target carrying the configured tree's include paths and config.h
add_library(strongswan_headers INTERFACE)
target_include_directories(strongswan_headers SYSTEM INTERFACE
  "${SS_SRC}/src/libstrongswan"
  "${SS_SRC}/src/libcharon"
  "${SS_SRC}/src/libcharon/plugins/vici")
target_compile_options(strongswan_headers INTERFACE
  -include "${SS_SRC}/config.h" -Wno-sign-compare -Wno-pointer-sign)

foreach(_lib strongswan charon vici)
  add_library(strongswan::${_lib} SHARED IMPORTED)
  set_target_properties(strongswan::${_lib} PROPERTIES
    IMPORTED_LOCATION "${SS_LIBDIR}/lib${_lib}.so"
    INTERFACE_LINK_LIBRARIES strongswan_headers)
endforeach()

set(CMAKE_BUILD_RPATH "${SS_LIBDIR}")
if(TUNNELD_PACKAGE)
  set(CMAKE_INSTALL_RPATH "${TUNNELD_PRIVLIBDIR}")
  # the shared libraries only (no .so links, .la files or headers), and the
  # plugins; Debian's swanctl (strongswan-swanctl) talks to our vici socket
  install(DIRECTORY "${SS_LIBDIR}/" DESTINATION "${TUNNELD_PRIVLIBDIR}"
    USE_SOURCE_PERMISSIONS
    FILES_MATCHING PATTERN "lib*.so.0*" PATTERN "libstrongswan-*.so" PATTERN "_updown"
    PATTERN "include" EXCLUDE PATTERN "*.la" EXCLUDE)
else()
  # Installing does not copy the private strongSwan: installed binaries keep
  # using the build tree's libraries. Use the Debian package to install.
  set(CMAKE_INSTALL_RPATH "${SS_LIBDIR}")
  install(CODE "message(WARNING \"tunneld installed without TUNNELD_PACKAGE uses strongSwan from ${SS_LIBDIR}; build the package (scripts/build-deb.sh) to install it\")")
endif()
