# The health runtime (owner: the runtime/wiring engineer): one libev loop in
# its own thread running every path's probes, state machine and decision.
add_library(tunneld_health STATIC ${CMAKE_CURRENT_SOURCE_DIR}/health.c
  ${CMAKE_CURRENT_SOURCE_DIR}/health_conf.c ${CMAKE_CURRENT_SOURCE_DIR}/health_eval.c
  ${CMAKE_CURRENT_SOURCE_DIR}/health_snap.c)
target_include_directories(tunneld_health PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(tunneld_health PUBLIC libev::libev Threads::Threads)
foreach(part tunneld_health_pure tunneld_bfd tunneld_echo)
  if(TARGET ${part})
    target_link_libraries(tunneld_health PUBLIC ${part})
  endif()
endforeach()

# daemon-level tests of path health: tunneld with real peers (BIRD 2, stock
# charon) in network namespaces (root)
set(_hl_args $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
foreach(t failover vpn standby flap reload pinning multihop nexthop hup_link reload_dead
    echo_grace conf_refuse)
  add_test(NAME health_${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/health/health_${t}.sh
    ${_hl_args})
  set_tests_properties(health_${t} PROPERTIES LABELS integration TIMEOUT 120)
endforeach()

# the runtime on its thread with paths without probes (no root needed)
add_executable(test_health_runtime ${CMAKE_SOURCE_DIR}/tests/unit/test_health_runtime.c)
target_link_libraries(test_health_runtime PRIVATE tunneld_health PkgConfig::CMOCKA)
add_test(NAME unit_health_runtime COMMAND test_health_runtime)
set_tests_properties(unit_health_runtime PROPERTIES LABELS unit TIMEOUT 60)
