# Tests of the gateway preflight (issue 11, part 3), included by
# tunneld/CMakeLists.txt. CTest names: unit_preflight, preflight_netns.
add_executable(test_preflight ${CMAKE_SOURCE_DIR}/tests/preflight/test_preflight.c)
target_link_libraries(test_preflight PRIVATE tunneld_preflight PkgConfig::CMOCKA)
add_test(NAME unit_preflight COMMAND test_preflight)
set_tests_properties(unit_preflight PROPERTIES LABELS unit TIMEOUT 60)

# the real kernel's sysctls and nftables in network namespaces (root)
add_test(NAME preflight_netns COMMAND bash ${CMAKE_SOURCE_DIR}/tests/preflight/preflight_netns.sh
  $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
set_tests_properties(preflight_netns PROPERTIES LABELS integration TIMEOUT 120
  SKIP_RETURN_CODE 77)

# the MSS clamp from the command line (the netns test; this host has no XFRM interfaces)
add_executable(preflight-tool ${CMAKE_SOURCE_DIR}/tests/preflight/preflight_tool.c)
target_link_libraries(preflight-tool PRIVATE tunneld_preflight)
set_tests_properties(preflight_netns PROPERTIES
  ENVIRONMENT "PREFLIGHT_TOOL=$<TARGET_FILE:preflight-tool>")

# the clamp installed by tunneld on a real XFRM interface: exits 77 on a
# kernel without XFRM interfaces (this host); vm_dataplane runs it in the
# Debian 12 VM (tests/vm/dataplane_job.sh)
add_test(NAME preflight_xfrm COMMAND bash ${CMAKE_SOURCE_DIR}/tests/preflight/preflight_xfrm.sh
  $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
set_tests_properties(preflight_xfrm PROPERTIES LABELS integration TIMEOUT 120
  SKIP_RETURN_CODE 77)

# hostile operator: odd forwarding values, a device's own forwarding, a
# '.' in a device name, refusals naming the file, the control socket's
# directory (root, netns)
add_test(NAME preflight_hostile COMMAND bash ${CMAKE_SOURCE_DIR}/tests/preflight/preflight_hostile.sh
  $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
set_tests_properties(preflight_hostile PROPERTIES LABELS integration TIMEOUT 120)
