# Tests of the posture (owner: the posture part), included by
# posture/CMakeLists.txt. CTest names: unit_posture_*, posture_*.
set(_tp ${CMAKE_SOURCE_DIR}/tests/posture)

# unit tests of the pure parts (prefixes, the plan and its rules, the reader
# and the verdict on libnftables' JSON)
foreach(t prefix script verdict)
  add_executable(test_posture_${t} ${_tp}/test_posture_${t}.c)
  target_link_libraries(test_posture_${t} PRIVATE tunneld_posture_pure PkgConfig::CMOCKA)
  add_test(NAME unit_posture_${t} COMMAND test_posture_${t})
  set_tests_properties(unit_posture_${t} PROPERTIES LABELS unit TIMEOUT 60)
endforeach()

# the real kernel in network namespaces (root)
foreach(t forward names)
  add_test(NAME posture_${t} COMMAND bash ${_tp}/posture_${t}.sh)
  set_tests_properties(posture_${t} PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "POSTURE_TOOL=$<TARGET_FILE:posture-tool>")
endforeach()
