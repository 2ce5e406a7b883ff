# health/bfd.cmake: BFD (RFC 5880/5881/5883) on libev, its tests, test
# speaker, fuzz replay and benchmark. Owner: the BFD part of issue 9.
set(_bfd_pure ${CMAKE_CURRENT_SOURCE_DIR}/bfd_packet.c ${CMAKE_CURRENT_SOURCE_DIR}/bfd_fsm.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bfd_names.c)
add_library(tunneld_bfd STATIC ${_bfd_pure} bfd_sock.c bfd_ctx.c bfd_session.c)
target_include_directories(tunneld_bfd PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(tunneld_bfd PUBLIC libev::libev)

# the test tool: N sessions from its command line, one JSON line per change
add_executable(bfd_speaker ${CMAKE_SOURCE_DIR}/tests/tools/bfd_speaker.c)
target_link_libraries(bfd_speaker PRIVATE tunneld_bfd)

# unit tests (pure code: no sockets but the loopback tests of bfd_loop and bfd_demux)
foreach(t packet fsm loop demux)
  add_executable(test_bfd_${t} ${CMAKE_SOURCE_DIR}/tests/unit/test_bfd_${t}.c)
  target_link_libraries(test_bfd_${t} PRIVATE tunneld_bfd PkgConfig::CMOCKA)
  add_test(NAME unit_bfd_${t} COMMAND test_bfd_${t})
  set_tests_properties(unit_bfd_${t} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()
# bfd_loop and bfd_demux open sockets in a network namespace of their own: 77 = skipped
set_tests_properties(unit_bfd_loop unit_bfd_demux PROPERTIES SKIP_RETURN_CODE 77)

# fuzz harness of the packet decoder and the state machine: the corpus is
# replayed in every build; -DTUNNELD_FUZZ=ON (clang) builds fuzz_bfd
add_executable(replay_bfd ${CMAKE_SOURCE_DIR}/fuzz/fuzz_bfd.c ${CMAKE_SOURCE_DIR}/fuzz/replay.c)
target_link_libraries(replay_bfd PRIVATE tunneld_bfd)
add_test(NAME fuzz_replay_bfd COMMAND replay_bfd ${CMAKE_SOURCE_DIR}/fuzz/corpus/bfd)
set_tests_properties(fuzz_replay_bfd PROPERTIES LABELS unit TIMEOUT 60)
if(TUNNELD_FUZZ)
  set(_fz -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  add_executable(fuzz_bfd ${CMAKE_SOURCE_DIR}/fuzz/fuzz_bfd.c ${_bfd_pure})
  target_include_directories(fuzz_bfd PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(fuzz_bfd PRIVATE ${_fz} -Wno-unknown-warning-option)
  target_link_options(fuzz_bfd PRIVATE ${_fz})
endif()

# interop tests against BIRD 2 and FRR bfdd in network namespaces
foreach(t bird frr)
  add_test(NAME health_bfd_${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/health/bfd_${t}.sh)
  set_tests_properties(health_bfd_${t} PROPERTIES LABELS integration TIMEOUT 180
    ENVIRONMENT "BFD_SPEAKER=$<TARGET_FILE:bfd_speaker>")
endforeach()

# daemon-level: tunneld against the loop and demultiplexing defects of the
# hostile review (two sessions to one remote; a remote that is our address)
foreach(t same_remote self)
  add_test(NAME health_bfd_${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/health/bfd_${t}.sh
    $<TARGET_FILE:tunneld> $<TARGET_FILE:tunnelctl> ${CMAKE_SOURCE_DIR})
  set_tests_properties(health_bfd_${t} PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "BFD_SPEAKER=$<TARGET_FILE:bfd_speaker>")
endforeach()

# bench/bfd: CPU per session against BIRD (not a test; root)
add_custom_target(bench_bfd
  COMMAND bash ${CMAKE_SOURCE_DIR}/bench/bfd/run.sh $<TARGET_FILE:bfd_speaker>
  DEPENDS bfd_speaker USES_TERMINAL
  COMMENT "BFD CPU cost against BIRD (network namespaces)")
