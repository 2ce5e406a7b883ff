# Tests in a Debian 12 VM (Debian's own 6.1 cloud kernel under qemu TCG): the
# kernel XFRM data plane, the route engine on 6.1, the package under systemd.
# See docs/vm.md. Included from tests/CMakeLists.txt only when NOT
# TUNNELD_SANITIZE: the ASan pass boots no VM.
#
# vm_image builds the image once (cached by its inputs under
# ${TUNNELD_VM_CACHE:-/var/cache/tunneld-vm}) and boots it; the other VM tests
# need it. RESOURCE_LOCK vm + PROCESSORS 2: one VM at a time, nothing beside it.
# 77 (skip) only when qemu cannot run at all.
set(VM_SRC ${CMAKE_SOURCE_DIR})

add_test(NAME vm_image COMMAND bash ${VM_SRC}/tests/vm/image_smoke.sh ${VM_SRC})
set_tests_properties(vm_image PROPERTIES
  LABELS vm TIMEOUT 900 FIXTURES_SETUP vm_image
  RESOURCE_LOCK vm PROCESSORS 2 SKIP_RETURN_CODE 77)

# the XFRM data plane end to end, failover to ExpressRoute, and the measure
# (xfrm vs libipsec): the build tree's binaries, unchanged, in the VM
add_test(NAME vm_dataplane COMMAND bash ${VM_SRC}/tests/vm/vm_dataplane.sh ${VM_SRC}
  $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${SS_PREFIX})
# the route engine's netns suite on 6.1 (the same scripts as routes_integration_*)
file(GLOB VM_ROUTES_SCRIPTS RELATIVE ${VM_SRC}/tests/routes ${VM_SRC}/tests/routes/*.sh)
list(REMOVE_ITEM VM_ROUTES_SCRIPTS lib.sh)
list(TRANSFORM VM_ROUTES_SCRIPTS REPLACE "\\.sh$" "")
if(TARGET routes_driver AND VM_ROUTES_SCRIPTS)
  add_test(NAME vm_routes COMMAND bash ${VM_SRC}/tests/vm/vm_routes.sh ${VM_SRC}
    $<TARGET_FILE:routes_driver> ${SS_PREFIX} "${VM_ROUTES_SCRIPTS}")
endif()
foreach(t vm_dataplane vm_routes)
  if(TEST ${t})
    set_tests_properties(${t} PROPERTIES
      LABELS vm TIMEOUT 600 FIXTURES_REQUIRED vm_image
      RESOURCE_LOCK vm PROCESSORS 2 SKIP_RETURN_CODE 77)
  endif()
endforeach()

# the .deb offline in the VM under systemd: the package_build test
# (tests/package, fixture "deb") leaves it in ${CMAKE_BINARY_DIR}/deb; defined
# when this tree can build one (scripts/build-deb.sh) or a directory is given
set(TUNNELD_VM_DEB_DIR "" CACHE PATH "directory holding tunneld_*.deb for vm_package (default: the build's deb/)")
if(TUNNELD_VM_DEB_DIR OR EXISTS ${VM_SRC}/scripts/build-deb.sh)
  set(_vm_deb_dir ${TUNNELD_VM_DEB_DIR})
  if(NOT _vm_deb_dir)
    set(_vm_deb_dir ${CMAKE_BINARY_DIR}/deb)
  endif()
  add_test(NAME vm_package COMMAND bash ${VM_SRC}/tests/vm/vm_package.sh ${VM_SRC} ${_vm_deb_dir})
  set_tests_properties(vm_package PROPERTIES
    LABELS vm TIMEOUT 600 FIXTURES_REQUIRED "deb;vm_image"
    RESOURCE_LOCK vm PROCESSORS 2 SKIP_RETURN_CODE 77)
endif()
