# Issue 11, part 2: the systemd unit (verify, offline security score) and
# tunneld's sd_notify messages against a notify socket (root, netns)
add_test(NAME systemd_daemon_notify COMMAND bash ${CMAKE_SOURCE_DIR}/tests/systemd/daemon_notify.sh
  $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
set_tests_properties(systemd_daemon_notify PROPERTIES LABELS integration TIMEOUT 180)

# the service status line (pure)
add_executable(test_status_line ${CMAKE_SOURCE_DIR}/tests/systemd/test_status_line.c)
target_link_libraries(test_status_line PRIVATE tunneld_core PkgConfig::CMOCKA)
add_test(NAME unit_status_line COMMAND test_status_line)
set_tests_properties(unit_status_line PROPERTIES LABELS unit TIMEOUT 60)

# a notify socket that never reads: tunneld's main thread is never held by
# it (SIGHUP, SIGTERM still work) (root, netns)
add_test(NAME systemd_notify_never_reads COMMAND bash ${CMAKE_SOURCE_DIR}/tests/systemd/notify_never_reads.sh
  $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
set_tests_properties(systemd_notify_never_reads PROPERTIES LABELS integration TIMEOUT 120)
