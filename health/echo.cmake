# health/echo.cmake: ICMP/UDP echo probes on libev (owner: echo).
#   tunneld_echo_pure: the sliding window statistics and the packets (no sockets)
#   tunneld_echo:      + sockets and the libev probe
add_library(tunneld_echo_pure STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/echo_window.c ${CMAKE_CURRENT_SOURCE_DIR}/echo_wire.c)
target_include_directories(tunneld_echo_pure PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

add_library(tunneld_echo STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/echo.c ${CMAKE_CURRENT_SOURCE_DIR}/echo_sock.c)
target_include_directories(tunneld_echo PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(tunneld_echo PUBLIC tunneld_echo_pure libev::libev Threads::Threads)

# Tests, tools, fuzz replay and bench of the echo probes (tests/health/echo.cmake).
include(${CMAKE_SOURCE_DIR}/tests/health/echo.cmake)
