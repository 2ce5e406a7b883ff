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

foreach(t vm_dataplane vm_routes)
  if(EXISTS ${VM_SRC}/tests/vm/${t}.sh)
    add_test(NAME ${t} COMMAND bash ${VM_SRC}/tests/vm/${t}.sh ${VM_SRC}
      $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${SS_PREFIX})
    set_tests_properties(${t} PROPERTIES
      LABELS vm TIMEOUT 600 FIXTURES_REQUIRED vm_image
      RESOURCE_LOCK vm PROCESSORS 2 SKIP_RETURN_CODE 77)
  endif()
endforeach()
