# decide part: the pure state machine, the per-site decision and its history
# (no sockets, threads or clocks; links libm only).
add_library(tunneld_health_pure STATIC
  ${CMAKE_CURRENT_LIST_DIR}/decide.c
  ${CMAKE_CURRENT_LIST_DIR}/decide_text.c
  ${CMAKE_CURRENT_LIST_DIR}/history.c
  ${CMAKE_CURRENT_LIST_DIR}/path_classify.c
  ${CMAKE_CURRENT_LIST_DIR}/path_config.c
  ${CMAKE_CURRENT_LIST_DIR}/path_sm.c
  ${CMAKE_CURRENT_LIST_DIR}/text.c
)
target_include_directories(tunneld_health_pure PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(tunneld_health_pure PUBLIC m)
set_target_properties(tunneld_health_pure PROPERTIES POSITION_INDEPENDENT_CODE ON)
