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
