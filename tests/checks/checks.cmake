# The application checks' test matrix (owner: fixtures), included from
# tests/CMakeLists.txt: each tests/checks/checks_<name>.sh (except
# checks_smoke.sh, registered by checks/CMakeLists.txt) runs checks-probe in
# network namespaces against real endpoints (openssl s_server) and real
# proxies (Squid), CTest name checks_<name>. Without the checks-probe target
# the tests are still registered and fail, saying so.
set(_tc ${CMAKE_SOURCE_DIR}/tests/checks)
if(TARGET checks-probe)
  set(_probe "CHECKS_PROBE=$<TARGET_FILE:checks-probe>")
else()
  set(_probe "CHECKS_PROBE=")
endif()
foreach(t fixtures direct proxy chain set tls11 aes128 expiry name untrusted refused auth parent down
    dns paths secrets hostile pwfile limits)
  add_test(NAME checks_${t} COMMAND bash ${_tc}/checks_${t}.sh)
  set_tests_properties(checks_${t} PROPERTIES LABELS integration TIMEOUT 120
    ENVIRONMENT "${_probe}")
endforeach()

# bench/checks: one round of 45 checks, checks-probe against curl one by one
# (not a test; prints wall time and CPU ratios; docs/bench.md)
if(TARGET checks-probe)
  add_custom_target(bench_checks
    COMMAND bash ${CMAKE_SOURCE_DIR}/bench/checks/run.sh $<TARGET_FILE:checks-probe> 3
    DEPENDS checks-probe USES_TERMINAL
    COMMENT "Application checks: 3 groups x 3 paths x 5 endpoints, checks-probe vs curl")
endif()
