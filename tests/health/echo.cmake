# Tests, tools, fuzz replay and bench of the echo probes (owner: echo),
# included by health/echo.cmake. CTest names: unit_echo_*, health_echo_*,
# fuzz_replay_echo.
set(_te ${CMAKE_SOURCE_DIR}/tests)

# unit tests of the pure parts: exact figures of the window, the packets
foreach(t window wire)
  add_executable(test_echo_${t} ${_te}/unit/test_echo_${t}.c)
  target_link_libraries(test_echo_${t} PRIVATE tunneld_echo_pure PkgConfig::CMOCKA)
  add_test(NAME unit_echo_${t} COMMAND test_echo_${t})
  set_tests_properties(unit_echo_${t} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()

# test tools: probes from the command line, a delaying UDP echo responder
add_executable(echo_probe ${_te}/tools/echo_probe.c)
target_link_libraries(echo_probe PRIVATE tunneld_echo)
add_executable(udp_echo_delay ${_te}/tools/udp_echo_delay.c)
target_link_libraries(udp_echo_delay PRIVATE tunneld_echo_pure libev::libev)

# the reply parser and the window under arbitrary bytes (fuzz/fuzz_echo.c);
# the regression corpus always, libFuzzer with -DTUNNELD_FUZZ=ON (clang)
add_executable(replay_echo ${CMAKE_SOURCE_DIR}/fuzz/fuzz_echo.c ${CMAKE_SOURCE_DIR}/fuzz/replay.c)
target_link_libraries(replay_echo PRIVATE tunneld_echo_pure)
add_test(NAME fuzz_replay_echo COMMAND replay_echo ${CMAKE_SOURCE_DIR}/fuzz/corpus/echo)
set_tests_properties(fuzz_replay_echo PROPERTIES LABELS unit TIMEOUT 120)
if(TUNNELD_FUZZ)
  set(_fz -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  add_executable(fuzz_echo ${CMAKE_SOURCE_DIR}/fuzz/fuzz_echo.c
    ${CMAKE_SOURCE_DIR}/health/echo_wire.c ${CMAKE_SOURCE_DIR}/health/echo_window.c)
  target_include_directories(fuzz_echo PRIVATE ${CMAKE_SOURCE_DIR}/health)
  target_compile_options(fuzz_echo PRIVATE ${_fz} -Wno-unknown-warning-option)
  target_link_options(fuzz_echo PRIVATE ${_fz})
endif()

# network namespace tests with the real kernel (root)
foreach(t loss latency down pinning)
  add_test(NAME health_echo_${t} COMMAND bash ${_te}/health/echo_${t}.sh)
  set_tests_properties(health_echo_${t} PROPERTIES LABELS integration TIMEOUT 180
    ENVIRONMENT "ECHO_PROBE=$<TARGET_FILE:echo_probe>;UDP_ECHO_DELAY=$<TARGET_FILE:udp_echo_delay>")
endforeach()

# bench/echo: CPU of 100 probes at 1/s (not a test; prints figures)
add_custom_target(bench_echo
  COMMAND bash ${CMAKE_SOURCE_DIR}/bench/echo/echo_cpu.sh $<TARGET_FILE:echo_probe>
  DEPENDS echo_probe USES_TERMINAL
  COMMENT "echo probes: CPU of 100 probes at 1/s")
